//go:build !unix

package memfs

import (
	"errors"
	"os"
)

// mapFile is not available: reads of host extents use pread.
func mapFile(f *os.File, size int64) ([]byte, error) {
	return nil, errors.ErrUnsupported
}

func unmapFile(data []byte) {}

// dupFile reopens f by name.
func dupFile(f hostFile) (*os.File, error) { return os.Open(f.Name()) }
