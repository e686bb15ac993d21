package zcopy_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/internal/testutil"
)

// The pair matrix copies every source kind to every destination kind with
// zcopy and with io.Copy (the oracle) on identical fixtures, over sizes at
// the page and pipe boundaries, source offsets and LimitedReader limits, and
// checks that both give the same bytes, counts, offsets and limits, and that
// the report names the method the pair should use. Each fast path is then
// switched off to check that its fallback gives the same result.

var (
	matrixSrcs = []kind{kExt4, kTmpfs, kBlock, kPipe, kFIFO, kTCP, kUnix, kProc}
	matrixDsts = []kind{kExt4, kTmpfs, kBlock, kPipe, kFIFO, kTCP, kUnix, kNull}
)

// matrixSizes are the source sizes: empty, one byte, a page and its
// neighbours, a MiB (the pooled pipe and read/write buffer size) and its
// neighbours; 64 MiB (several chunks) without -short.
func matrixSizes(k kind) []int {
	switch k {
	case kBlock:
		// A loop device's size is a multiple of 512.
		s := []int{4096, 1<<20 + 512}
		if !testing.Short() {
			s = append(s, 64<<20)
		}
		return s
	case kProc:
		return []int{len(procData)}
	}
	s := []int{0, 1, 4095, 4096, 4097, 1<<20 - 1, 1<<20 + 1}
	if !testing.Short() {
		s = append(s, 64<<20)
	}
	return s
}

// procData is what procFile holds.
var procData = func() []byte {
	b, _ := os.ReadFile(procFile)
	return b
}()

// limit is a LimitedReader limit relative to the source size.
type limit struct {
	name string
	n    func(size int) int64 // nil: no LimitedReader
}

var matrixLimits = []limit{
	{"none", nil},
	{"size-1", func(size int) int64 { return int64(size) - 1 }},
	{"size+1", func(size int) int64 { return int64(size) + 1 }},
	{"0", func(int) int64 { return 0 }},
}

// pairCase is one cell of the matrix.
type pairCase struct {
	src, dst kind
	data     []byte // the source's content
	off      int64  // source offset (seekable sources)
	limit    int64  // LimitedReader.N, when hasLimit
	hasLimit bool
}

func (c *pairCase) String() string {
	return fmt.Sprintf("%v->%v size=%d off=%d limit=%s", c.src, c.dst, len(c.data), c.off, c.limitString())
}

func (c *pairCase) limitString() string {
	if !c.hasLimit {
		return "none"
	}
	return fmt.Sprint(c.limit)
}

// outcome is everything a copy is compared on.
type outcome struct {
	n              int64
	err            error
	srcOff, dstOff int64  // file offsets after the copy (seekable sides)
	limitN         int64  // LimitedReader.N after the copy
	out            digest // what the destination received
	rest           digest // what a stream source still held
}

type copyFunc func(dst io.Writer, src io.Reader) (int64, error)

// run builds fresh fixtures for c, copies with fn and tears the fixtures
// down again.
func (e *env) run(t *testing.T, c *pairCase, fn copyFunc) outcome {
	t.Helper()
	sc := &scope{TB: t}
	defer sc.close()
	s := e.newSource(sc, c.src, c.data, c.off)
	d := e.newDest(sc, c.dst)
	r := s.r
	var lr *io.LimitedReader
	if c.hasLimit {
		lr = &io.LimitedReader{R: s.r, N: c.limit}
		r = lr
	}
	var o outcome
	o.n, o.err = fn(d.w, r)
	if s.f != nil {
		o.srcOff = seekCur(t, s.f)
	}
	if d.f != nil {
		o.dstOff = seekCur(t, d.f)
	}
	if lr != nil {
		o.limitN = lr.N
	}
	o.out = d.result(max(o.n, 0))
	if s.rest != nil {
		o.rest = s.rest()
	}
	return o
}

