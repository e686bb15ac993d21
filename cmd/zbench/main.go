// Command zbench measures the wall time and CPU time of one copy for
// zcopy.Copy, Go's io.Copy and raw system calls. It reproduces the table of
// the article "Rust io::copy with Linux Zero-Copy API" (a file copied into a
// Unix socket with read/send, mmap/send, sendfile and splice) on any Linux
// machine, and adds TCP, file, pipe, socket-to-file and small copies. Every run is a fresh process and is
// verified byte for byte; see BENCHMARKS.md.
//
//	go run ./cmd/zbench                           # every scenario, 256 MiB
//	go run ./cmd/zbench -scenario unix -size 256MiB
//	go run ./cmd/zbench -json > results.json
//	go run ./cmd/zbench -svg chart.svg
package main

import (
	"io"
	"os"

	"github.com/zcopy/zcopy/cmd/zbench/internal/bench"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// run is zbench with its arguments and streams injected, for tests.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return bench.Main(args, stdin, stdout, stderr)
}
