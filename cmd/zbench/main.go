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
//
// `zbench floor MODE SRC DST` copies a tree of directories of small files
// with nothing but zcp's system calls, on one thread, on one thread per
// CPU, on threads with their own descriptor tables, or in one process per
// CPU: the least a tree copy can cost (scripts/zcp-floor-bench.sh times it
// against cp and zcp).
package main

import (
	"io"
	"os"

	"github.com/zcopy/zcopy/cmd/zbench/internal/bench"
	"github.com/zcopy/zcopy/cmd/zbench/internal/floor"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// run is zbench with its arguments and streams injected, for tests.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "floor" {
		return floor.Main(args[1:], stderr)
	}
	return bench.Main(args, stdin, stdout, stderr)
}
