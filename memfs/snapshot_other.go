//go:build !linux

package memfs

import (
	"errors"
	"os"
)

// ImportSnapshot needs memfd_create and file seals: Linux only.
func (fsys *FS) ImportSnapshot(name string, host *os.File) error {
	return pathErr("import", name, errors.ErrUnsupported)
}
