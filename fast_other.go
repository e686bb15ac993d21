//go:build !linux

package zcopy

import (
	"io"
	"sync"
	"syscall"
)

// fastState is the pooled state of a copy: outside Linux only the cached
// RawConns.
type fastState struct {
	rcs [2]rcSlot // the last source's and destination's RawConns
}

var fastStates = sync.Pool{New: func() any { return new(fastState) }}

// fast has no fast paths outside Linux: the read/write loop copies. It puts
// fs back in the pool.
func (c *copier) fast(fs *fastState, dst io.Writer, s *source, srcRC, dstRC syscall.RawConn) (written int64, handled bool, err error) {
	fastStates.Put(fs)
	return 0, false, nil
}

// readWriteFDs leaves the read/write loop to Read and Write outside Linux.
func (c *copier) readWriteFDs(dst io.Writer, s *source, bufSize int) (written int64, calls int, handled bool, err error) {
	return 0, 0, false, nil
}
