package zcopy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/kcopy"
)

// probeThreshold is the known size below which zcopy does not set up what
// only pays off on large copies: clones (four extra lseeks), mmap windows,
// a splice from a file through a pipe. Direct one-call paths
// (copy_file_range, sendfile, direct splice) are no dearer than read+write
// even for 1 byte, and neither is a socket's splice through the pooled pipe
// (Go's own TCPConn path does the same at any size).
const probeThreshold = 64 << 10

// guessFirst is how much the guessed copy_file_range between two *os.File
// moves before zcopy classifies the pair: a file up to this size is copied
// with exactly io.Copy's system calls (splitting it costs more in the
// kernel than the calls saved), and copy_file_range reflinks it anyway where
// the filesystem can (the kernel tries remap_file_range first); the rest of
// a larger file is cloned with FICLONERANGE if it can be. A multiple of the
// block size, so that the rest stays aligned.
const guessFirst = 1 << 20

// defaultChunk is how much one system call moves when progress is reported
// or the context can be cancelled: large enough that the syscall cost is
// noise, small enough to report and cancel every few milliseconds.
const defaultChunk = 8 << 20

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

// methodFunc runs one method on a classified pair; dst is the caller's
// writer (for methods that write from user memory, like mmap). Further
// engines (io_uring) plug in by filling a slot.
type methodFunc func(p *kcopy.Pair, remain int64, dst io.Writer) (written int64, handled bool, err error)

var methodFuncs = [numMethods]methodFunc{
	Clone: func(p *kcopy.Pair, remain int64, _ io.Writer) (int64, bool, error) { return kcopy.Clone(p, remain) },
	CopyFileRange: func(p *kcopy.Pair, remain int64, _ io.Writer) (int64, bool, error) {
		return kcopy.CopyFileRange(p, remain)
	},
	Sendfile: func(p *kcopy.Pair, remain int64, _ io.Writer) (int64, bool, error) { return kcopy.Sendfile(p, remain) },
	Splice: func(p *kcopy.Pair, remain int64, _ io.Writer) (int64, bool, error) {
		if p.Src.Kind == kcopy.KindPipe || p.Dst.Kind == kcopy.KindPipe {
			return kcopy.Splice(p, remain)
		}
		return kcopy.SpliceViaPipe(p, remain)
	},
	Mmap: func(p *kcopy.Pair, remain int64, dst io.Writer) (int64, bool, error) {
		return kcopy.Mmap(p, remain, dst.Write)
	},
	Uring: func(p *kcopy.Pair, remain int64, _ io.Writer) (int64, bool, error) { return kcopy.Uring(p, remain) },
}

// Method orders per pair: the first that works moves the bytes.
var (
	fileToFile   = []Method{Clone, Uring, CopyFileRange, Sendfile, Mmap}
	fileToStream = []Method{Sendfile, Splice, Mmap, Uring}
	fileToPipe   = []Method{Splice, Sendfile, Mmap}
	fileToOther  = []Method{Sendfile, Mmap, Uring}
	spliceOnly   = []Method{Splice}
)

func order(s, d *kcopy.Endpoint) []Method {
	switch {
	case s.Kind == kcopy.KindPipe || s.Kind.Stream():
		return spliceOnly
	case s.Kind.Seekable() || s.Kind == kcopy.KindChar:
		switch {
		case d.Kind == kcopy.KindRegular:
			return fileToFile
		case d.Kind.Stream():
			return fileToStream
		case d.Kind == kcopy.KindPipe:
			return fileToPipe
		}
		return fileToOther
	}
	return nil
}

// fastState is everything a fast-path copy needs. It is pooled: with the
// callbacks its Pair binds once, a small copy allocates almost nothing.
type fastState struct {
	p        kcopy.Pair
	se, de   kcopy.Endpoint
	dstKnown bool // the guess classified the destination already
	// cfrRefused: the guess's copy_file_range was refused (and is in the
	// report), so the method order does not ask again.
	cfrRefused bool
	rcs        [2]rcSlot // the last source's and destination's RawConns
}

var fastStates = sync.Pool{New: func() any { return new(fastState) }}

// release takes the byte count from fs, drops its references to the
// caller's descriptors (but for the cached RawConns) and pools it.
func (c *copier) release(fs *fastState) {
	c.total, c.failedSrc = fs.p.Done, fs.p.FailedSrc
	fs.p.Reset()
	fs.se.Reset(nil)
	fs.de.Reset(nil)
	fs.dstKnown, fs.cfrRefused = false, false
	fastStates.Put(fs)
}

