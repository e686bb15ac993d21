package memfs

import (
	"io"

	"github.com/google/btree"
)

// The content of a regular file is a set of extents that tile [0, size)
// exactly, kept in a B-tree ordered by file offset: finding the extent at
// any offset is O(log n), and a write touches only the extents it overlaps.
//
// Three kinds, after Wasmer's OffloadedFile:
//   - fill: n copies of one byte (holes are fills of 0), no memory;
//   - heap: bytes in a window of a refcounted heap buffer; the limiter
//     is charged the extent bytes (the file bytes held in memory, like
//     tmpfs's pages), before any is written, and refunded as they go;
//   - host: a range of a host file (a backing), read through a read-only
//     mapping; not charged.
//
// Heap extents are written in place; only fill and host ranges a write
// covers become new heap extents, and those append to a heap neighbour on
// their left when it can take them (up to maxHeapExtent), so sequential
// writes make one extent per maxHeapExtent bytes, or else merge with a
// small heap neighbour on their right (up to smallHeapMerge), so that
// backward writes do not make one extent each either.

type kind uint8

const (
	kindFill kind = iota
	kindHeap
	kindHost
)

// maxHeapExtent bounds one heap buffer: large enough that a sequentially
// written file is a handful of extents, small enough that growing one by
// doubling wastes little.
const maxHeapExtent = 1 << 20

type extent struct {
	off  int64 // file offset of the first byte
	n    int64 // length, > 0
	kind kind
	fill byte     // kindFill
	buf  *heapBuf // kindHeap: the allocation data lives in
	data []byte   // kindHeap: len(data) == n; cap(data) reaches past n only if this extent may append in place
	host *backing // kindHost
	hoff int64    // kindHost: offset in the host file
}

func (e *extent) end() int64 { return e.off + e.n }

// heapBuf is one heap allocation, shared by the extents split from it.
type heapBuf struct {
	mem  []byte
	refs int32
}

// content is a regular file's data. Preconditions for every method: the
// owning inode's mu is held (read lock for readAt/segments/usage, write
// lock otherwise).
type content struct {
	ext  *btree.BTreeG[*extent]
	size int64
	// Bytes of the file by extent kind; they sum to size.
	heapBytes, hostBytes, fillBytes int64
}

func lessExtent(a, b *extent) bool { return a.off < b.off }

// extentFreeList is shared by all trees: a per-tree free list would cost
// an allocation per file, which shows when importing 15,000 files.
var extentFreeList = btree.NewFreeListG[*extent](btree.DefaultFreeListSize)

func newContent() *content {
	return &content{ext: btree.NewWithFreeListG(16, lessExtent, extentFreeList)}
}

func (c *content) count(e *extent, sign int64) {
	switch e.kind {
	case kindFill:
		c.fillBytes += sign * e.n
	case kindHeap:
		c.heapBytes += sign * e.n
	case kindHost:
		c.hostBytes += sign * e.n
	}
}

func (c *content) insert(e *extent) {
	c.count(e, 1)
	c.ext.ReplaceOrInsert(e)
}

// remove drops e from the tree, refunding its heap bytes.
func (c *content) remove(lim *limiter, e *extent) {
	if e.kind == kindHeap {
		lim.refund(e.n)
	}
	c.drop(e)
}

// drop drops e from the tree and its heap buffer reference, refunding
// nothing: the caller keeps the bytes charged for where they go.
func (c *content) drop(e *extent) {
	c.count(e, -1)
	c.ext.Delete(e)
	if e.kind == kindHeap {
		e.buf.refs--
		e.buf, e.data = nil, nil
	}
}

// setLen changes e's length in place (its offset stays).
func (c *content) setLen(e *extent, n int64) {
	c.count(e, -1)
	e.n = n
	if e.kind == kindHeap {
		e.data = e.data[:n]
	}
	c.count(e, 1)
}

// find returns the extent holding byte off, or nil past the end.
func (c *content) find(off int64) *extent {
	if off < 0 || off >= c.size {
		return nil
	}
	var found *extent
	c.ext.DescendLessOrEqual(&extent{off: off}, func(e *extent) bool {
		found = e
		return false
	})
	return found
}

