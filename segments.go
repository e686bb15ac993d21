package zcopy

import (
	"context"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// A Segment is one piece of a [SegmentReader]'s content: Len bytes that
// are either the range [FileOff, FileOff+Len) of the host file File, the
// bytes Data (len(Data) == Len), or, when both are unset, Len copies of
// Fill (a hole when Fill is 0).
type Segment struct {
	Len     int64
	File    *os.File
	FileOff int64
	Data    []byte
	Fill    byte
}

// A SegmentReader is a reader whose content is made of segments, such as
// a file of the memfs package: ranges of host files, runs of one byte and
// bytes in memory. [CopySegments] copies such a source without reading it:
// host ranges go with copy_file_range or sendfile from the host file's
// descriptor, holes stay holes, and only in-memory bytes are written.
type SegmentReader interface {
	io.Reader
	// ReadSegments calls emit for the segments from the reader's offset to
	// its end, in order, and advances the offset by what emit consumed.
	// emit returns the bytes of the segment it consumed; when that is
	// short or it returns an error, ReadSegments stops and returns the
	// total consumed and the error. A Segment's File and Data are valid
	// only during the call to emit, which must not retain them.
	ReadSegments(emit func(Segment) (int64, error)) (int64, error)
}

// CopySegments copies src to dst like [Copy], taking the segments' own
// paths: a host-file segment is copied as an [io.SectionReader] of its
// file (copy_file_range to a file, sendfile to a socket or pipe, see
// [Copy]), a run of zeros at or past the end of a regular-file destination
// becomes a hole (by seeking, then ftruncate at the end), and bytes in
// memory are written. The options are those of [CopyContext]; a report
// lists the methods used, with "hole" for skipped zeros. The result is
// byte-identical to io.Copy's.
func CopySegments(dst io.Writer, src SegmentReader, opts ...Option) (int64, error) {
	var c copier
	c.init(context.Background(), opts) // not cancellable: init cannot fail
	n, _, err := copySegments(&c, dst, src)
	if r := c.cfg.report; r != nil {
		r.Written = n
	}
	return n, err
}

// fillBuffer is the largest write copySegments makes for a fill.
const fillBuffer = 64 << 10

// copySegments is the segment path of copy: it moves every byte of src
// (handled is always true once called).
func copySegments(c *copier, dst io.Writer, src SegmentReader) (written int64, handled bool, err error) {
	sink := newSegmentSink(dst)
	if c.cfg.report != nil {
		c.describe(describe(src), sink.describe)
	}
	stats := map[Method]*Attempt{}
	var order []Method
	note := func(a Attempt) {
		s := stats[a.Method]
		if s == nil {
			s = &Attempt{Method: a.Method}
			stats[a.Method] = s
			order = append(order, a.Method)
		}
		s.Used = s.Used || a.Used
		s.Written += a.Written
		s.Calls += a.Calls
		if !s.Used && s.Reason == "" {
			s.Reason = a.Reason
		}
	}
	var fill []byte // a run of one byte for fills
	emit := func(seg Segment) (int64, error) {
		if c.ctx != nil {
			if err := c.ctx.Err(); err != nil {
				return 0, err
			}
		}
		var n int64
		var err error
		switch {
		case seg.File != nil:
			child := copier{ctx: c.ctx, cfg: c.cfg, total: c.total}
			var rep Report
			if c.cfg.report != nil {
				child.cfg.report = &rep
			}
			n, err = child.copy(dst, io.NewSectionReader(seg.File, seg.FileOff, seg.Len))
			c.total = child.total
			for _, a := range rep.Attempts {
				note(a)
			}
			if err == nil && n < seg.Len {
				// The host file shrank under the source.
				err = &fs.PathError{Op: "read", Path: seg.File.Name(), Err: syscall.EIO}
			}
			sink.advance(n)
			return n, err
		case seg.Data != nil:
			var nw int
			nw, err = dst.Write(seg.Data)
			n = int64(max(nw, 0))
			if err == nil && n < seg.Len {
				err = io.ErrShortWrite
			}
			note(Attempt{Method: ReadWrite, Used: true, Written: n, Calls: 1})
		case seg.Fill == 0 && sink.canHole():
			if err = sink.skip(seg.Len); err == nil {
				n = seg.Len
			}
			note(Attempt{Method: Hole, Used: true, Written: n, Calls: 1})
			c.progress(n)
			return n, err
		default:
			if want := min(seg.Len, fillBuffer); int64(len(fill)) < want || len(fill) > 0 && fill[0] != seg.Fill {
				fill = make([]byte, want)
				if seg.Fill != 0 {
					for i := range fill {
						fill[i] = seg.Fill
					}
				}
			}
			calls := 0
			for n < seg.Len && err == nil {
				var nw int
				nw, err = dst.Write(fill[:min(seg.Len-n, int64(len(fill)))])
				n += int64(max(nw, 0))
				calls++
			}
			note(Attempt{Method: ReadWrite, Used: true, Written: n, Calls: calls})
		}
		sink.advance(n)
		c.progress(n)
		return n, err
	}
	written, err = src.ReadSegments(emit)
	if err == nil {
		err = sink.finish()
	}
	for _, m := range order {
		c.attempt(*stats[m])
	}
	return written, true, err
}

// segmentSink tracks a destination's offset and size so that copySegments
// can leave holes: only past the end of a regular file without O_APPEND
// (a seek over existing bytes would keep them, where io.Copy writes zeros).
type segmentSink struct {
	f         *os.File // nil: no holes
	pos, size int64
	describe  string
}

func (s *segmentSink) canHole() bool { return s.f != nil && s.pos >= s.size }

// skip seeks past n bytes, leaving a hole.
func (s *segmentSink) skip(n int64) error {
	if _, err := s.f.Seek(n, io.SeekCurrent); err != nil {
		return err
	}
	s.pos += n
	return nil
}

// advance accounts n bytes written.
func (s *segmentSink) advance(n int64) {
	if s.f != nil {
		s.pos += n
		s.size = max(s.size, s.pos)
	}
}

// finish gives the file its size when it ends in a hole.
func (s *segmentSink) finish() error {
	if s.f != nil && s.pos > s.size {
		return s.f.Truncate(s.pos)
	}
	return nil
}
