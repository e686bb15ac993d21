package kcopy

import (
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/eintr"
)

// ReadWrite copies with read(2) (pread(2) at an explicit source position)
// and write(2) through buf, for pairs no other method serves: an O_APPEND
// destination, strict mode, a datagram socket, a terminal. Waits and
// cancellation are those of the other methods (see [Pair.do]): a
// cancellable copy never needs a deadline set on the caller's conns. The
// first read asks for at most first bytes (when first > 0), so that a
// destination refusing its first write leaves the source where io.Copy's
// 32 KiB read leaves it. Errors are *os.SyscallError for "read" or "write"
// with [Pair.FailedSrc] telling which; a read/write loop never falls back.
//
// taken counts the bytes read from the source: more than written when a
// write failed with bytes in buf.
func ReadWrite(p *Pair, remain int64, buf []byte, first int) (written, taken int64, err error) {
	p.r.rw = rwState{buf: buf, first: first}
	written, _, err = p.run(callReadWrite, remain, nil)
	taken = p.r.taken
	p.r.rw = rwState{}
	return written, taken, err
}

// rwState is the buffer of a [ReadWrite] copy between its rounds.
type rwState struct {
	buf      []byte
	first    int
	off, end int  // buf[off:end] is read and not yet written
	eof      bool // the source said EOF
}

// rwRound makes one read or one write.
func (p *Pair) rwRound(s, d int) (side, error) {
	r, rw := &p.r, &p.r.rw
	if rw.off < rw.end {
		k, err := eintr.RetryValue(func() (int, error) { return unix.Write(d, rw.buf[rw.off:rw.end]) })
		if err == unix.EAGAIN {
			return sideDst, err
		}
		if k > 0 {
			rw.off += k
			r.written += int64(k)
			r.lastN += int64(k)
		}
		switch {
		case err != nil:
			r.done, r.err, p.FailedSrc = true, os.NewSyscallError("write", err), false
		case k == 0:
			r.done, r.err, p.FailedSrc = true, io.ErrShortWrite, false
		case rw.off == rw.end && (rw.eof || r.remain == 0):
			r.done = true
		}
		return sideNone, nil
	}
	want := len(rw.buf)
	if r.taken == 0 && rw.first > 0 {
		want = min(want, rw.first)
	}
	if r.remain >= 0 && r.remain < int64(want) {
		want = int(r.remain)
	}
	if want == 0 {
		r.done = true
		return sideNone, nil
	}
	var k int
	var err error
	if off := p.srcOff(); off != nil {
		k, err = eintr.RetryValue(func() (int, error) { return unix.Pread(s, rw.buf[:want], *off) })
	} else {
		k, err = eintr.RetryValue(func() (int, error) { return unix.Read(s, rw.buf[:want]) })
	}
	if err == unix.EAGAIN {
		return sideSrc, err
	}
	switch {
	case err != nil:
		r.done, r.err, p.FailedSrc = true, os.NewSyscallError("read", err), true
	case k <= 0:
		rw.eof, r.done = true, true
	default:
		rw.off, rw.end = 0, k
		r.take(p, int64(k))
	}
	return sideNone, nil
}
