// The fast path: the methods of a classified pair tried in order, each
// attempt recorded in the report.

package zcopy

import (
	"fmt"
	"io"
	"os"
	"sync"
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
