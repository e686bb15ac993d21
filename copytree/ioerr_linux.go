package copytree

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// cloneError is a clone that --reflink=always needed and the filesystem
// refused: errors.Is matches ErrCloneRequired and the ioctl's errno, which
// the message names as GNU's does ("Invalid cross-device link" across
// filesystems).
type cloneError struct{ errno unix.Errno }

func (e cloneError) Error() string { return ErrCloneRequired.Error() + ": " + Strerror(e.errno) }

func (e cloneError) Is(target error) bool { return target == ErrCloneRequired || target == e.errno }

// dataError is a failure to copy a file's bytes in GNU's words: "error
// reading SRC" when reading failed, "error writing DST" when writing did
// (a full disk, a quota, a file too large), and "error copying SRC to
// DST" when the in-kernel copy failed and the side is not known.
func dataError(srcPath, dstPath string, err error) *Error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		// zcopy's read/write loop into a device or FIFO names the side.
		switch pe.Op {
		case "write":
			return &Error{Op: "error writing", Path: dstPath, Err: pe.Err}
		case "read":
			return &Error{Op: "error reading", Path: srcPath, Err: pe.Err}
		}
	}
	if errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT) || errors.Is(err, unix.EFBIG) {
		return &Error{Op: "error writing", Path: dstPath, Err: err}
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		switch se.Syscall {
		case "read", "pread64", "preadv":
			return &Error{Op: "error reading", Path: srcPath, Err: err}
		case "write", "pwrite64", "pwritev", "ftruncate", "fallocate":
			return &Error{Op: "error writing", Path: dstPath, Err: err}
		}
	}
	return &Error{Op: "error copying %s to %s", Path: srcPath, Path2: dstPath, Err: err}
}

func (e cloneError) cloneErrno() unix.Errno { return e.errno }

// createError is a failure to create the destination file dname in ddir.
// GNU stats the destination before it creates it, so where that stat
// fails for another reason than its absence (a file where a directory
// should be, a name too long, a directory without search permission)
// GNU says "cannot stat"; the stat is made here, on the failure path only.
func createError(ddir int, dname, dstPath string, err error) *Error {
	if err != unix.EEXIST {
		var st unix.Stat_t
		if serr := fstatat(ddir, dname, &st, 0); serr != nil && serr != unix.ENOENT {
			return &Error{Op: "cannot stat", Path: dstPath, Err: serr}
		}
	}
	return &Error{Op: "cannot create regular file", Path: dstPath, Err: err}
}
