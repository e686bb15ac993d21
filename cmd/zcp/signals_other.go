//go:build !linux

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// fatalSignals are those zcp winds down on before it exits.
var fatalSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

func raisesSignal(err error) bool { return false }

// raise exits as a death by sig shows in a shell: outside Linux the
// runtime's default action is not set up again.
func raise(sig os.Signal) {
	signal.Reset(sig)
	if n, ok := sig.(syscall.Signal); ok {
		os.Exit(128 + int(n))
	}
	os.Exit(1)
}
