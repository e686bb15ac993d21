package zcopy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"sync"
	"syscall"
	"time"

	"github.com/zcopy/zcopy/internal/kcopy"
)

// Copy copies from src to dst until EOF on src or an error, with the
// contract of [io.Copy]: it returns the number of bytes written and the
// first error, and a successful Copy returns err == nil, not io.EOF. It
// reads from src's current offset and writes at dst's, leaving both
// advanced, and honours [*io.LimitedReader] (N is decreased),
// [*io.SectionReader] (its offsets, not the file's), [*bufio.Reader]
// (buffered bytes go first) and [*bufio.Writer] (flushed first).
//
// When both sides reach a file descriptor, Copy moves the bytes with the
// fastest system call that works for the pair (see the package
// documentation); otherwise it is io.Copy.
func Copy(dst io.Writer, src io.Reader) (written int64, err error) {
	c := copier{cfg: config{methods: defaultMethods}}
	return c.run(dst, src)
}

// CopyN copies n bytes (or until an error) from src to dst, with the
// contract of [io.CopyN]: on return written == n if and only if err == nil,
// and a short source gives io.EOF.
func CopyN(dst io.Writer, src io.Reader, n int64) (written int64, err error) {
	written, err = Copy(dst, io.LimitReader(src, n))
	if written == n {
		return n, nil
	}
	if written < n && err == nil {
		err = io.EOF
	}
	return written, err
}

// CopyContext is [Copy] with options and a context. When ctx is cancelled
// the copy stops within one chunk (a few milliseconds of I/O) and returns
// the bytes written so far with ctx.Err(). A copy blocked on a socket or
// pipe is woken by setting a deadline in the past on that side; the
// deadline is cleared again before CopyContext returns. A Read or Write of
// a type without a descriptor cannot be interrupted and is waited for.
func CopyContext(ctx context.Context, dst io.Writer, src io.Reader, opts ...Option) (written int64, err error) {
	c := copier{cfg: config{methods: defaultMethods}}
	if ctx != nil && ctx.Done() != nil {
		c.ctx = ctx
		if err := ctx.Err(); err != nil {
			return 0, err
		}
	}
	for _, o := range opts {
		o(&c.cfg)
	}
	if r := c.cfg.report; r != nil {
		*r = Report{}
	}
	return c.run(dst, src)
}

// maxDepth bounds the re-entry of copy through bufio's WriteTo/ReadFrom.
const maxDepth = 4

var (
	errNilReader    = errors.New("zcopy: nil Reader")
	errNilWriter    = errors.New("zcopy: nil Writer")
	errInvalidWrite = errors.New("invalid write result") // io's own text

	errContinue = kcopy.ErrContinue
	errSameFile = kcopy.ErrSameFile
)

// copier is the state of one Copy call.
type copier struct {
	ctx   context.Context // nil unless cancellable
	cfg   config
	total int64 // bytes written so far, for progress
	depth int
}

func (c *copier) run(dst io.Writer, src io.Reader) (int64, error) {
	if src == nil {
		return 0, errNilReader
	}
	if dst == nil {
		return 0, errNilWriter
	}
	n, err := c.copy(dst, src)
	if err != nil && c.ctx != nil {
		if cerr := c.ctx.Err(); cerr != nil {
			err = cerr
		}
	}
	if r := c.cfg.report; r != nil {
		r.Written = n
	}
	return n, err
}

// copy unwraps both sides and picks the path; it may re-enter itself
// through the probes handed to bufio.
func (c *copier) copy(dst io.Writer, src io.Reader) (int64, error) {
	c.depth++
	n, err := c.copyAt(dst, src)
	c.depth--
	return n, err
}

func (c *copier) copyAt(dst io.Writer, src io.Reader) (int64, error) {
	if bw, ok := dst.(*bufio.Writer); ok && c.depth < maxDepth {
		if err := bw.Flush(); err != nil {
			return 0, err
		}
		// bufio.Writer.ReadFrom hands its inner writer to the probe's
		// WriteTo when the inner writer is an *os.File or net conn.
		h := c.onHeap()
		defer c.fromHeap(h)
		return bw.ReadFrom(&srcProbe{c: h, r: src})
	}

	var s source
	s.unwrap(src)
	if s.limit == 0 {
		return 0, nil
	}
	if s.br != nil && s.limit < 0 && c.depth < maxDepth && isConn(dst) {
		// bufio.Reader.WriteTo writes its buffered bytes through the
		// probe and then passes its inner reader to the probe's
		// ReadFrom, where copy starts again on the descriptor.
		h := c.onHeap()
		defer c.fromHeap(h)
		return s.br.WriteTo(&dstProbe{c: h, w: dst})
	}
	if c.ctx != nil {
		defer c.interruptOnCancel(s.inner(), dst)()
	}

	var written int64
	srcRC, dstRC := s.conn(), rawConn(dst)
	if srcRC != nil && dstRC != nil {
		n, handled, err := c.fast(dst, &s, srcRC, dstRC)
		switch {
		case err == errSameFile:
			// Reading and writing one file interact, so only io.Copy's
			// own buffer size gives io.Copy's result.
			return c.generic(dst, src, &s, 0, true)
		case handled && err != errContinue:
			s.consume(n)
			s.finish()
			return n, wrapErr(err, dst, s.inner())
		}
		written = n
		s.consume(n)
		return c.generic(dst, src, &s, written, false)
	}
	return c.generic(dst, src, &s, 0, true)
}

