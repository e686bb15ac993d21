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
// the bytes written so far with ctx.Err(). Between two descriptors a copy
// waiting on a socket or pipe waits in slices of 100 ms and notices the
// cancellation between them; deadlines the caller set on the conns keep
// working, during and after the copy. When one side has no descriptor zcopy
// may use (see [Descriptor]), the copy runs through Read and Write, and a
// cancellation wakes a blocked conn by setting a deadline in the past on
// it, cleared again before CopyContext returns (a deadline of the caller's
// on that conn is then lost). A Read or Write of a type without a
// descriptor cannot be interrupted and is waited for.
func CopyContext(ctx context.Context, dst io.Writer, src io.Reader, opts ...Option) (written int64, err error) {
	var c copier
	if err := c.init(ctx, opts); err != nil {
		return 0, err
	}
	return c.run(dst, src)
}

// init sets c up for one copy with opts: the default methods, then the
// options, and the report they name cleared. A ctx that can be cancelled
// is kept, and one already cancelled is returned before anything else.
func (c *copier) init(ctx context.Context, opts []Option) error {
	c.cfg = config{methods: defaultMethods}
	if ctx != nil && ctx.Done() != nil {
		c.ctx = ctx
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	for _, o := range opts {
		o(&c.cfg)
	}
	if r := c.cfg.report; r != nil {
		*r = Report{}
	}
	return nil
}

var (
	errNilReader    = errors.New("zcopy: nil Reader")
	errNilWriter    = errors.New("zcopy: nil Writer")
	errInvalidWrite = errors.New("invalid write result") // io's own text

	errContinue = kcopy.ErrContinue
	errSameFile = kcopy.ErrSameFile
)

// copier is the state of one Copy call.
type copier struct {
	ctx       context.Context // nil unless cancellable
	cfg       config
	total     int64 // bytes written so far, for progress
	failedSrc bool  // the fast path's error came from the source
	// The descriptors of a copy on the fast path, for the read/write
	// loop that may finish it, and the source errors should name.
	srcRC, dstRC syscall.RawConn
	srcObj       any
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

// copy unwraps both sides and picks the path: the descriptors' fast path
// when both sides have one zcopy may use, io.Copy itself otherwise.
func (c *copier) copy(dst io.Writer, src io.Reader) (int64, error) {
	if sr, ok := src.(SegmentReader); ok {
		// A source made of host-file ranges, fills and memory (a memfs
		// file) copies each piece its own way. Its callbacks keep a
		// copier, so they get one on the heap: c stays on the stack,
		// which keeps a small Copy free of allocations.
		h := c.onHeap()
		n, _, err := copySegments(h, dst, sr)
		c.total = h.total
		return n, err
	}
	fs := fastStates.Get().(*fastState) // c.fast puts it back
	w, dstRC, err := c.destination(dst, &fs.rcs[1])
	if err != nil {
		fastStates.Put(fs)
		return 0, err
	}
	var s source
	s.unwrap(src)
	if s.limit == 0 {
		fastStates.Put(fs)
		return 0, nil
	}
	var srcObj any
	var srcRC syscall.RawConn
	if dstRC != nil {
		srcObj, srcRC = s.descriptor(&fs.rcs[0])
	}
	if srcRC == nil {
		fastStates.Put(fs)
		return c.generic(dst, src, &s, 0, true)
	}

	var written int64
	if s.br != nil {
		// What the bufio.Reader holds goes first, in one Write as its
		// WriteTo would; then the descriptor under it.
		n, err := c.writeBuffered(w, &s)
		written = n
		if err != nil || s.limit == 0 {
			fastStates.Put(fs)
			s.finish()
			return written, err
		}
	}
	c.srcRC, c.dstRC, c.srcObj = srcRC, dstRC, srcObj
	n, handled, err := c.fast(fs, w, &s, srcRC, dstRC)
	switch {
	case err == errSameFile:
		// Reading and writing one file interact, so only io.Copy's
		// own buffer size gives io.Copy's result.
		m, err := c.generic(dst, src, &s, 0, true)
		return written + m, err
	case handled && err != errContinue && brokenStdout(err, c.failedSrc, w, dstRC):
		// os.File.Write raises SIGPIPE for EPIPE on descriptors 1 and
		// 2, killing the program as a shell pipeline expects: let the
		// read/write loop meet the broken pipe with that Write.
		s.consume(n)
		m, lerr := c.generic(w, src, &s, written+n, false)
		if lerr == nil {
			lerr = wrapErr(err, false, w, srcObj)
		}
		return m, lerr
	case handled && err != errContinue:
		s.consume(n)
		s.finish()
		return written + n, wrapErr(err, c.failedSrc, w, srcObj)
	}
	s.consume(n)
	return c.generic(w, src, &s, written+n, false)
}

// destination returns the writer to copy to and its descriptor, looking
// through bufio.Writers (flushed first) to a type zcopy may bypass. dstRC
// is nil when the copy must go through dst's own methods.
func (c *copier) destination(dst io.Writer, slot *rcSlot) (w io.Writer, dstRC syscall.RawConn, err error) {
	var bws [4]*bufio.Writer
	nbw := 0
	w = dst
	for {
		bw, ok := w.(*bufio.Writer)
		if !ok {
			break
		}
		inner := bufioWriterTarget(bw)
		if inner == nil || nbw == len(bws) {
			return dst, nil, nil
		}
		bws[nbw] = bw
		nbw++
		w = inner
	}
	obj, rc := descriptor(w, slot)
	if rc == nil {
		return dst, nil, nil
	}
	for _, bw := range bws[:nbw] { // outermost first: it flushes into the next
		if err := bw.Flush(); err != nil {
			return dst, nil, err
		}
	}
	return obj.(io.Writer), rc, nil
}

// writeBuffered writes the bytes a bufio.Reader source holds to w.
func (c *copier) writeBuffered(w io.Writer, s *source) (int64, error) {
	k := s.br.Buffered()
	if s.limit >= 0 && int64(k) > s.limit {
		k = int(s.limit)
	}
	s.r, s.br = s.brInner, nil
	if k == 0 {
		return 0, nil
	}
	b, _ := s.br0.Peek(k)
	n, err := w.Write(b)
	if n < 0 || n > k {
		n = 0
		if err == nil {
			err = errInvalidWrite
		}
	}
	s.br0.Discard(n)
	s.consume(int64(n))
	c.progress(int64(n))
	if err == nil && n < k {
		err = io.ErrShortWrite
	}
	c.attempt(Attempt{Method: ReadWrite, Used: true, Written: int64(n), Calls: 1, Reason: "bytes bufio.Reader held"})
	return int64(n), err
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
	if delegate {
		if c.ctx != nil {
			// Read and Write can only be woken by a deadline.
			defer c.interruptOnCancel(s.inner(), dst)()
		}
		if c.cfg.report != nil {
			c.describe(describe(src), describe(dst))
		}
		s.forget() // io.Copy does its own LimitedReader/SectionReader accounting
		n, err := c.ioCopy(dst, src)
		c.attempt(Attempt{Method: Generic, Used: true, Written: n})
		return n, err
	}
	n, calls, err := c.readWrite(dst, s, s.bufferSize())
	c.attempt(Attempt{Method: m, Used: true, Written: n, Calls: calls})
	return written + n, err
}

// progress accounts delta written bytes and reports the running total.
func (c *copier) progress(delta int64) {
	c.total += delta
	if c.cfg.progress != nil && delta > 0 {
		c.cfg.progress(c.total)
	}
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

// ioCopy is io.Copy, making the calls io.Copy makes: src's WriteTo, else
// dst's ReadFrom, else Read and Write. With progress or a context the
// loop writes through a watching writer; a WriteTo or ReadFrom is left
// alone, since what it does depends on the exact types it is handed, and
// its progress is reported when it returns.
func (c *copier) ioCopy(dst io.Writer, src io.Reader) (int64, error) {
	if c.ctx == nil && c.cfg.progress == nil {
		return io.Copy(dst, src)
	}
	_, wt := src.(io.WriterTo)
	_, rf := dst.(io.ReaderFrom)
	if wt || rf {
		n, err := io.Copy(dst, src)
		c.progress(n)
		return n, err
	}
	h := c.onHeap() // the writer keeps it; c stays on the stack
	n, err := io.Copy(&observedWriter{h, dst}, src)
	c.total = h.total
	return n, err
}

// onHeap returns a copy of c for callbacks that keep it.
func (c *copier) onHeap() *copier {
	h := new(copier)
	*h = *c
	return h
}

// observedWriter counts what it writes to w.
type observedWriter struct {
	c *copier
	w io.Writer
}

func (o *observedWriter) Write(b []byte) (int, error) {
	if o.c.ctx != nil {
		if err := o.c.ctx.Err(); err != nil {
			return 0, err
		}
	}
	n, err := o.w.Write(b)
	o.c.progress(int64(max(n, 0)))
	return n, err
}
