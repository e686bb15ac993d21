package main

import (
	"os"
	"runtime"
	"runtime/debug"
)

// process is what zcp changes for the whole process, which only main may
// do: the signals it catches (see interrupts) and the runtime's settings
// for a copy. A test calls run with nil and its own process is left alone.
type process struct {
	sig *interrupts
}

// newProcess catches the signals that end a copy.
func newProcess() *process { return &process{sig: catchSignals()} }

// signals is nil for a nil process: no signals caught.
func (p *process) signals() *interrupts {
	if p == nil {
		return nil
	}
	return p.sig
}

// tune sets the runtime up for a copy with jobs workers, unless the
// environment (GOGC, GOMAXPROCS) says otherwise.
func (p *process) tune(jobs int) {
	if p == nil {
		return
	}
	if os.Getenv("GOGC") == "" {
		// The live heap is a few MiB (the walk streams); at the default
		// GOGC a 100,000-file copy collects two dozen times for nothing.
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) <= jobs {
		// One P more than workers: the runtime's monitor takes the P
		// of a worker in a system call away (a hand-off, a thread
		// woken for nothing) only when no P is idle. On 2 CPUs this
		// measured 10-20 % faster, with half the context switches
		// (BENCHMARKS.md, zcp).
		runtime.GOMAXPROCS(jobs + 1)
	}
}
