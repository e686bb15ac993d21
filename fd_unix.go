//go:build unix

package zcopy

import (
	"context"
	"io"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/eintr"
)

// CopyFD copies from the open descriptor src to the open descriptor dst
// what [CopyContext] would copy between two *os.File of them, with the
// same methods, the same fallbacks and the same report, but without making
// an *os.File: no fcntl to look at the flags, no registration with Go's
// poller, no finalizer. It is for callers that open many files with
// openat(2) themselves, such as a tree copy, where that setup costs as much
// as copying a small file.
//
// Both descriptors are used at their own file offsets, which advance. n >= 0
// copies at most n bytes (fewer if src ends first, which is no error, as
// with an [io.LimitedReader]); n < 0 copies until EOF. The caller keeps
// both descriptors open until CopyFD returns and closes them.
//
// Other kinds of descriptor work too. A non-blocking one (a pipe, a socket)
// is waited for with poll(2), which the kernel's copy methods do in slices
// of 100 ms that notice a cancelled ctx; on a blocking one the system call
// itself waits, and cancellation is noticed between calls. Errors are the
// *os.SyscallError of the failing call, or ctx.Err(). When both are regular
// files and the first copy_file_range moved everything, the report's
// Source and Destination say "regular file" without naming the filesystem,
// which would cost two more system calls.
func CopyFD(ctx context.Context, dst, src int, n int64, opts ...Option) (written int64, err error) {
	// The copier and the wrappers are pooled: a tree copy calls this once
	// per file, and nothing keeps them once the copy returns.
	w := fdWrappers.Get().(*fdPairWrap)
	defer func() {
		*w = fdPairWrap{}
		fdWrappers.Put(w)
	}()
	c := &w.c
	if err := c.init(ctx, opts); err != nil {
		return 0, err
	}
	w.d.conn, w.s.conn = fdConn(dst), fdConn(src)
	if n < 0 {
		return c.run(&w.d, &w.s)
	}
	w.lr = io.LimitedReader{R: &w.s, N: n}
	return c.run(&w.d, &w.lr)
}

// fdPairWrap is what one CopyFD call wraps its descriptors in.
type fdPairWrap struct {
	c    copier
	d, s fdFile
	lr   io.LimitedReader
}

var fdWrappers = sync.Pool{New: func() any { return new(fdPairWrap) }}

// fdFile is a descriptor that zcopy may use directly ([Descriptor]); its
// Read and Write are plain read(2) and write(2), waiting with poll(2) on
// EAGAIN, for the loops that need them.
type fdFile struct{ conn fdConn }

func (f *fdFile) CopyConn() (syscall.RawConn, error) { return &f.conn, nil }

func (f *fdFile) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		n, err := eintr.RetryValue(func() (int, error) { return unix.Read(int(f.conn), b) })
		switch {
		case err == unix.EAGAIN:
			if err = f.conn.wait(unix.POLLIN); err != nil {
				return 0, os.NewSyscallError("poll", err)
			}
			continue
		case err != nil:
			return 0, os.NewSyscallError("read", err)
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f *fdFile) Write(b []byte) (int, error) {
	written := 0
	for written < len(b) {
		n, err := eintr.RetryValue(func() (int, error) { return unix.Write(int(f.conn), b[written:]) })
		switch {
		case err == unix.EAGAIN:
			if err = f.conn.wait(unix.POLLOUT); err != nil {
				return written, os.NewSyscallError("poll", err)
			}
			continue
		case err != nil:
			return written, os.NewSyscallError("write", err)
		}
		written += n
	}
	return written, nil
}

// fdConn is a syscall.RawConn over a bare descriptor: f runs at once on
// the calling goroutine, and a wait is poll(2).
type fdConn int

func (c *fdConn) Control(f func(fd uintptr)) error {
	f(uintptr(*c))
	return nil
}

func (c *fdConn) Read(f func(fd uintptr) bool) error {
	for !f(uintptr(*c)) {
		if err := c.wait(unix.POLLIN); err != nil {
			return os.NewSyscallError("poll", err)
		}
	}
	return nil
}

func (c *fdConn) Write(f func(fd uintptr) bool) error {
	for !f(uintptr(*c)) {
		if err := c.wait(unix.POLLOUT); err != nil {
			return os.NewSyscallError("poll", err)
		}
	}
	return nil
}

// wait blocks until the descriptor is ready for events (or has an error
// or hang-up to report, which the next call returns).
func (c *fdConn) wait(events int16) error {
	fds := [1]unix.PollFd{{Fd: int32(*c), Events: events}}
	_, err := eintr.RetryValue(func() (int, error) { return unix.Poll(fds[:], -1) })
	return err
}
