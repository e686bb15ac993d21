//go:build !linux

package floor

import (
	"errors"
	"fmt"
	"io"
)

// Modes are the ways Copy splits the work (Linux only).
var Modes = []string{"one", "threads", "unshare", "procs"}

// Main is `zbench floor`, which measures Linux system calls only.
func Main(args []string, stderr io.Writer) int {
	fmt.Fprintln(stderr, "zbench floor: only Linux is supported")
	return 2
}

// Copy is the floor copy, Linux only.
func Copy(mode, src, dst string) error { return errors.New("zbench floor: only Linux is supported") }