// generic finishes a copy without a fast path. With delegate set (a side
// without a descriptor, or one file on both sides) it is io.Copy itself, so
// that the types' own WriterTo and ReaderFrom keep working; otherwise, or
// when progress or cancellation is asked for, zcopy's read/write loop.
// written counts bytes a fast path already moved; the loop then only
// confirms EOF or picks up bytes appended since, even if ReadWrite is not
// among the allowed methods.
func (c *copier) generic(dst io.Writer, src io.Reader, s *source, written int64, delegate bool) (int64, error) {
	defer s.finish()
	m := ReadWrite
	if delegate {
		m = Generic
	}
	if !c.cfg.methods.has(m) && written == 0 {
		c.attempt(Attempt{Method: m, Reason: "disabled"})
		return 0, ErrNoMethod
	}
	if delegate && c.ctx == nil && c.cfg.progress == nil {
		if c.cfg.report != nil {
			c.describe(describe(src), describe(dst))
		}
		s.forget() // io.Copy does its own LimitedReader/SectionReader accounting
		n, err := io.Copy(dst, src)
		c.attempt(Attempt{Method: Generic, Used: true, Written: n})
		return n, err
	}
	bufSize := s.bufferSize()
	if delegate {
		bufSize = ioCopyBufferSize(src)
	}
	n, calls, err := c.readWrite(dst, s, bufSize)
	c.attempt(Attempt{Method: m, Used: true, Written: n, Calls: calls})
	return written + n, err
}

// readWrite is the copy loop of io.Copy with a buffer of bufSize bytes,
// positioned reads for a SectionReader source, progress and cancellation.
func (c *copier) readWrite(dst io.Writer, s *source, bufSize int) (written int64, calls int, err error) {
	buf := getBuffer(bufSize)
	defer putBuffer(buf)
	for {
		if c.ctx != nil {
			if err = c.ctx.Err(); err != nil {
				return written, calls, err
			}
		}
		want := len(*buf)
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

// onHeap returns a copy of c for the probes, which escape; c itself stays
// on the stack, which keeps a small Copy free of allocations.
func (c *copier) onHeap() *copier {
	h := new(copier)
	*h = *c
	return h
}

// fromHeap takes back what the probes' copy counted.
func (c *copier) fromHeap(h *copier) { c.total = h.total }

// progress accounts delta written bytes and reports the running total.
func (c *copier) progress(delta int64) {
	c.total += delta
	if c.cfg.progress != nil && delta > 0 {
		c.cfg.progress(c.total)
	}
}

// chunk is the most one fast-path system call may move.
func (c *copier) chunk() int64 {
	switch {
	case c.cfg.chunk > 0:
		return c.cfg.chunk
	case c.cfg.progress != nil || c.ctx != nil:
		return defaultChunk
	}
	return 0
}

type readDeadliner interface{ SetReadDeadline(time.Time) error }
type writeDeadliner interface{ SetWriteDeadline(time.Time) error }

// interruptOnCancel arranges for a cancelled context to wake a copy blocked
// on src or dst by giving them a deadline in the past; the returned func
// undoes it.
func (c *copier) interruptOnCancel(src, dst any) func() {
	if c.ctx == nil {
		return func() {}
	}
	rd, _ := src.(readDeadliner)
	wd, _ := dst.(writeDeadliner)
	if rd == nil && wd == nil {
		return func() {}
	}
	var mu sync.Mutex
	fired, done := false, false
	stop := context.AfterFunc(c.ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return
		}
		fired = true
		past := time.Unix(1, 0)
		if rd != nil {
			rd.SetReadDeadline(past)
		}
		if wd != nil {
			wd.SetWriteDeadline(past)
		}
	})
	return func() {
		stop()
		mu.Lock()
		defer mu.Unlock()
		done = true
		if fired {
			if rd != nil {
				rd.SetReadDeadline(time.Time{})
			}
			if wd != nil {
				wd.SetWriteDeadline(time.Time{})
			}
		}
	}
}

// rawConn returns x's RawConn if x is a syscall.Conn that has one.
func rawConn(x any) syscall.RawConn {
	sc, ok := x.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

func isConn(x any) bool {
	_, ok := x.(syscall.Conn)
	return ok
}
