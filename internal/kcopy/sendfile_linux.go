package kcopy

import (
	"os"

	"golang.org/x/sys/unix"
)

// maxSendfileRound is MAX_RW_COUNT, the most one sendfile(2) moves (Go's
// internal/poll asks for 1<<31-1 and the kernel clamps to this).
const maxSendfileRound = 0x7ffff000

// sendfile is swapped by tests.
var sendfile = unix.Sendfile

// Sendfile copies with sendfile(2) from a regular file, block device or
// character device source to any destination: a socket, a pipe, a regular
// file on another filesystem, a block device, /dev/null. Page references
// travel into socket and pipe buffers, so later writes to the source can
// show up in what the peer reads (the strict-mode concern).
func Sendfile(p *Pair, remain int64) (written int64, handled bool, err error) {
	return p.run(callSendfile, remain, nil)
}

// handleSendfileErr classifies the outcome of one sendfile call.
func handleSendfileErr(n int64, err error, written int64) (handled bool, _ error) {
	switch err {
	case nil:
		if n == 0 && written == 0 {
			// A size-0 pseudo-file, or the source offset already at
			// EOF: let a read settle it.
			return false, ErrNoProgress
		}
		return true, nil
	case unix.EINVAL, // source cannot be mmap'd/spliced, or O_APPEND destination
		unix.ENOSYS,     // no sendfile (seccomp, emulators)
		unix.EOPNOTSUPP, // destination without splice_write
		unix.ESPIPE,     // offset given for an unseekable source
		unix.EOVERFLOW,  // offset+count beyond what the source allows
		unix.EBADF,      // descriptor not open for reading/writing as needed
		unix.EPERM:      // seccomp, immutable destination
		if written == 0 {
			return false, err
		}
		return true, ErrContinue // another method finishes (see handleCopyFileRangeErr)
	}
	// EPIPE, ECONNRESET, ENOSPC, EIO and the rest are real failures.
	return true, os.NewSyscallError("sendfile", err)
}

func max0(n int) int {
	if n < 0 {
		return 0
	}
	return n
}
