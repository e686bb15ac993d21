package kcopy

import (
	"errors"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/eintr"
	"github.com/zcopy/zcopy/internal/uring"
)

// Uring copies with the io_uring engine (package uring): a regular file or
// block device source, read in blocks at independent offsets, into a
// regular file or block device (positioned writes) or a stream socket
// (sends in order; the kernel waits for room itself, with no trip through
// Go's poller). Both descriptors are held for the whole copy, and their
// file offsets are advanced by the bytes copied, as a read/write loop
// would. p.Uring tunes the engine (nil: its defaults).
//
// handled == false means no write completed: io_uring is unavailable (the
// error matches uring.ErrUnavailable and says why), or the first
// operations were refused.
func Uring(p *Pair, remain int64) (written int64, handled bool, err error) {
	s, d := p.Src, p.Dst
	if !s.Kind.Seekable() {
		return 0, false, unix.EINVAL
	}
	stream := d.Kind.Stream()
	if !stream && !d.Kind.Seekable() || d.Append {
		return 0, false, unix.EINVAL
	}
	if err := uring.Available(); err != nil {
		return 0, false, unavailable{err}
	}
	cfg := uring.Config{AutoDirect: true} // the defaults of zcopy.UringOptions
	if p.Uring != nil {
		cfg = *p.Uring
	}
	var st uring.Stats
	var n int64
	var serr, cerr error
	rerr := s.RC.Read(func(sfd uintptr) bool {
		werr := d.RC.Write(func(dfd uintptr) bool {
			n, serr, cerr = uringLocked(p, int(sfd), int(dfd), stream, remain, cfg, &st)
			return true
		})
		if werr != nil && serr == nil && cerr == nil {
			serr = werr
		}
		return true
	})
	p.Calls += st.Enters
	if rerr != nil && serr == nil && cerr == nil {
		serr = rerr
	}
	if serr != nil { // finding or setting a file offset failed
		if n == 0 && !st.Moved {
			return 0, false, serr
		}
		return n, true, serr
	}
	if !st.Moved {
		if cerr == nil {
			// The source was at EOF: let a read settle it.
			return 0, false, ErrNoProgress
		}
		return 0, false, handleUringErr(cerr)
	}
	return n, true, cerr
}

// uringLocked runs the copy with both descriptors held. serr is an error
// of the offset bookkeeping around it, cerr the copy's own.
func uringLocked(p *Pair, sfd, dfd int, stream bool, remain int64, cfg uring.Config, st *uring.Stats) (n int64, serr, cerr error) {
	src := p.Src.Pos
	if src < 0 {
		if src, serr = eintr.RetryValue(func() (int64, error) { return unix.Seek(sfd, 0, unix.SEEK_CUR) }); serr != nil {
			return 0, serr, nil
		}
	}
	dst := int64(-1)
	if !stream {
		if dst, serr = eintr.RetryValue(func() (int64, error) { return unix.Seek(dfd, 0, unix.SEEK_CUR) }); serr != nil {
			return 0, serr, nil
		}
	}
	a := &uring.CopyArgs{Ctx: p.Ctx, Src: sfd, SrcOff: src, Size: p.Src.Size - src, Dst: dfd, DstOff: dst, Remain: remain, Progress: p.progress}
	if p.Src.Size < 0 {
		a.Size = -1
	}
	n, cerr = uring.Copy(a, cfg, st)
	// Leave both offsets where a read/write loop would have.
	if p.Src.Pos >= 0 {
		p.Src.Pos += n
	} else if n > 0 {
		_, serr = eintr.RetryValue(func() (int64, error) { return unix.Seek(sfd, src+n, unix.SEEK_SET) })
	}
	if !stream && n > 0 {
		if _, err := eintr.RetryValue(func() (int64, error) { return unix.Seek(dfd, dst+n, unix.SEEK_SET) }); serr == nil {
			serr = err
		}
	}
	return n, serr, cerr
}

// handleUringErr classifies the error of a copy in which no write
// completed: every such error is a fallback, so that the read/write loop
// reports the failure (if it is one) the way io.Copy would.
func handleUringErr(err error) error {
	var errno unix.Errno
	switch {
	case errors.Is(err, uring.ErrUnavailable):
		// No ring: ENOSYS, EPERM (seccomp, io_uring_disabled).
		return unavailable{err}
	case errors.As(err, &errno):
		// EINVAL, EOPNOTSUPP: a file the ops refuse (O_DIRECT-only
		// quirks, special files); EBADF: not open for reading or
		// writing; EIO, ENOSPC: the read/write loop meets them again
		// and reports them.
		return errno
	}
	return err
}

// unavailable carries uring's reason into reports whole: without an
// Unwrap, the report prints the reason, not just the errno under it.
type unavailable struct{ error }

func (u unavailable) Is(target error) bool { return errors.Is(u.error, target) }

// MostlyUncached reports whether cachestat(2) finds less than half of
// e's next length bytes in the page cache; false where it cannot tell
// (kernels before 6.5).
func MostlyUncached(e *Endpoint, length int64) bool {
	var cs unix.Cachestat_t
	var err error
	if cerr := e.RC.Control(func(fd uintptr) {
		off := e.Pos
		if off < 0 {
			if off, err = unix.Seek(int(fd), 0, unix.SEEK_CUR); err != nil {
				return
			}
		}
		crange := unix.CachestatRange{Off: uint64(off), Len: uint64(length)}
		err = eintr.Retry(func() error { return unix.Cachestat(uint(fd), &crange, &cs, 0) })
	}); cerr != nil || err != nil {
		return false
	}
	return int64(cs.Cache)*int64(unix.Getpagesize()) < length/2
}
