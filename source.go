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
	// br is a bufio.Reader source whose buffered bytes still go first;
	// br0 keeps it after that, brInner is the reader under it.
	br, br0 *bufio.Reader
	brInner io.Reader

	seekable bool // the fast path found a regular file or block device
	// msgSrc and msgDst mark datagram or seqpacket sockets: a read or
	// write of theirs is one message.
	msgSrc, msgDst bool
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
			ra, base, _ := t.Outer()
			s.sr, s.srPos, s.ra, s.pos = t, pos, ra, base+pos
			// Size, not Outer's n: a negative n means "to EOF" (the
			// section then ends at MaxInt64).
			if n := max(t.Size()-pos, 0); s.limit < 0 || n < s.limit {
				s.limit = n
			}
			return
		case *bufio.Reader:
			s.br, s.br0 = t, t
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

// descriptor returns the source's RawConn when zcopy may read its
// descriptor directly (see [Descriptor]), and the object errors should
// name. It looks through a bufio.Reader, whose buffered bytes must then be
// written first.
func (s *source) descriptor(slot *rcSlot) (any, syscall.RawConn) {
	if s.br != nil {
		inner := bufioReaderSource(s.br)
		if inner == nil {
			return s.br, nil
		}
		obj, rc := descriptor(inner, slot)
		s.brInner, _ = obj.(io.Reader)
		return obj, rc
	}
	obj, rc := descriptor(s.inner(), slot)
	if s.ra != nil {
		s.ra, _ = obj.(io.ReaderAt)
	} else {
		s.r, _ = obj.(io.Reader)
	}
	return obj, rc
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
// slow for files; 1 MiB moved files fastest in zbench's file scenario;
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
	switch {
	case s.msgDst && !s.msgSrc:
		// Each write is a message its peer sees: io.Copy's size.
		size = ioCopyBuffer
	case s.ra != nil || s.seekable:
		size = fileBuffer
	}
	if s.limit >= 0 && s.limit < size {
		size = max(s.limit, 1)
	}
	return int(size)
}

// describe names a type without a descriptor for a report.
func describe(x any) string { return fmt.Sprintf("%T", x) }
