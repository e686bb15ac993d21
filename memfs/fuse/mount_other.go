//go:build !linux || !(amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64 || mips64 || mips64le)

package fuse

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/zcopy/zcopy/memfs"
)

// Server is a mounted memfs; on this system there is none.
type Server struct{}

// Mount works on Linux on 64-bit architectures ([Supported]); elsewhere it returns an error matching
// [errors.ErrUnsupported].
func Mount(mountpoint string, fsys *memfs.FS, opts *Options) (*Server, error) {
	return nil, fmt.Errorf("memfs/fuse: mount %s: %w on %s", mountpoint, errors.ErrUnsupported, runtime.GOOS)
}

// Unmount does nothing here.
func (s *Server) Unmount() error { return errors.ErrUnsupported }

// Wait returns at once here.
func (s *Server) Wait() {}

// Supported says whether [Mount] works on this system: Linux on a 64-bit
// architecture (go-fuse does not build for 32-bit ones).
const Supported = false
