//go:build amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64 || mips64 || mips64le

package fuse

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"syscall"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/memfs"
)

// handle is an open regular file of the mount. Reads and writes use
// ReadAt and WriteAt; mu guards the memfs handle's offset, which Seek and
// ReadSegments use.
type handle struct {
	mu     sync.Mutex
	f      *memfs.File
	splice bool

	// With passthrough: the inode whose open counts include this handle.
	ino     uint64
	counted bool
}

func (s *Server) newHandle(f *memfs.File) *handle {
	return &handle{f: f, splice: !s.opts.NoSplice}
}

// newCreatedHandle is the handle of a file just created (inode ino): a
// cached open, counted when passthrough is on.
func (s *Server) newCreatedHandle(f *memfs.File, ino uint64) *handle {
	h := s.newHandle(f)
	if s.opts.Passthrough {
		s.pass.mu.Lock()
		s.pass.countsLocked(ino).cached++
		s.pass.mu.Unlock()
		h.ino, h.counted = ino, true
	}
	return h
}

// errStop ends a ReadSegments walk early.
var errStop = errors.New("memfs/fuse: stop")

// read answers a read of len(dest) bytes at off: with the host file's
// descriptor when the range is one untouched host extent (go-fuse splices
// it to the kernel), else with the bytes.
func (h *handle) read(dest []byte, off int64) (gofuse.ReadResult, syscall.Errno) {
	if h.splice && len(dest) > 0 {
		if rr := h.hostRange(off, int64(len(dest))); rr != nil {
			return rr, 0
		}
	}
	k, err := h.f.ReadAt(dest, off)
	if err != nil && err != io.EOF {
		return nil, toErrno(err)
	}
	return gofuse.ReadResultData(dest[:k]), 0
}

// hostRange returns a read result of the host file for [off, off+n) when
// that range (or its part before the end of the file) is one host extent,
// or nil.
func (h *handle) hostRange(off, n int64) gofuse.ReadResult {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, err := h.f.Seek(off, io.SeekStart); err != nil {
		return nil
	}
	var rr gofuse.ReadResult
	h.f.ReadSegments(func(seg zcopy.Segment) (int64, error) {
		if seg.File == nil {
			return 0, errStop
		}
		size := n
		if seg.Len < n {
			// The extent ends before the request does: enough only
			// when the file ends there too (a short reply is EOF).
			fi, err := h.f.Stat()
			if err != nil || off+seg.Len < fi.Size() {
				return 0, errStop
			}
			size = seg.Len
		}
		// The descriptor is the host-file cache's, open only for this
		// call; the reply is spliced after it, so take a duplicate.
		fd, err := unix.FcntlInt(seg.File.Fd(), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return 0, errStop
		}
		hr := &hostRead{off: seg.FileOff, size: int(size)}
		hr.fd.Store(int64(fd))
		rr = hr
		return 0, errStop
	})
	return rr
}

// hostRead is a read reply that go-fuse splices from a host file's
// descriptor (its seekable read result), closed when the reply is sent.
type hostRead struct {
	fd   atomic.Int64
	off  int64
	size int
}

func (r *hostRead) Seekable() (fd uintptr, off int64, sz int) {
	return uintptr(r.fd.Load()), r.off, r.size
}

// Bytes is the fallback when splicing is not possible.
func (r *hostRead) Bytes(buf []byte) ([]byte, gofuse.Status) {
	buf = buf[:min(len(buf), r.size)]
	var done int
	for done < len(buf) {
		k, err := unix.Pread(int(r.fd.Load()), buf[done:], r.off+int64(done))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, gofuse.ToStatus(err)
		}
		if k == 0 {
			break
		}
		done += k
	}
	return buf[:done], gofuse.OK
}

func (r *hostRead) Size() int { return r.size }

func (r *hostRead) Done() {
	if fd := r.fd.Swap(-1); fd >= 0 {
		unix.Close(int(fd))
	}
}

// copyTo copies n bytes at srcOff of h to dstOff of dst (copy_file_range
// inside the mount): host extents are shared (no memory), zero fills past
// the end of dst become a hole, heap bytes and other fills are written.
func (h *handle) copyTo(dst *handle, srcOff, dstOff, n int64) (int64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, err := h.f.Seek(srcOff, io.SeekStart); err != nil {
		return 0, err
	}
	var done int64
	var fill []byte
	_, err := h.f.ReadSegments(func(seg zcopy.Segment) (int64, error) {
		l := min(seg.Len, n-done)
		at := dstOff + done
		var err error
		switch {
		case seg.File != nil:
			err = dst.f.ImportRange(at, seg.File, seg.FileOff, l)
		case seg.Data != nil:
			_, err = dst.f.WriteAt(seg.Data[:l], at)
		default:
			err = writeFill(dst.f, at, l, seg.Fill, &fill)
		}
		if err != nil {
			return 0, err
		}
		done += l
		if done >= n {
			return l, errStop
		}
		return l, nil
	})
	if errors.Is(err, errStop) || errors.Is(err, io.ErrShortWrite) {
		err = nil
	}
	return done, err
}

// writeFill writes n bytes b at off of f: as a hole when they are zeros
// past its end, else as bytes.
func writeFill(f *memfs.File, off, n int64, b byte, buf *[]byte) error {
	if b == 0 {
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if off >= fi.Size() {
			return f.Truncate(off + n)
		}
	}
	if len(*buf) == 0 || (*buf)[0] != b {
		*buf = make([]byte, min(n, 1<<20))
		for i := range *buf {
			(*buf)[i] = b
		}
	}
	for n > 0 {
		chunk := (*buf)[:min(n, int64(len(*buf)))]
		k, err := f.WriteAt(chunk, off)
		if err != nil {
			return err
		}
		off += int64(k)
		n -= int64(k)
	}
	return nil
}
