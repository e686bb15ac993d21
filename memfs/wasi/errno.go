package wasi

import (
	"errors"
	"io"
	"io/fs"
	"syscall"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"

	"github.com/zcopy/zcopy/memfs"
)

// errnoOf classifies an error of memfs as the Errno the guest sees. memfs
// wraps the errno Linux would give in an *fs.PathError or *os.LinkError;
// the few errors it gives without one are mapped here, each to what the
// same call gives through wazero's DirFS on Linux.
func errnoOf(err error) experimentalsys.Errno {
	if err == nil || err == io.EOF {
		return 0
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		// UnwrapOSError maps the errnos wazero knows; the rest
		// (ENOSPC, EFBIG, ESTALE, EXDEV) become EIO there, as through
		// DirFS.
		return experimentalsys.UnwrapOSError(errno)
	}
	switch {
	case errors.Is(err, fs.ErrClosed):
		// A closed handle: EBADF, as a closed descriptor.
		return experimentalsys.EBADF
	case errors.Is(err, fs.ErrNotExist):
		return experimentalsys.ENOENT
	case errors.Is(err, fs.ErrExist):
		return experimentalsys.EEXIST
	case errors.Is(err, fs.ErrPermission):
		return experimentalsys.EPERM
	case errors.Is(err, fs.ErrInvalid):
		return experimentalsys.EINVAL
	case errors.Is(err, memfs.ErrWriteAtInAppendMode):
		// DirFS's Pwrite is os.File.WriteAt, which refuses O_APPEND
		// handles with this same non-errno error: EIO.
		return experimentalsys.EIO
	case errors.Is(err, memfs.ErrPathEscapes):
		// A symlink leading out of the root: wazero answers paths
		// that escape its mount with EPERM.
		return experimentalsys.EPERM
	case errors.Is(err, memfs.ErrNegativeOffset):
		return experimentalsys.EINVAL
	case errors.Is(err, memfs.ErrEmptyPath):
		return experimentalsys.ENOENT // open("") on Linux
	}
	// memfs.ErrClosed (the FS was closed under the guest) and anything
	// else: an I/O error, never a crash.
	return experimentalsys.EIO
}