// last returns the final extent, or nil for an empty file.
func (c *content) last() *extent {
	e, _ := c.ext.Max()
	return e
}

// ascend calls fn for the extents from the one holding off onwards.
func (c *content) ascend(off int64, fn func(e *extent) bool) {
	first := c.find(off)
	if first == nil {
		return
	}
	c.ext.AscendGreaterOrEqual(first, fn)
}

// splitAt makes off an extent boundary.
func (c *content) splitAt(off int64) {
	e := c.find(off)
	if e == nil || e.off == off {
		return
	}
	k := off - e.off
	right := &extent{off: off, n: e.n - k, kind: e.kind, fill: e.fill, host: e.host, hoff: e.hoff + k}
	if e.kind == kindHeap {
		right.buf, right.data = e.buf, e.data[k:e.n:e.n]
		e.buf.refs++
		// The left part must not append over the right part's bytes.
		e.data = e.data[:k:k]
	}
	c.count(e, -1)
	e.n = k
	c.count(e, 1)
	c.insert(right)
}

// carve removes every extent inside [a, b), splitting those that straddle
// the ends. The caller fills the range again.
func (c *content) carve(lim *limiter, a, b int64) {
	if a >= b {
		return
	}
	c.splitAt(a)
	c.splitAt(b)
	var doomed []*extent
	c.ascend(a, func(e *extent) bool {
		if e.off >= b {
			return false
		}
		doomed = append(doomed, e)
		return true
	})
	for _, e := range doomed {
		c.remove(lim, e)
	}
}

// mergeFill inserts a fill extent, merging it with a neighbour of the same
// byte.
func (c *content) insertFill(off, n int64, b byte) {
	if n <= 0 {
		return
	}
	if prev := c.find(off - 1); prev != nil && prev.kind == kindFill && prev.fill == b && prev.end() == off {
		c.setLen(prev, prev.n+n)
		c.mergeRight(prev)
		return
	}
	e := &extent{off: off, n: n, kind: kindFill, fill: b}
	c.insert(e)
	c.mergeRight(e)
}

// mergeRight folds e's right neighbour into e when they are compatible
// without copying: fills of one byte, or contiguous ranges of one backing.
func (c *content) mergeRight(e *extent) {
	next := c.find(e.end())
	if next == nil || next.kind != e.kind {
		return
	}
	switch {
	case e.kind == kindFill && next.fill == e.fill:
	case e.kind == kindHost && next.host == e.host && next.hoff == e.hoff+e.n:
	default:
		return
	}
	n := next.n
	c.count(next, -1)
	c.ext.Delete(next)
	c.setLen(e, e.n+n)
}

// mergeLeft folds e into its left neighbour when compatible; it returns
// the extent that now holds e's bytes.
func (c *content) mergeLeft(e *extent) *extent {
	prev := c.find(e.off - 1)
	if prev == nil || prev.kind != e.kind {
		return e
	}
	switch {
	case e.kind == kindFill && prev.fill == e.fill:
	case e.kind == kindHost && prev.host == e.host && prev.hoff+prev.n == e.hoff:
	default:
		return e
	}
	c.mergeRight(prev)
	return prev
}

