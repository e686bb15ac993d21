// The read/write loop on the two descriptors of a fast-path copy.

package zcopy

import (
	"io"

	"github.com/zcopy/zcopy/internal/kcopy"
)

// readWriteFDs is the read/write loop on the two descriptors of a fast-path
// copy (kcopy.ReadWrite): one hold of both, the poller's waits, and
// cancellation without deadlines. A stdout or stderr destination keeps
// os.File.Write, which raises SIGPIPE on a broken pipe as a program's
// io.Copy would; handled == false leaves the copy to that loop.
func (c *copier) readWriteFDs(dst io.Writer, s *source, bufSize int) (written int64, calls int, handled bool, err error) {
	if c.srcRC == nil || c.dstRC == nil || isStdoutOrErr(dst, c.dstRC) {
		return 0, 0, false, nil
	}
	fs := fastStates.Get().(*fastState)
	defer c.release(fs)
	p := &fs.p
	fs.se.Reset(c.srcRC)
	fs.de.Reset(c.dstRC)
	if s.ra != nil {
		fs.se.Pos = s.pos
	}
	p.Src, p.Dst, p.Ctx = &fs.se, &fs.de, c.ctx
	p.Progress, p.Done = c.cfg.progress, c.total
	buf := getBuffer(bufSize)
	defer putBuffer(buf)
	first := ioCopyBuffer
	if s.msgSrc {
		first = 0 // a datagram is read whole
	}
	n, taken, err := kcopy.ReadWrite(p, s.limit, *buf, first)
	if err != nil && n == 0 && taken == 0 && !p.FailedSrc {
		// The destination could not be taken (closed before the
		// copy): io.Copy reads first and meets the error in Write,
		// which the plain loop does too.
		return 0, 0, false, nil
	}
	s.consume(taken)
	return n, p.Calls, true, wrapErr(err, p.FailedSrc, dst, c.srcObj)
}
