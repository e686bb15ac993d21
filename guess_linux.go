// The guess: one likely method tried on a pair of Go's own types before
// anything is classified.

package zcopy

import (
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/kcopy"
)

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
