package zcopy

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"syscall"
)

// wrapErr gives a fast-path error the shape io.Copy's Read or Write error
// would have, naming the side that failed: a *fs.PathError for a file, a
// *net.OpError for a connection, around the *os.SyscallError that names the
// system call (or os.ErrClosed for a descriptor closed under the copy, as
// os.File reports it). Errors of other kinds, such as context errors, come
// back as they are.
func wrapErr(err error, failedSrc bool, dst, src any) error {
	if err == nil {
		return nil
	}
	op, side := "write", dst
	if failedSrc {
		op, side = "read", src
	}
	var oe *net.OpError
	if errors.As(err, &oe) && (oe.Op == "raw-read" || oe.Op == "raw-write") {
		// A conn's RawConn failed (closed, deadline): io.Copy would have
		// seen it from Read or Write.
		err = oe.Err
	} else if err.Error() == fileClosing {
		err = os.ErrClosed
	} else if !isSyscallError(err) && !errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	switch s := side.(type) {
	case *os.File:
		// os.File's Read and Write put the errno itself under the
		// PathError; its ReadFrom and WriteTo the *os.SyscallError of
		// the copy call.
		var se *os.SyscallError
		if errors.As(err, &se) && (se.Syscall == "read" || se.Syscall == "write") {
			err = se.Err
		}
		return &fs.PathError{Op: op, Path: s.Name(), Err: err}
	case net.Conn:
		if err == os.ErrClosed {
			err = net.ErrClosed
		}
		return &net.OpError{Op: op, Net: s.LocalAddr().Network(), Source: s.LocalAddr(), Addr: s.RemoteAddr(), Err: err}
	}
	return err
}

// fileClosing is the text of internal/poll's ErrFileClosing, which an
// *os.File's RawConn returns once the file is closed; os turns it into
// os.ErrClosed, std exports no sentinel for it.
const fileClosing = "use of closed file"

func isSyscallError(err error) bool {
	var se *os.SyscallError
	return errors.As(err, &se)
}

// brokenStdout reports whether err is EPIPE from writing to descriptor 1
// or 2 through an *os.File, where os.File.Write would raise SIGPIPE.
func brokenStdout(err error, failedSrc bool, w any, rc syscall.RawConn) bool {
	return !failedSrc && errors.Is(err, syscall.EPIPE) && isStdoutOrErr(w, rc)
}

// isStdoutOrErr reports whether w is an *os.File on descriptor 1 or 2.
func isStdoutOrErr(w any, rc syscall.RawConn) bool {
	if _, ok := w.(*os.File); !ok {
		return false
	}
	std := false
	rc.Control(func(fd uintptr) { std = fd == 1 || fd == 2 })
	return std
}
