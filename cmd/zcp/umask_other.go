//go:build !unix

package main

// currentUmask is 0 where there is no umask: modes are what the copy asks.
func currentUmask() int { return 0 }
