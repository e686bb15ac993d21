//go:build !linux

package bench

import (
	"fmt"
	"io"
)

// IsChild reports whether this process is one of zbench's own children;
// there are none off Linux.
func IsChild() bool { return false }

// Main is zbench's entry point; zbench measures Linux system calls only.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "zbench: only Linux is supported")
	return 2
}