// fast runs the methods the pair allows, in order, until one handles the
// copy, and puts fs back in the pool. handled == false means nothing moved
// and the read/write loop should run; err == errContinue means written
// bytes moved and the loop should finish the copy.
func (c *copier) fast(fs *fastState, dst io.Writer, s *source, srcRC, dstRC syscall.RawConn) (written int64, handled bool, err error) {
	defer c.release(fs)
	p := &fs.p
	p.Src, p.Dst, p.Ctx, p.Chunk = &fs.se, &fs.de, c.ctx, c.chunk()
	p.Progress, p.Done, p.Uring = c.cfg.progress, c.total, c.cfg.uring
	remain := s.limit
	srcKnown := false
	if !c.cfg.forced {
		n, done, known, err := c.guess(fs, s, dst, srcRC, dstRC)
		if done {
			if c.cfg.report != nil && fdPair(s, dst) {
				// copy_file_range moved it all: two regular files.
				c.describe(kcopy.KindRegular.String(), kcopy.KindRegular.String())
			} else if c.cfg.report != nil {
				var se, de kcopy.Endpoint
				kcopy.Classify(srcRC, &se, false)
				kcopy.Classify(dstRC, &de, true)
				c.describe(describeEnd(&se, srcRC), describeEnd(&de, dstRC))
			}
			return n, true, err
		}
		written, srcKnown = n, known
		if remain > 0 {
			remain -= n
		}
	}

	se, de := &fs.se, &fs.de
	if (!srcKnown && kcopy.Classify(srcRC, se, false) != nil) || (!fs.dstKnown && kcopy.Classify(dstRC, de, true) != nil) {
		// A closed or odd descriptor: the read/write loop reports it
		// the way io.Copy would.
		return written, written > 0, errContinue
	}
	s.seekable = se.Kind.Seekable()
	s.msgSrc, s.msgDst = se.Kind == kcopy.KindSocket, de.Kind == kcopy.KindSocket
	if s.ra != nil {
		se.Pos = s.pos + written
	}
	if c.cfg.report != nil {
		c.describe(describeEnd(se, srcRC), describeEnd(de, dstRC))
	}
	if de.ReadOnly && written == 0 {
		// io.Copy's copy_file_range fails at once, before reading
		// a byte; the read/write loop would read first.
		c.attempt(Attempt{Method: CopyFileRange, Reason: "EBADF", Calls: 0})
		return 0, true, os.NewSyscallError("write", unix.EBADF)
	}
	if se.Kind == kcopy.KindRegular && de.Kind == kcopy.KindRegular && se.Dev == de.Dev && se.Ino == de.Ino {
		if written > 0 {
			return written, true, errContinue
		}
		c.attempt(Attempt{Method: Generic, Reason: "same file"})
		return 0, false, errSameFile
	}
	// known approximates the bytes to copy for the size thresholds.
	known := remain
	if se.Kind.Seekable() && se.Size >= 0 && (known < 0 || se.Size < known) {
		known = se.Size
	}
	for _, m := range order(se, de) {
		if m == CopyFileRange && fs.cfrRefused {
			continue
		}
		if reason := c.skip(m, se, de, known); reason != "" {
			if reason != optIn {
				c.attempt(Attempt{Method: m, Reason: reason})
			}
			continue
		}
		key := probeKey{m, se.Kind, de.Kind, se.Dev, de.Dev}
		if r, ok := probeCache.load(key); ok {
			if c.cfg.report != nil { // the text would allocate
				c.attempt(Attempt{Method: m, Reason: r + " (cached)"})
			}
			continue
		}
		calls := p.Calls
		n, ok, err := methodFuncs[m](p, remain, dst)
		if !ok && err == kcopy.ErrNoProgress && written > 0 {
			// A method that already moved bytes for this copy (the
			// guess, a clone) found the source at its end: EOF.
			return written, true, nil
		}
		if !ok {
			reason := reasonText(err)
			if kcopy.StickyFallback(err) {
				probeCache.store(key, reason)
			}
			c.attempt(Attempt{Method: m, Reason: reason, Calls: p.Calls - calls})
			continue
		}
		c.used(m, p, calls, n)
		written += n
		if remain > 0 {
			remain -= n
		}
		if m == Clone && err == nil && remain != 0 {
			// Let copy_file_range pick up bytes appended since the
			// size was read, and confirm EOF.
			continue
		}
		return written, true, err
	}
	if written > 0 {
		return written, true, errContinue
	}
	if c.cfg.forced && !c.cfg.methods.has(ReadWrite) {
		return 0, true, fmt.Errorf("%w: %s -> %s", ErrNoMethod, se.Kind, de.Kind)
	}
	return 0, false, nil
}