// compare reports how got differs from want (the oracle's outcome).
func compare(got, want outcome) []string {
	var diffs []string
	if got.n != want.n || got.err != nil || want.err != nil {
		diffs = append(diffs, fmt.Sprintf("returned (%d, %v), io.Copy (%d, %v)", got.n, got.err, want.n, want.err))
	}
	if got.srcOff != want.srcOff {
		diffs = append(diffs, fmt.Sprintf("source offset %d, io.Copy %d", got.srcOff, want.srcOff))
	}
	if got.dstOff != want.dstOff {
		diffs = append(diffs, fmt.Sprintf("destination offset %d, io.Copy %d", got.dstOff, want.dstOff))
	}
	if got.limitN != want.limitN {
		diffs = append(diffs, fmt.Sprintf("LimitedReader.N %d, io.Copy %d", got.limitN, want.limitN))
	}
	if got.out != want.out {
		diffs = append(diffs, fmt.Sprintf("destination got %v, io.Copy's %v", got.out, want.out))
	}
	if got.rest != want.rest {
		diffs = append(diffs, fmt.Sprintf("source has %v left, io.Copy's %v", got.rest, want.rest))
	}
	return diffs
}

// expectedN is what any correct copy of c returns.
func (c *pairCase) expectedN() int64 {
	n := max(int64(len(c.data))-c.off, 0)
	if c.hasLimit {
		n = min(n, max(c.limit, 0))
	}
	return n
}

// fastChain lists the fast methods that can move a non-empty copy of the
// pair, in the order zcopy tries them (fast_linux.go's order and skip):
// the first one not switched off is expected to move the bytes.
func fastChain(s, d kind) []zcopy.Method {
	switch {
	case s == kProc:
		// st_size 0: classified, every fast path is skipped ("source
		// size 0"). Into a TCP or Unix conn, though, Copy guesses
		// sendfile before classifying, as io.Copy does, and procfs
		// serves it.
		if d == kTCP || d == kUnix {
			return []zcopy.Method{zcopy.Sendfile}
		}
		return nil
	case !s.seekable():
		// pipe, FIFO or socket: splice, directly or through a pooled pipe.
		return []zcopy.Method{zcopy.Splice}
	}
	switch d {
	case kExt4, kTmpfs:
		if s == d {
			// Clone gives EOPNOTSUPP on ext4 and tmpfs; copy_file_range
			// works within one filesystem.
			return []zcopy.Method{zcopy.CopyFileRange, zcopy.Sendfile}
		}
		// Across filesystems copy_file_range gives EXDEV; a block
		// device source is not a regular file.
		return []zcopy.Method{zcopy.Sendfile}
	case kPipe, kFIFO:
		return []zcopy.Method{zcopy.Splice, zcopy.Sendfile}
	case kTCP, kUnix:
		return []zcopy.Method{zcopy.Sendfile, zcopy.Splice}
	}
	return []zcopy.Method{zcopy.Sendfile} // block device, /dev/null
}

// probeThreshold mirrors fast_linux.go: below it (known size), splice
// through a pooled pipe is not set up.
const probeThreshold = 64 << 10

// expectedMethod is the method the report should name for c with method
// off switched off (0: none).
func (c *pairCase) expectedMethod(off zcopy.Method) zcopy.Method {
	if c.hasLimit && c.limit <= 0 {
		return 0 // nothing to do: no method runs
	}
	// known is the size zcopy's thresholds see: the limit, and for a
	// seekable source its st_size (not what is left past the offset).
	known := int64(-1)
	if c.hasLimit {
		known = c.limit
	}
	if c.src.seekable() {
		if known < 0 || int64(len(c.data)) < known {
			known = int64(len(c.data))
		}
		if c.expectedN() == 0 {
			// Every fast path reads 0 bytes, which is taken as "not
			// handled"; the read/write loop then confirms EOF.
			return zcopy.ReadWrite
		}
	}
	for _, m := range fastChain(c.src, c.dst) {
		if m == off {
			continue
		}
		if m == zcopy.Splice && c.src.seekable() && !c.dst.pipeLike() && known >= 0 && known < probeThreshold {
			continue // "below 64 KiB": no file -> pipe -> socket for a small copy
		}
		return m
	}
	return zcopy.ReadWrite
}

