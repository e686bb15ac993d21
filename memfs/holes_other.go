//go:build !linux

package memfs

import "os"

// dataAt does not look for holes outside Linux.
func dataAt(f *os.File, off int64) (data, hole int64, ok bool) { return 0, 0, false }

// readFaultsAllocate is false: outside Linux, host files are mapped (where
// mapping works) whatever their filesystem.
func readFaultsAllocate(f *os.File) bool { return false }

// Seek takes no hole whence values here.
const (
	seekData = -1
	seekHole = -2
)
