package zcopy

import (
	"errors"
	"io/fs"
	"net"
	"os"
)

// wrapErr gives a fast-path error the shape io.Copy's would have: a
// *fs.PathError naming the file (like os.File.ReadFrom's "write" errors)
// or a *net.OpError naming the connection, around the *os.SyscallError that
// names the system call. Errors from Read and Write, and context errors,
// are returned as they are.
func wrapErr(err error, dst, src any) error {
	if err == nil || !isSyscallError(err) {
		return err
	}
	switch d := dst.(type) {
	case *os.File:
		return &fs.PathError{Op: "write", Path: d.Name(), Err: err}
	case net.Conn:
		return &net.OpError{Op: "write", Net: d.LocalAddr().Network(), Source: d.LocalAddr(), Addr: d.RemoteAddr(), Err: err}
	}
	switch s := src.(type) {
	case *os.File:
		return &fs.PathError{Op: "read", Path: s.Name(), Err: err}
	case net.Conn:
		return &net.OpError{Op: "read", Net: s.LocalAddr().Network(), Source: s.LocalAddr(), Addr: s.RemoteAddr(), Err: err}
	}
	return err
}

func isSyscallError(err error) bool {
	var se *os.SyscallError
	return errors.As(err, &se)
}
