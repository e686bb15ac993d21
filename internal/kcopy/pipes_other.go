//go:build !linux

package kcopy

// ClosePipes does nothing: only Linux pools pipes.
func ClosePipes() {}
