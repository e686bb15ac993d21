package memfs

import (
	"errors"
	"io"
	"os"
	"syscall"

	"github.com/zcopy/zcopy"
)

var _ zcopy.SegmentReader = (*File)(nil)

// ReadSegments implements [zcopy.SegmentReader]: it hands emit the file's
// extents from the offset on, advancing the offset by what emit consumed.
// Host extents come as ranges of the host file's descriptor (held open for
// the call), holes as fills, heap extents as a copy of their bytes taken
// under the file's lock (at most 1 MiB at a time). No lock is held while
// emit runs, so emit may write to any memfs file, this one included.
func (f *File) ReadSegments(emit func(zcopy.Segment) (int64, error)) (int64, error) {
	if err := f.check("read"); err != nil {
		return 0, err
	}
	if err := f.checkRead("read", 0, 0); err != nil {
		return 0, err
	}
	var total int64
	var bounce []byte
	for {
		// The handle's lock is not held while emit runs, so emit may
		// use this very handle.
		f.mu.Lock()
		off := f.off
		f.mu.Unlock()
		node := f.node
		node.mu.RLock()
		e := node.data.find(off)
		if e == nil {
			node.mu.RUnlock()
			return total, nil
		}
		k := off - e.off
		seg := zcopy.Segment{Len: e.n - k}
		var host *backing
		var hoff int64
		switch e.kind {
		case kindFill:
			seg.Fill = e.fill
		case kindHeap:
			if int64(len(bounce)) < seg.Len {
				bounce = make([]byte, min(max(seg.Len, node.data.size-off), maxHeapExtent))
			}
			seg.Len = min(seg.Len, int64(len(bounce)))
			seg.Data = bounce[:seg.Len]
			copy(seg.Data, e.data[k:])
		case kindHost:
			host, hoff = e.host, e.hoff+k
		}
		node.mu.RUnlock()

		var n int64
		var err error
		if host != nil {
			if herr := host.withFile(hoff+seg.Len, func(hf *os.File, own bool) error {
				n, err = emitHost(emit, hf, own, hoff, seg.Len)
				return nil
			}); herr != nil {
				return total, pathErr("read", f.name, herr)
			}
			if be := (*BackingError)(nil); errors.As(err, &be) {
				err = pathErr("read", f.name, err)
			}
		} else {
			n, err = emit(seg)
		}
		f.mu.Lock()
		f.off = off + n
		f.mu.Unlock()
		total += n
		if err != nil {
			return total, err
		}
		if n < seg.Len {
			return total, io.ErrShortWrite
		}
	}
}

// emitHost emits the host range [off, off+n) of hf, as fills of zero
// where the host file has holes (found with SEEK_DATA/SEEK_HOLE on a
// descriptor of our own), so that holes survive a copy out.
func emitHost(emit func(zcopy.Segment) (int64, error), hf *os.File, own bool, off, n int64) (int64, error) {
	end := off + n
	var done int64
	for pos := off; pos < end; {
		seg := zcopy.Segment{File: hf, FileOff: pos, Len: end - pos}
		if own {
			if data, hole, ok := dataAt(hf, pos); ok {
				switch {
				case data < 0:
					// Only a hole follows up to the host file's end,
					// which may now come before ours: the bytes past it
					// are lost, not a hole.
					fi, err := hf.Stat()
					if err != nil {
						return done, &BackingError{HostPath: hf.Name(), Err: err}
					}
					if fi.Size() < end {
						if fi.Size() > pos {
							k, err := emit(zcopy.Segment{Len: fi.Size() - pos})
							done += k
							if err != nil || k < fi.Size()-pos {
								return done, err
							}
						}
						return done, &BackingError{HostPath: hf.Name(), Err: syscall.EIO}
					}
					seg = zcopy.Segment{Len: end - pos}
				case data >= end:
					seg = zcopy.Segment{Len: end - pos}
				case data > pos:
					seg = zcopy.Segment{Len: data - pos}
				default:
					seg.Len = min(hole, end) - pos
				}
			}
		}
		k, err := emit(seg)
		done += k
		pos += k
		if err != nil || k < seg.Len {
			return done, err
		}
	}
	return done, nil
}

// WriteTo copies the file from its offset to w with [zcopy.CopySegments]:
// host extents with copy_file_range or sendfile, holes as holes in a
// regular-file w, heap extents with write. io.Copy and zcopy.Copy use it.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	if err := f.check("read"); err != nil {
		return 0, err
	}
	if err := f.checkRead("read", 0, 0); err != nil {
		return 0, err
	}
	if wf, ok := w.(*File); ok && wf == f {
		// One handle's shared offset on both sides: copy like io.Copy
		// would without WriteTo.
		return io.Copy(writerOnly{w}, readerOnly{f})
	}
	return zcopy.CopySegments(w, f)
}

// readerOnly hides File's WriteTo from io.Copy.
type readerOnly struct{ io.Reader }