func isFast(m zcopy.Method) bool {
	return m == zcopy.Clone || m == zcopy.CopyFileRange || m == zcopy.Sendfile || m == zcopy.Splice || m == zcopy.Mmap
}

// caseTimeout bounds one copy; a hang fails with context.DeadlineExceeded.
const caseTimeout = time.Minute

// check runs c with zcopy (plus opts) and compares it with want.
func (e *env) check(t *testing.T, c *pairCase, want outcome, wantMethod zcopy.Method, opts ...zcopy.Option) {
	t.Helper()
	var rep zcopy.Report
	opts = append(opts, zcopy.WithReport(&rep))
	ctx, cancel := context.WithTimeout(t.Context(), caseTimeout)
	defer cancel()
	got := e.run(t, c, func(dst io.Writer, src io.Reader) (int64, error) {
		return zcopy.CopyContext(ctx, dst, src, opts...)
	})
	diffs := compare(got, want)
	if rep.Method != wantMethod {
		diffs = append(diffs, fmt.Sprintf("method %v, want %v", rep.Method, wantMethod))
	}
	if rep.Written != got.n {
		diffs = append(diffs, fmt.Sprintf("report says %d bytes written, Copy returned %d", rep.Written, got.n))
	}
	if len(diffs) > 0 {
		t.Errorf("%v:\n\t%s", c, strings.Join(diffs, "\n\t"))
		t.Logf("report: %s", rep.String())
	}
}

// checkCase runs the oracle, zcopy, and zcopy without its chosen method.
func (e *env) checkCase(t *testing.T, c *pairCase) {
	t.Helper()
	want := e.run(t, c, io.Copy)
	if want.err != nil || want.n != c.expectedN() {
		t.Fatalf("%v: io.Copy returned (%d, %v), want %d bytes: fixture problem", c, want.n, want.err, c.expectedN())
	}
	if c.dst != kNull {
		end := min(c.off+want.n, int64(len(c.data)))
		if want.out != digestOf(c.data[min(c.off, end):end]) {
			t.Fatalf("%v: io.Copy's destination is not the source's bytes: fixture problem", c)
		}
	}
	// zcopy.Copy has no report and no context: the path most programs
	// take (guessed methods, rounds batched under one lock).
	if diffs := compare(e.run(t, c, zcopy.Copy), want); len(diffs) > 0 {
		t.Errorf("%v: zcopy.Copy:\n\t%s", c, strings.Join(diffs, "\n\t"))
	}
	m := c.expectedMethod(0)
	e.check(t, c, want, m)
	if isFast(m) {
		fallback := c.expectedMethod(m)
		if fallback == m {
			t.Fatalf("expectation table: switching %v off leaves %v", m, m)
		}
		e.check(t, c, want, fallback, zcopy.Without(m))
	}
}

func TestPairMatrix(t *testing.T) {
	for _, sk := range matrixSrcs {
		for _, dk := range matrixDsts {
			t.Run(sk.String()+"->"+dk.String(), func(t *testing.T) {
				t.Parallel()
				e := newEnv(t)
				for _, size := range matrixSizes(sk) {
					data := testutil.Data(size, 0x5eed)
					switch sk {
					case kBlock:
						data = blockData(size)
					case kProc:
						data = procData
					}
					offs := []int64{0}
					if sk.seekable() {
						offs = append(offs, 100)
					}
					for _, off := range offs {
						for _, l := range matrixLimits {
							if size >= 64<<20 && (l.n != nil || off != 0) {
								continue // the big size checks chunking, not wrappers
							}
							c := &pairCase{src: sk, dst: dk, data: data, off: off}
							if l.n != nil {
								c.hasLimit, c.limit = true, l.n(size)
							}
							name := fmt.Sprintf("size=%d/off=%d/limit=%s", size, off, l.name)
							t.Run(name, func(t *testing.T) { e.checkCase(t, c) })
						}
					}
				}
			})
		}
	}
}

