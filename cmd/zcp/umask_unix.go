//go:build unix

package main

import "syscall"

// currentUmask reads the process's umask (setting it back at once).
func currentUmask() int {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return m
}
