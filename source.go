package zcopy

import (
	"bufio"
	"fmt"
	"io"
	"syscall"
)

// source is the reader side of a copy after unwrapping.
type source struct {
	r     io.Reader   // innermost reader (nil for a SectionReader source)
	ra    io.ReaderAt // positioned source behind a SectionReader
	pos   int64       // absolute read position in ra
	limit int64       // bytes left to copy, -1 for no limit
	read  int64       // bytes consumed so far

	lrs   [4]*io.LimitedReader // LimitedReaders to charge, outermost first
	nlr   int
	sr    *io.SectionReader
	srPos int64 // sr's position before the copy
	br    *bufio.Reader

	seekable bool // the fast path found a regular file or block device
}

// unwrap peels LimitedReaders, a SectionReader and a bufio.Reader off r.
func (s *source) unwrap(r io.Reader) {
	s.limit = -1
	for {
		switch t := r.(type) {
		case *io.LimitedReader:
			if s.nlr == len(s.lrs) {
				s.r = r
				return
			}
			s.lrs[s.nlr] = t
			s.nlr++
			if n := max(t.N, 0); s.limit < 0 || n < s.limit {
				s.limit = n
			}
			r = t.R
			continue
		case *io.SectionReader:
			pos, _ := t.Seek(0, io.SeekCurrent)
			ra, base, size := t.Outer()
			s.sr, s.srPos, s.ra, s.pos = t, pos, ra, base+pos
			if n := max(size-pos, 0); s.limit < 0 || n < s.limit {
				s.limit = n
			}
			return
		case *bufio.Reader:
			s.br = t
		}
		s.r = r
		return
	}
}

// inner is the object reads reach after unwrapping.
func (s *source) inner() any {
	if s.ra != nil {
		return s.ra
	}
	return s.r
}

// conn is the source's RawConn, if a bufio.Reader is not in the way.
func (s *source) conn() syscall.RawConn {
	if s.br != nil {
		return nil
	}
	return rawConn(s.inner())
}

// consume accounts n bytes read from the source.
func (s *source) consume(n int64) {
	s.read += n
	s.pos += n
	if s.limit > 0 {
		s.limit -= n
	}
}

// finish charges the bytes read to the wrappers, as reading through them
// would have: LimitedReader.N goes down, the SectionReader moves on.
func (s *source) finish() {
	for _, lr := range s.lrs[:s.nlr] {
		lr.N -= s.read
	}
	if s.sr != nil {
		s.sr.Seek(s.srPos+s.read, io.SeekStart)
	}
	s.forget()
}

// forget drops the wrappers so that finish charges them nothing (when
// io.Copy reads through them itself).
func (s *source) forget() {
	s.nlr, s.sr, s.read = 0, nil, 0
}

// Buffer sizes of the read/write loop: 32 KiB is io.Copy's and measurably
// slow for files; 1 MiB moved files fastest in the seed's measurements;
// sockets and pipes rarely hand over more than 256 KiB per read.
const (
	ioCopyBuffer = 32 << 10
	streamBuffer = 256 << 10
	fileBuffer   = 1 << 20
)

// bufferSize sizes the read/write loop's buffer for this source: no larger
// than the bytes left (plus one, to meet EOF in the same read when a file's
// size is known).
func (s *source) bufferSize() int {
	size := int64(streamBuffer)
	if s.ra != nil || s.seekable {
		size = fileBuffer
	}
	if s.limit >= 0 && s.limit < size {
		size = max(s.limit, 1)
	}
	return int(size)
}

// ioCopyBufferSize is the buffer io.Copy would use for src.
func ioCopyBufferSize(src io.Reader) int {
	size := ioCopyBuffer
	if l, ok := src.(*io.LimitedReader); ok && int64(size) > l.N {
		size = int(max(l.N, 1))
	}
	return size
}

// srcProbe is handed to bufio.Writer.ReadFrom: Read serves bufio's own
// loop, WriteTo receives bufio's inner writer and copies on.
type srcProbe struct {
	c *copier
	r io.Reader
}

func (p *srcProbe) Read(b []byte) (int, error) { return p.r.Read(b) }

func (p *srcProbe) WriteTo(w io.Writer) (int64, error) { return p.c.copy(w, p.r) }

// dstProbe is handed to bufio.Reader.WriteTo: Write receives the buffered
// bytes, ReadFrom receives bufio's inner reader and copies on.
type dstProbe struct {
	c *copier
	w io.Writer
}

func (p *dstProbe) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.c.progress(int64(max(n, 0)))
	return n, err
}

func (p *dstProbe) ReadFrom(r io.Reader) (int64, error) { return p.c.copy(p.w, r) }

// describe names a type without a descriptor for a report.
func describe(x any) string { return fmt.Sprintf("%T", x) }