// guess tries, without classifying both descriptors, the one method that
// most likely serves pairs of Go's own types: copy_file_range between two
// *os.File (splice when the source turns out to be a pipe, or the
// destination one), sendfile from an *os.File into a stream conn, splice
// through a pooled pipe from a stream conn. When the guess is right a small
// copy costs io.Copy's system calls or fewer; when it is wrong it costs a
// failed call, and the caller classifies. copy_file_range is first tried
// for guessFirst bytes only, so that a large file still gets classified
// and cloned. srcKnown reports that fs.se holds the source's
// classification. Reports list the guesses like any other attempt.
func (c *copier) guess(fs *fastState, s *source, dst io.Writer, srcRC, dstRC syscall.RawConn) (written int64, done, srcKnown bool, err error) {
	p := &fs.p
	fs.se.Reset(srcRC)
	fs.de.Reset(dstRC)
	if s.ra != nil {
		fs.se.Pos = s.pos
	}
	if fdPair(s, dst) {
		return c.guessFiles(fs, s, srcRC) // CopyFD
	}
	switch s.inner().(type) {
	case *os.File:
		switch d := dst.(type) {
		case *os.File:
			return c.guessFiles(fs, s, srcRC)
		case *net.TCPConn, *net.UnixConn:
			if c.cfg.strict || !c.cfg.methods.has(Sendfile) || !isStream(d) {
				return 0, false, false, nil // strict needs the source's kind
			}
			fs.de.Kind = kcopy.KindTCP // a stream socket: sendfile waits on it
			n, handled, err := c.try(Sendfile, p, s.limit)
			return n, handled, false, err
		}
	case *net.TCPConn, *net.UnixConn:
		if !isStream(s.inner()) || !c.cfg.methods.has(Splice) {
			return 0, false, false, nil
		}
		switch d := dst.(type) {
		case *os.File, *net.TCPConn, *net.UnixConn:
			if !isStream(d) {
				return 0, false, false, nil
			}
			// Through a pooled pipe, as Go's own TCPConn paths do; a
			// destination that refuses splice gets the bytes by
			// read/write (ErrContinue).
			fs.se.Kind, fs.de.Kind = kcopy.KindTCP, kcopy.KindOther
			n, handled, err := c.try(Splice, p, s.limit)
			return n, handled, false, err
		}
	}
	return 0, false, false, nil
}

// guessFiles is guess for two *os.File.
func (c *copier) guessFiles(fs *fastState, s *source, srcRC syscall.RawConn) (written int64, done, srcKnown bool, err error) {
	p := &fs.p
	if c.cfg.methods.has(CopyFileRange) {
		known, refused := c.refusedBefore(fs, s)
		if refused {
			return 0, false, true, nil
		}
		srcKnown = known
		first := int64(guessFirst)
		if s.limit >= 0 && s.limit < first {
			first = s.limit
		}
		n, handled, err := c.try(CopyFileRange, p, first)
		if !handled {
			fs.cfrRefused = true
			srcKnown = c.rememberRefusal(fs, s, srcKnown, err)
			if err != unix.EINVAL || !srcKnown {
				return 0, false, srcKnown, nil
			}
		} else {
			if err != nil || n < first || n == s.limit {
				return n, true, false, err
			}
			// Exactly the probe's worth moved: if what is left is
			// small too, finish without classifying the pair.
			if !srcKnown && kcopy.Classify(srcRC, &fs.se, false) != nil {
				return n, false, false, nil
			}
			fs.se.Pos = -1
			if s.ra != nil {
				fs.se.Pos = s.pos + n
			}
			if fs.se.Kind != kcopy.KindRegular || fs.se.Size-n >= probeThreshold {
				return n, false, true, nil
			}
			rest := int64(-1)
			if s.limit >= 0 {
				rest = s.limit - n
			}
			m, handled, err := c.try(CopyFileRange, p, rest)
			switch {
			case handled:
				return n + m, true, true, err
			case err == kcopy.ErrNoProgress: // 0 bytes: at EOF
				return n, true, true, nil
			}
			// Refused after the first MiB moved (an O_DIRECT tail, a
			// file size limit, a seal): never EOF; the other methods
			// or the read/write loop finish and meet the real error.
			return n, false, true, nil
		}
	}
	// Not two regular files. A pipe source (stdin), or a file source
	// with a pipe destination (stdout), splices directly; anything else
	// is classified.
	if !srcKnown {
		if kcopy.Classify(srcRC, &fs.se, false) != nil {
			return 0, false, false, nil
		}
		if s.ra != nil {
			fs.se.Pos = s.pos
		}
	}
	switch {
	case !c.cfg.methods.has(Splice):
	case fs.se.Kind == kcopy.KindPipe:
		n, handled, err := c.tryFunc(Splice, p, s.limit, kcopy.Splice)
		return n, handled, true, err
	case fs.se.Kind == kcopy.KindRegular && fs.se.Size > 0 && !c.cfg.strict:
		// A file splices directly only into a pipe (stdout): know
		// the destination first, rather than make a call that fails
		// into /dev/null or a device.
		if !fs.dstKnown {
			if kcopy.Classify(fs.de.RC, &fs.de, true) != nil {
				return 0, false, true, nil
			}
			fs.dstKnown = true
		}
		if fs.de.Kind == kcopy.KindPipe {
			n, handled, err := c.tryFunc(Splice, p, s.limit, kcopy.Splice)
			return n, handled, true, err
		}
	}
	return 0, false, true, nil
}