// TestReflink copies files within a loop-mounted btrfs and XFS, where
// FICLONERANGE works: past the first MiB, which Copy moves with
// copy_file_range before it classifies the pair, the rest of a file, or of
// a block-aligned range, is cloned; an unaligned start or limit goes to
// copy_file_range. TestReflinkShares checks that both share blocks.
func TestReflink(t *testing.T) {
	const size = 1<<20 + 1 // a partial last block: a clone to EOF takes it
	data := testutil.Data(4<<20+1, 0xc10e)[:size]
	big := testutil.Data(4<<20+1, 0xc10e)
	cases := []struct {
		name  string
		data  []byte
		off   int64
		limit int64 // < 0: none
		opts  []zcopy.Option
		want  zcopy.Method
	}{
		{"whole-1MiB+1", data, 0, -1, nil, zcopy.CopyFileRange},
		{"whole-4MiB", big, 0, -1, nil, zcopy.Clone},
		{"aligned-offset", big, 4096, -1, nil, zcopy.Clone},
		{"aligned-limit", big, 0, 2 << 20, nil, zcopy.Clone},
		{"limit-past-eof", big, 0, 4<<20 + 2, nil, zcopy.Clone},
		{"unaligned-offset", big, 100, -1, nil, zcopy.CopyFileRange},
		{"unaligned-limit", big, 0, 2<<20 + 1, nil, zcopy.CopyFileRange},
		{"without-clone", big, 0, -1, []zcopy.Option{zcopy.Without(zcopy.Clone)}, zcopy.CopyFileRange},
		{"only-clone", big, 4096, 1 << 20, []zcopy.Option{zcopy.Only(zcopy.Clone)}, zcopy.Clone},
	}
	for _, fstype := range []string{"btrfs", "xfs"} {
		t.Run(fstype, func(t *testing.T) {
			t.Parallel()
			mnt := testutil.SharedMount(t, fstype)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					e := &env{ext4: testutil.MkdirIn(t, mnt)} // kExt4 means "a file in e.ext4"
					c := &pairCase{src: kExt4, dst: kExt4, data: tc.data, off: tc.off}
					if tc.limit >= 0 {
						c.hasLimit, c.limit = true, tc.limit
					}
					want := e.run(t, c, io.Copy)
					if want.err != nil || want.n != c.expectedN() {
						t.Fatalf("io.Copy returned (%d, %v), want %d bytes", want.n, want.err, c.expectedN())
					}
					e.check(t, c, want, tc.want, tc.opts...)
				})
			}
		})
	}
}

// TestReflinkShares checks what the reports cannot: that a copy within a
// reflink filesystem really shares the source's blocks (FIEMAP's shared
// flag), whether Copy's guessed copy_file_range or a clone moved them.
func TestReflinkShares(t *testing.T) {
	for _, fstype := range []string{"btrfs", "xfs"} {
		t.Run(fstype, func(t *testing.T) {
			mnt := testutil.SharedMount(t, fstype)
			dir := testutil.MkdirIn(t, mnt)
			for _, size := range []int{64 << 10, 1<<20 + 1, 4<<20 + 1} {
				data := testutil.Data(size, uint64(size))
				src := fileWith(t, dir, data)
				dst, err := os.Create(src.Name() + ".copy")
				if err != nil {
					t.Fatal(err)
				}
				n, err := zcopy.Copy(dst, src)
				dst.Close()
				if err != nil || n != int64(size) {
					t.Fatalf("size %d: Copy = (%d, %v)", size, n, err)
				}
				if got, _ := os.ReadFile(dst.Name()); !bytes.Equal(got, data) {
					t.Fatalf("size %d: content differs", size)
				}
				shared, err := testutil.SharedBytes(dst.Name())
				if err != nil {
					t.Fatal(err)
				}
				if whole := int64(size) &^ 4095; shared < whole {
					t.Errorf("size %d: %d bytes shared, want at least %d", size, shared, whole)
				}
			}
			// The control: a read/write copy shares nothing, so the
			// check above can fail.
			src := fileWith(t, dir, testutil.Data(1<<20, 7))
			dst, err := os.Create(src.Name() + ".rw")
			if err != nil {
				t.Fatal(err)
			}
			_, err = zcopy.CopyContext(t.Context(), dst, src, zcopy.Only(zcopy.ReadWrite))
			dst.Close()
			if err != nil {
				t.Fatal(err)
			}
			if shared, err := testutil.SharedBytes(dst.Name()); err != nil || shared != 0 {
				t.Errorf("read/write copy: %d bytes shared (%v), want 0", shared, err)
			}
		})
	}
}

