//go:build !linux

package fuse

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/zcopy/zcopy/memfs"
)

// Server is a mounted memfs; on this system there is none.
type Server struct{}

// Mount is Linux only: elsewhere it returns an error matching
// [errors.ErrUnsupported].
func Mount(mountpoint string, fsys *memfs.FS, opts *Options) (*Server, error) {
	return nil, fmt.Errorf("memfs/fuse: mount %s: %w on %s", mountpoint, errors.ErrUnsupported, runtime.GOOS)
}

// Unmount does nothing here.
func (s *Server) Unmount() error { return errors.ErrUnsupported }

// Wait returns at once here.
func (s *Server) Wait() {}