// guessRefusals counts the pairs of kinds and filesystems that refused a
// guessed copy_file_range for a reason that holds for every copy between
// them (EXDEV, a pipe or a device on one side). Until there is one, a
// guess costs no classification; after, a guess first classifies both
// sides and looks its pair up, so that a later copy of a refusing pair
// goes straight to the method that worked.
var guessRefusals atomic.Int32

// refusedBefore classifies both sides when some pair refused a guess
// before, and reports whether this pair did.
func (c *copier) refusedBefore(fs *fastState, s *source) (classified, refused bool) {
	if guessRefusals.Load() == 0 {
		return false, false
	}
	if !c.classifyBoth(fs, s) {
		return false, false
	}
	key := probeKey{CopyFileRange, fs.se.Kind, fs.de.Kind, fs.se.Dev, fs.de.Dev}
	_, refused = probeCache.load(key)
	return true, refused
}

// classifyBoth classifies both sides of a guess, keeping the source's
// explicit position. On failure (a closed descriptor) the caller goes on
// unclassified and the read/write loop reports it.
func (c *copier) classifyBoth(fs *fastState, s *source) bool {
	ok := kcopy.Classify(fs.se.RC, &fs.se, false) == nil && kcopy.Classify(fs.de.RC, &fs.de, true) == nil
	if s.ra != nil {
		fs.se.Pos = s.pos
	}
	fs.dstKnown = ok
	return ok
}

// rememberRefusal classifies both sides after a refused guess (the caller
// would next) and caches the refusal if it holds for the pair of kinds and
// filesystems. It reports whether the source is classified.
func (c *copier) rememberRefusal(fs *fastState, s *source, classified bool, err error) bool {
	if !classified && !c.classifyBoth(fs, s) {
		return false
	}
	regular := fs.se.Kind == kcopy.KindRegular && fs.de.Kind == kcopy.KindRegular
	if kcopy.StickyFallback(err) || (err == unix.EINVAL && !regular) {
		key := probeKey{CopyFileRange, fs.se.Kind, fs.de.Kind, fs.se.Dev, fs.de.Dev}
		if probeCache.store(key, reasonText(err)) {
			guessRefusals.Add(1)
		}
	}
	return true
}

// try runs method m's function and records the attempt in the report.
func (c *copier) try(m Method, p *kcopy.Pair, remain int64) (int64, bool, error) {
	return c.tryFunc(m, p, remain, func(p *kcopy.Pair, remain int64) (int64, bool, error) {
		return methodFuncs[m](p, remain, nil)
	})
}

// tryFunc runs fn for method m and records the attempt in the report.
func (c *copier) tryFunc(m Method, p *kcopy.Pair, remain int64, fn func(*kcopy.Pair, int64) (int64, bool, error)) (int64, bool, error) {
	calls := p.Calls
	n, handled, err := fn(p, remain)
	if handled {
		c.used(m, p, calls, n)
	} else {
		c.attempt(Attempt{Method: m, Reason: reasonText(err), Calls: p.Calls - calls})
	}
	return n, handled, err
}