// TestLargeSparseFile copies a file of more than 4 GiB that is mostly
// holes and ends in one: offsets past 32 bits and several copy_file_range
// rounds. The content is compared with a streaming hash.
func TestLargeSparseFile(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 8 GiB (holes read as zeros): not in -short")
	}
	const size = 4<<30 + 4097
	dir := t.TempDir()
	src, err := os.Create(dir + "/src")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	chunk := testutil.Data(1<<20+3, 0x4ea7)
	for _, off := range []int64{0, 2<<30 - 7, 4<<30 - 1<<20} {
		if _, err := src.WriteAt(chunk, off); err != nil {
			t.Fatal(err)
		}
	}
	if err := src.Truncate(size); err != nil { // a hole at the end
		t.Fatal(err)
	}
	srcSum, err := digestReader(io.NewSectionReader(src, 0, size))
	if err != nil || srcSum.n != size {
		t.Fatalf("digesting the source: %v, %v", srcSum, err)
	}
	copyTo := func(name string, fn copyFunc) (n, srcOff int64, d digest, blocks int64) {
		t.Helper()
		if _, err := src.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		dst, err := os.Create(dir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			dst.Close()
			os.Remove(dst.Name())
		}()
		n, err = fn(dst, src)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if off := seekCur(t, dst); off != n {
			t.Errorf("%s: destination offset %d, want %d", name, off, n)
		}
		fi, err := dst.Stat()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() != size {
			t.Errorf("%s: destination size %d, want %d (the trailing hole counts)", name, fi.Size(), int64(size))
		}
		blocks = fi.Sys().(*syscall.Stat_t).Blocks
		d, err = digestReader(io.NewSectionReader(dst, 0, 1<<62))
		if err != nil {
			t.Fatal(err)
		}
		return n, seekCur(t, src), d, blocks
	}
	wantN, wantOff, wantSum, wantBlocks := copyTo("oracle", io.Copy)
	var rep zcopy.Report
	n, off, sum, blocks := copyTo("zcopy", func(dst io.Writer, src io.Reader) (int64, error) {
		return zcopy.CopyContext(t.Context(), dst, src, zcopy.WithReport(&rep))
	})
	t.Logf("report: %s", rep.String())
	t.Logf("512-byte blocks: source %d, io.Copy %d, zcopy %d", fileBlocks(t, src), wantBlocks, blocks)
	if n != wantN || n != size || off != wantOff || sum != wantSum || sum != srcSum {
		t.Errorf("zcopy: %d bytes, source offset %d, %v; io.Copy: %d bytes, offset %d, %v; source %v",
			n, off, sum, wantN, wantOff, wantSum, srcSum)
	}
	if rep.Method != zcopy.CopyFileRange {
		t.Errorf("method %v, want copy_file_range", rep.Method)
	}
}

func fileBlocks(t *testing.T, f *os.File) int64 {
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Blocks
}
