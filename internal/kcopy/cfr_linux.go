package kcopy

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// maxCopyFileRangeRound is the most asked of one copy_file_range call: 1 GiB
// keeps offset+len clear of EOVERFLOW near the top of the offset range
// (rust-lang/rust#78979); the kernel caps a call at MAX_RW_COUNT anyway.
const maxCopyFileRangeRound = 1 << 30

// ErrNoProgress is the fallback reason when a call reports success with 0
// bytes before anything was copied: copy_file_range does that on procfs,
// sysfs and overlayfs (golang/go#44272, rust-lang/rust#75446), and a read
// settles whether the source really is at EOF.
var ErrNoProgress = errors.New("returned 0 bytes on the first call")

// copyFileRange is swapped by tests to inject errors.
var copyFileRange = unix.CopyFileRange

// CopyFileRange copies with copy_file_range(2) from the source's position
// to the destination's file offset. It reflinks on btrfs and XFS.
func CopyFileRange(p *Pair, remain int64) (written int64, handled bool, err error) {
	return p.run(callCopyFileRange, remain, nil)
}

// handleCopyFileRangeErr classifies the outcome of one copy_file_range
// call. handled == false means fall back (only possible before any byte was
// copied); err is then the reason. Follows GNU cp's rules
// (src/copy-file-data.c) plus Go's and Rust's.
func handleCopyFileRangeErr(n int64, err error, written int64) (handled bool, _ error) {
	switch err {
	case nil:
		if n == 0 && written == 0 {
			return false, ErrNoProgress
		}
		return true, nil
	case unix.ENOSYS, // no syscall, or seccomp/qemu-user (golang/go#58592)
		unix.EXDEV,      // cross-filesystem, refused again since Linux 5.19
		unix.EINVAL,     // not regular files, overlapping same-file ranges, eCryptfs (boostorg/filesystem#184)
		unix.EOPNOTSUPP, // NFS without server-side copy (golang/go#40731)
		unix.EPERM,      // seccomp profiles that predate the syscall (golang/go#40893), immutable files
		unix.ETXTBSY,    // an active swap file (copy_file_range(2))
		unix.EBADF,      // O_APPEND destination (golang/go#79660, rust-lang/rust#82410)
		unix.EACCES,     // fuse-overlayfs on read-only sources (containers/fuse-overlayfs#399)
		unix.ENOENT,     // CIFS, per GNU cp ("seen sometimes across CIFS shares")
		unix.EFBIG,      // GNU cp falls back: seen on Linux 6.17
		unix.EISDIR,     // a directory: read(2) reports it the way io.Copy's loop would
		unix.EOVERFLOW:  // offsets near the limit (rust-lang/rust#78979)
		if written == 0 {
			return false, err
		}
		// After bytes moved these still happen (rust-lang/rust#91152):
		// an O_DIRECT source refuses its unaligned tail, a sealed or
		// size-limited destination its growth. Both offsets moved by
		// exactly what was copied, so another method finishes the copy
		// and meets the real error, if there is one; the copy never
		// ends here as if at EOF.
		return true, ErrContinue
	}
	// ENOSPC, EDQUOT, EIO, ENOMEM and the rest are terminal: trying another
	// method could hide data loss (coreutils 9.2 NEWS).
	return true, os.NewSyscallError("copy_file_range", err)
}

// StickyFallback reports whether a fallback reason is a property of the
// filesystem pair and method rather than of one descriptor or one moment, so
// that the caller may cache it and skip the probe next time.
func StickyFallback(reason error) bool {
	switch reason {
	case unix.ENOSYS, unix.EXDEV, unix.EOPNOTSUPP, unix.ENOTTY:
		return true
	}
	return false
}