// readAt copies bytes at off into p, with the contract of io.ReaderAt.
func (c *content) readAt(p []byte, off int64) (int, error) {
	if off >= c.size {
		return 0, io.EOF
	}
	want := int64(len(p))
	if avail := c.size - off; want > avail {
		want = avail
	}
	var n int64
	var err error
	c.ascend(off, func(e *extent) bool {
		if n >= want {
			return false
		}
		pos := off + n
		k := pos - e.off
		m := min(e.n-k, want-n)
		dst := p[n : n+m]
		switch e.kind {
		case kindFill:
			fillBytes(dst, e.fill)
		case kindHeap:
			copy(dst, e.data[k:k+m])
		case kindHost:
			var got int
			got, err = e.host.readAt(dst, e.hoff+k)
			n += int64(got)
			return err == nil
		}
		n += m
		return true
	})
	if err != nil {
		return int(n), err
	}
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

func fillBytes(p []byte, b byte) {
	if b == 0 {
		clear(p)
		return
	}
	if len(p) == 0 {
		return
	}
	p[0] = b
	for i := 1; i < len(p); i *= 2 {
		copy(p[i:], p[:i])
	}
}

// gapPlan is a run of a write that lands on fill or host extents (or past
// EOF) and so needs heap memory.
type gapPlan struct {
	a, b   int64
	left   *extent // heap extent ending at a that takes the bytes, or nil
	newCap int64   // left's new buffer size if it must grow, else 0
	right  *extent // small heap extent starting at b to merge with, or nil
}

// smallHeapMerge bounds the heap extents a write merges with its right
// neighbour by copying both into a new buffer (writes going backwards).
const smallHeapMerge = 64 << 10

// writeAt writes p at off, growing the file and making a hole between the
// old end and off. It charges lim for the bytes that become heap bytes
// (those written over fills, host ranges or past the end) before
// allocating; if the charge fails nothing changes.
func (c *content) writeAt(lim *limiter, p []byte, off int64) error {
	if len(p) == 0 {
		return nil
	}
	end := off + int64(len(p))
	type inPlace struct {
		e    *extent
		a, b int64
	}
	var heaps []inPlace
	var gaps []gapPlan
	addGap := func(a, b int64) {
		if k := len(gaps); k > 0 && gaps[k-1].b == a {
			gaps[k-1].b = b
			return
		}
		gaps = append(gaps, gapPlan{a: a, b: b})
	}
	c.ascend(off, func(e *extent) bool {
		if e.off >= end {
			return false
		}
		a, b := max(e.off, off), min(e.end(), end)
		if e.kind == kindHeap {
			heaps = append(heaps, inPlace{e, a, b})
		} else {
			addGap(a, b)
		}
		return true
	})
	if end > c.size {
		addGap(max(off, c.size), end)
	}

	// Plan the allocations and charge the new heap bytes at once.
	var charge int64
	for i := range gaps {
		g := &gaps[i]
		n := g.b - g.a
		charge += n
		if g.a <= c.size {
			if l := c.find(g.a - 1); l != nil && l.kind == kindHeap && l.end() == g.a && l.buf.refs == 1 && l.n+n <= maxHeapExtent {
				g.left = l
				if int64(cap(l.data)) < l.n+n {
					g.newCap = min(max(2*int64(cap(l.data)), l.n+n, 4096), maxHeapExtent)
				}
				continue
			}
		}
		// Only the last gap may merge to the right: a heap extent after
		// an earlier gap may be the left of the next one.
		if g.b == end && end < c.size {
			if r := c.find(end); r != nil && r.kind == kindHeap && r.off == end && r.buf.refs == 1 && n+r.n <= smallHeapMerge {
				g.right = r
			}
		}
	}
	if err := lim.charge(charge); err != nil {
		return err
	}

	if off > c.size {
		c.insertFill(c.size, off-c.size, 0)
		c.size = off
	}
	for _, h := range heaps {
		copy(h.e.data[h.a-h.e.off:h.b-h.e.off], p[h.a-off:h.b-off])
	}
	for _, g := range gaps {
		c.carve(lim, g.a, min(g.b, c.size))
		src := p[g.a-off : g.b-off]
		if l := g.left; l != nil {
			if g.newCap > 0 {
				mem := make([]byte, g.newCap)
				copy(mem, l.data)
				l.buf.mem = mem
				l.data = mem[:l.n]
			}
			n := l.n
			c.setLen(l, l.n+int64(len(src)))
			copy(l.data[n:], src)
		} else if r := g.right; r != nil {
			mem := make([]byte, int64(len(src))+r.n)
			copy(mem, src)
			copy(mem[len(src):], r.data)
			c.drop(r) // its bytes stay charged, in mem
			c.insert(&extent{off: g.a, n: int64(len(mem)), kind: kindHeap, buf: &heapBuf{mem: mem, refs: 1}, data: mem})
		} else {
			for pos := g.a; pos < g.b; {
				n := min(g.b-pos, maxHeapExtent)
				mem := make([]byte, n)
				copy(mem, p[pos-off:pos-off+n])
				c.insert(&extent{off: pos, n: n, kind: kindHeap, buf: &heapBuf{mem: mem, refs: 1}, data: mem})
				pos += n
			}
		}
		c.size = max(c.size, g.b)
	}
	return nil
}

// truncate sets the size: growth is a hole, shrinking releases memory.
func (c *content) truncate(lim *limiter, size int64) {
	switch {
	case size > c.size:
		c.insertFill(c.size, size-c.size, 0)
	case size < c.size:
		c.carve(lim, size, c.size)
		if l := c.last(); l != nil && l.kind == kindHeap && l.buf.refs == 1 && int64(len(l.buf.mem)) > 2*l.n+4096 {
			// Give back the tail of the allocation too.
			mem := make([]byte, l.n)
			copy(mem, l.data)
			l.buf.mem, l.data = mem, mem
		}
	}
	c.size = size
}

// punch makes [off, end) a hole, clipped to the size (which does not
// change): its heap bytes are refunded and its host ranges dropped.
func (c *content) punch(lim *limiter, off, end int64) {
	end = min(end, c.size)
	if off >= end {
		return
	}
	c.carve(lim, off, end)
	c.insertFill(off, end-off, 0)
	// Only the neighbours can still hold a buffer the hole shared.
	c.compact(c.find(off - 1))
	c.compact(c.find(end))
}

// compact moves a heap extent that uses less than half of its buffer
// into a buffer of its own size, so that the rest of the old one (bytes
// punched or truncated away) can be freed once no extent refers to it.
func (c *content) compact(e *extent) {
	if e == nil || e.kind != kindHeap || int64(len(e.buf.mem)) <= 2*e.n+4096 {
		return
	}
	mem := make([]byte, e.n)
	copy(mem, e.data)
	e.buf.refs--
	e.buf, e.data = &heapBuf{mem: mem, refs: 1}, mem
}

// importRange makes [off, off+n) a view of the host range [hoff, hoff+n).
func (c *content) importRange(lim *limiter, b *backing, hoff, n, off int64) {
	if n <= 0 {
		return
	}
	if off > c.size {
		c.insertFill(c.size, off-c.size, 0)
		c.size = off
	}
	c.carve(lim, off, min(off+n, c.size))
	e := &extent{off: off, n: n, kind: kindHost, host: b, hoff: hoff}
	c.insert(e)
	c.mergeRight(c.mergeLeft(e))
	c.size = max(c.size, off+n)
}

// seekHole finds the first byte at or after off that is data (data true)
// or in a hole, with lseek(2)'s SEEK_DATA/SEEK_HOLE rules: the end of the
// file counts as a hole, and ok is false (ENXIO) for off at or past the
// end, or when no data follows.
func (c *content) seekHole(off int64, data bool) (pos int64, ok bool) {
	if off < 0 || off >= c.size {
		return 0, false
	}
	pos = -1
	c.ascend(off, func(e *extent) bool {
		isHole := e.kind == kindFill && e.fill == 0
		if isHole != data {
			pos = max(e.off, off)
			return false
		}
		return true
	})
	if pos < 0 {
		if data {
			return 0, false
		}
		return c.size, true
	}
	return pos, true
}

// holdsData reports whether any byte is other than a hole: heap or host
// bytes, or fills of another byte.
func (c *content) holdsData() bool {
	if c.heapBytes > 0 || c.hostBytes > 0 {
		return true
	}
	found := false
	c.ext.Ascend(func(e *extent) bool {
		found = e.kind == kindFill && e.fill != 0
		return !found
	})
	return found
}

// release drops every extent, refunding heap memory.
func (c *content) release(lim *limiter) {
	var all []*extent
	c.ext.Ascend(func(e *extent) bool { all = append(all, e); return true })
	for _, e := range all {
		c.remove(lim, e)
	}
	c.size = 0
}

// extents is the number of extents (for tests and Usage).
func (c *content) extents() int { return c.ext.Len() }
