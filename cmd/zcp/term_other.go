//go:build !linux

package main

import "io"

// isTerminal is false outside Linux: the bar is opt-in there (--progress).
func isTerminal(w io.Writer) bool { return false }

// termWidth is unknown outside Linux: the line is not cut.
func termWidth(w io.Writer) int { return 0 }
