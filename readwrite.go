// The read/write loop: io.Copy's loop with a sized buffer, positioned
// reads, progress and cancellation.

package zcopy

import "io"

// readWrite is the copy loop of io.Copy with a buffer of bufSize bytes,
// positioned reads for a SectionReader source, progress and cancellation.
func (c *copier) readWrite(dst io.Writer, s *source, bufSize int) (written int64, calls int, err error) {
	if n, calls, handled, err := c.readWriteFDs(dst, s, bufSize); handled {
		return n, calls, err
	}
	if c.ctx != nil {
		// Read and Write can only be woken by a deadline.
		defer c.interruptOnCancel(s.inner(), dst)()
	}
	buf := getBuffer(bufSize)
	defer putBuffer(buf)
	for {
		if c.ctx != nil {
			if err = c.ctx.Err(); err != nil {
				return written, calls, err
			}
		}
		want := len(*buf)
		if calls == 0 && !s.msgSrc {
			// The first read takes no more than io.Copy's would, so
			// that a destination refusing its first write leaves the
			// source where io.Copy leaves it.
			want = min(want, ioCopyBuffer)
		}
		if s.limit >= 0 && s.limit < int64(want) {
			want = int(s.limit)
		}
		if want == 0 {
			return written, calls, nil
		}
		var nr int
		var er error
		if s.ra != nil {
			nr, er = s.ra.ReadAt((*buf)[:want], s.pos)
		} else {
			nr, er = s.r.Read((*buf)[:want])
		}
		calls++
		s.consume(int64(max(nr, 0)))
		if nr > 0 {
			nw, ew := dst.Write((*buf)[:nr])
			calls++
			if nw < 0 || nr < nw {
				nw = 0
				if ew == nil {
					ew = errInvalidWrite
				}
			}
			written += int64(nw)
			c.progress(int64(nw))
			if ew != nil {
				return written, calls, ew
			}
			if nr != nw {
				return written, calls, io.ErrShortWrite
			}
		}
		if er != nil {
			if er != io.EOF {
				err = er
			}
			return written, calls, err
		}
	}
}