// used records in the report that method m moved n bytes in the calls
// made since calls. Bytes a splice had to hand over by read/write
// (kcopy.Pair.Drained) are listed as read/write.
func (c *copier) used(m Method, p *kcopy.Pair, calls int, n int64) {
	drained := p.Drained
	p.Drained = 0
	if drained == 0 {
		c.attempt(Attempt{Method: m, Used: true, Written: n, Calls: p.Calls - calls})
		return
	}
	if n > drained {
		c.attempt(Attempt{Method: m, Used: true, Written: n - drained, Calls: p.Calls - calls})
	} else {
		c.attempt(Attempt{Method: m, Reason: "destination refused splice", Calls: p.Calls - calls})
	}
	c.attempt(Attempt{Method: ReadWrite, Used: true, Written: drained, Reason: "bytes splice had taken"})
}

// isStream reports whether x is not a datagram or seqpacket *net.UnixConn.
func isStream(x any) bool {
	u, ok := x.(*net.UnixConn)
	return !ok || u.LocalAddr().Network() == "unix"
}

// optIn marks a method skipped only because it is not enabled by default;
// reports leave it out.
const optIn = "opt-in"

// skip says why method m cannot or should not copy this pair; "" means try it.
func (c *copier) skip(m Method, s, d *kcopy.Endpoint, known int64) string {
	if !c.cfg.methods.has(m) {
		if !defaultMethods.has(m) && !c.cfg.forced {
			return optIn
		}
		return "disabled"
	}
	if m == Uring && !c.cfg.forced && !uringPays(s, d, known) {
		return optIn // chosen by default only where it measured faster
	}
	small := !c.cfg.forced && known >= 0 && known < probeThreshold
	pageRefs := s.Kind.Seekable() && (d.Kind == kcopy.KindPipe || d.Kind.Stream())
	switch {
	case d.Append && m != Mmap:
		return "O_APPEND destination"
	case s.Kind == kcopy.KindRegular && s.Size == 0:
		// procfs and sysfs files say 0 and have bytes; a read tells.
		return "source size 0"
	case c.cfg.strict && pageRefs && (m == Sendfile || m == Splice):
		return "strict mode"
	}
	switch m {
	case Clone, CopyFileRange:
		if s.Kind != kcopy.KindRegular {
			return "source is a " + s.Kind.String()
		}
		if m == Clone && small {
			return "below 64 KiB"
		}
	case Splice:
		if s.Kind.Seekable() && d.Kind != kcopy.KindPipe && small {
			// File to socket through a pipe: two calls where
			// sendfile makes one.
			return "below 64 KiB"
		}
		if d.Kind == kcopy.KindOther || d.Kind == kcopy.KindSocket {
			return "destination is a " + d.Kind.String()
		}
	case Sendfile:
		if d.Kind == kcopy.KindOther || d.Kind == kcopy.KindSocket {
			return "destination is a " + d.Kind.String()
		}
	case Uring:
		if !s.Kind.Seekable() {
			return "source is a " + s.Kind.String()
		}
		if !d.Kind.Seekable() && !d.Kind.Stream() {
			return "destination is a " + d.Kind.String()
		}
	case Mmap:
		if s.Kind != kcopy.KindRegular || s.Size == 0 {
			return "source is not a regular file"
		}
		if small {
			return "below 64 KiB"
		}
	}
	return ""
}

// probeKey identifies a (method, kinds, filesystems) combination whose
// probe result can be reused.
type probeKey struct {
	m          Method
	sk, dk     kcopy.Kind
	sdev, ddev uint64
}

// probeCache remembers fallbacks that are properties of the pair of
// filesystems (EXDEV, EOPNOTSUPP, ENOSYS), so later copies skip the probe.
var probeCache refusals

// refusals maps a probeKey to the reason its method was refused. A map
// under a lock rather than a sync.Map, whose any keys would allocate the
// probeKey on every lookup of a small copy.
type refusals struct {
	mu sync.RWMutex
	m  map[probeKey]string
}

func (r *refusals) load(k probeKey) (string, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	reason, ok := r.m[k]
	return reason, ok
}

// store records k's refusal unless one is known; it reports whether k is new.
func (r *refusals) store(k probeKey, reason string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.m[k]; ok {
		return false
	}
	if r.m == nil {
		r.m = make(map[probeKey]string)
	}
	r.m[k] = reason
	return true
}

func reasonText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if name := errnoName(errno); name != "" {
			return name
		}
	}
	if err == nil {
		return "not handled"
	}
	return err.Error()
}

func describeEnd(e *kcopy.Endpoint, rc syscall.RawConn) string {
	if e.Kind == kcopy.KindRegular { // a device node's filesystem says nothing
		if fs := kcopy.FSName(rc); fs != "" {
			return e.Kind.String() + " (" + fs + ")"
		}
	}
	return e.Kind.String()
}

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
