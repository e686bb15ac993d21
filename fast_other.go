//go:build !linux

package zcopy

import (
	"io"
	"syscall"
)

// fast has no fast paths outside Linux: the read/write loop copies.
func (c *copier) fast(dst io.Writer, s *source, srcRC, dstRC syscall.RawConn) (written int64, handled bool, err error) {
	return 0, false, nil
}

// readWriteFDs leaves the read/write loop to Read and Write outside Linux.
func (c *copier) readWriteFDs(dst io.Writer, s *source, bufSize int) (written int64, calls int, handled bool, err error) {
	return 0, 0, false, nil
}
