// Which methods a pair of descriptors allows, in which order, and the
// refusals remembered per pair of kinds and filesystems.

package zcopy

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"

	"github.com/zcopy/zcopy/internal/kcopy"
)

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
