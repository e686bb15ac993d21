package main

import "runtime"

// serveProcs is GOMAXPROCS while zmount serves the mount, unless the
// environment sets GOMAXPROCS. The server's own code is a few per cent of
// its time: the rest is system calls, and with more than one P the Go
// scheduler wakes idle threads (futex) at every request each reader
// goroutine hands on, which costs more than it parallelizes. Measured
// (BENCHMARKS.md, zmount) on a 2-CPU machine, one P against two: reading
// every file of GOROOT takes 0.73 x the time, untarring GOROOT/src into
// the mount 0.63 x; a sequential read of a 1 GiB file through the server
// takes 1.13 x (a reader thread back from /dev/fuse waits for the P while
// another splices).
const serveProcs = 1

// limitProcs sets GOMAXPROCS to serveProcs unless getenv("GOMAXPROCS")
// is set (the user's choice wins), and returns the function that puts
// the previous value back (the import before serving and the export
// after it use every CPU).
func limitProcs(getenv func(string) string) (restore func()) {
	if getenv("GOMAXPROCS") != "" {
		return func() {}
	}
	old := runtime.GOMAXPROCS(serveProcs)
	return func() { runtime.GOMAXPROCS(old) }
}
