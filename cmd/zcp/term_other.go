//go:build !linux

package main

import "io"

// isTerminal is false outside Linux: the bar is opt-in there (--progress).
func isTerminal(w io.Writer) bool { return false }
