package memfs_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/memfs"
)

// punchLayout is the file every punch case starts from: pages 0-2 are a
// host range (in memfs), 3-5 heap bytes, 6 a hole, 7 to the end (100
// bytes into page 10) heap bytes again.
const (
	pg         = testutil.PageSize
	punchSize  = 10*pg + 100
	punchHoleA = 6 * pg
	punchHoleB = 7 * pg
)

// punchHeap is the number of heap bytes of the layout in [a, b).
func punchHeap(a, b int64) int64 {
	overlap := func(x, y int64) int64 { return max(0, min(b, y)-max(a, x)) }
	return overlap(3*pg, punchHoleA) + overlap(punchHoleB, punchSize)
}

type punch struct{ off, n int64 }

// osPunchHole is the oracle of File.PunchHole: fallocate(2) with
// FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE. ok is false where there is
// none.
func osPunchHole(f *os.File, off, n int64) (ok bool, err error) {
	if err := unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, n); err != nil {
		return true, &fs.PathError{Op: "fallocate", Path: f.Name(), Err: err}
	}
	return true, nil
}

// punchCases are fallocate(PUNCH_HOLE|KEEP_SIZE) sequences on the layout.
var punchCases = []struct {
	name     string
	punches  []punch
	readOnly bool
	// kept are pages tmpfs keeps as zeroed data where memfs has a hole
	// (the part of a page at an end of the range is zeroed, not freed).
	kept []int64
}{
	{name: "heap page", punches: []punch{{3 * pg, pg}}},
	{name: "heap partial page", punches: []punch{{3*pg + 100, 200}}},
	{name: "heap pages and partial ends", punches: []punch{{3*pg + 10, 2*pg + 20}}},
	{name: "host range whole", punches: []punch{{0, 3 * pg}}},
	{name: "host partial page", punches: []punch{{100, 50}}},
	{name: "host page", punches: []punch{{pg, pg}}},
	{name: "host into heap", punches: []punch{{2*pg + 10, pg + 20}}},
	{name: "around the hole", punches: []punch{{punchHoleA - 10, pg + 30}}},
	{name: "inside the hole", punches: []punch{{punchHoleA + 5, 10}}},
	{name: "over the end", punches: []punch{{9 * pg, 5 * pg}}},
	{name: "tail partial page", punches: []punch{{10 * pg, 100}}, kept: []int64{10}},
	{name: "tail page", punches: []punch{{10 * pg, pg}}},
	{name: "page in two halves", punches: []punch{{4 * pg, pg / 2}, {4*pg + pg/2, pg / 2}}, kept: []int64{4}},
	{name: "beyond the end", punches: []punch{{20 * pg, pg}}},
	{name: "at the end", punches: []punch{{punchSize, 1}}},
	{name: "whole file", punches: []punch{{0, 1 << 40}}},
	{name: "two pages apart", punches: []punch{{pg, pg}, {4 * pg, pg}}},
	{name: "largest end", punches: []punch{{math.MaxInt64 - 1, 1}}},
	{name: "zero length", punches: []punch{{pg, 0}}},
	{name: "negative length", punches: []punch{{pg, -1}}},
	{name: "negative offset", punches: []punch{{-1, 10}}},
	{name: "past the largest size", punches: []punch{{1 << 62, 1 << 62}}},
	{name: "read-only handle", punches: []punch{{0, pg}}, readOnly: true},
}

// TestPunchHoleMatchesTmpfs punches holes with File.PunchHole and with
// fallocate(2) on a tmpfs file holding the same bytes, and compares the
// errors, whether the mtime is set, the bytes, the size and SEEK_DATA/SEEK_HOLE (memfs's byte-exact
// holes seen at tmpfs's page granularity), and that the memory charge
// drops by exactly the heap bytes punched.
func TestPunchHoleMatchesTmpfs(t *testing.T) {
	content := testutil.Data(punchSize, 16)
	host := hostFile(t, content[:3*pg])
	dir := oracleDir(t)
	for _, tc := range punchCases {
		t.Run(tc.name, func(t *testing.T) {
			fsys := newFS(t)
			mf, err := fsys.Create("f")
			if err != nil {
				t.Fatal(err)
			}
			defer mf.Close()
			if err := mf.ImportRange(0, host, 0, 3*pg); err != nil {
				t.Fatal(err)
			}
			opath := filepath.Join(dir, "punch")
			of, err := os.Create(opath)
			if err != nil {
				t.Fatal(err)
			}
			defer of.Close()
			defer os.Remove(opath)
			if _, err := of.WriteAt(content[:3*pg], 0); err != nil {
				t.Fatal(err)
			}
			for _, w := range []io.WriterAt{mf, of} {
				if _, err := w.WriteAt(content[3*pg:punchHoleA], 3*pg); err != nil {
					t.Fatal(err)
				}
				if _, err := w.WriteAt(content[punchHoleB:], punchHoleB); err != nil {
					t.Fatal(err)
				}
			}
			mp, op := mf, of
			if tc.readOnly {
				if mp, err = fsys.OpenFile("f", os.O_RDONLY, 0); err != nil {
					t.Fatal(err)
				}
				defer mp.Close()
				if op, err = os.Open(opath); err != nil {
					t.Fatal(err)
				}
				defer op.Close()
			}
			old := time.Unix(1e9, 0)
			if err := fsys.Chtimes("f", old, old); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(opath, old, old); err != nil {
				t.Fatal(err)
			}
			before := fsys.Usage().Heap
			var refund int64
			for _, p := range tc.punches {
				merr := mp.PunchHole(p.off, p.n)
				oerr := unix.Fallocate(int(op.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, p.off, p.n)
				if errShape(merr) != errShape(oerr) {
					t.Errorf("punch %d+%d: memfs %v, tmpfs %v", p.off, p.n, merr, oerr)
				}
				if merr == nil {
					refund += punchHeap(p.off, p.off+p.n)
				}
			}
			// The cases punch disjoint ranges, so the heap bytes in them
			// add up.
			if got := before - fsys.Usage().Heap; got != refund {
				t.Errorf("memory charge dropped by %d, want %d (the heap bytes punched)", got, refund)
			}
			mi, _ := mf.Stat()
			oi, _ := of.Stat()
			if m, o := !mi.ModTime().Equal(old), !oi.ModTime().Equal(old); m != o {
				t.Errorf("mtime set: memfs %v, tmpfs %v", m, o)
			}
			comparePunched(t, mf, of, tc.kept)
		})
	}
}

// comparePunched compares the bytes, size and SEEK_DATA/SEEK_HOLE of a
// memfs file and a tmpfs file, where tmpfs holds the kept pages as data.
func comparePunched(t *testing.T, mf *memfs.File, of *os.File, kept []int64) {
	t.Helper()
	mi, err := mf.Stat()
	if err != nil {
		t.Fatal(err)
	}
	oi, err := of.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if mi.Size() != oi.Size() {
		t.Fatalf("size %d, tmpfs %d", mi.Size(), oi.Size())
	}
	size := mi.Size()
	mb, ob := make([]byte, size), make([]byte, size)
	if _, err := mf.ReadAt(mb, 0); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	if _, err := of.ReadAt(ob, 0); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	if !bytes.Equal(mb, ob) {
		t.Errorf("bytes differ from tmpfs: %s", testutil.FirstDiff(mb, ob))
	}
	ranges, err := testutil.DataRanges(mf.Seek)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range kept {
		ranges = append(ranges, [2]int64{p * pg, (p + 1) * pg})
	}
	for _, whence := range []int{unix.SEEK_DATA, unix.SEEK_HOLE} {
		for off := int64(0); off <= size+pg; off += pg / 4 {
			want, werr := unix.Seek(int(of.Fd()), off, whence)
			got, gerr := testutil.PageSeek(ranges, size, off, whence)
			if werr != nil {
				want = 0
			}
			if got != want || werr != gerr {
				t.Errorf("lseek(%d, %d): memfs (data %v) at page granularity %d %v, tmpfs %d %v", off, whence, ranges, got, gerr, want, werr)
			}
		}
	}
}

// TestPunchHoleRefundsLimit fills a memory limit, punches all but 200
// bytes and writes the freed amount again: a punch gives its heap bytes
// back to the limit at once.
func TestPunchHoleRefundsLimit(t *testing.T) {
	fsys := newFS(t, memfs.WithMemoryLimit(1<<20))
	f, err := fsys.Create("f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data := testutil.Data(1<<20, 3)
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte{1}); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write past the limit: %v, want ENOSPC", err)
	}
	if err := f.PunchHole(100, 1<<20-200); err != nil {
		t.Fatal(err)
	}
	if u := fsys.Usage(); u.Heap != 200 || u.Holes != 1<<20-200 {
		t.Errorf("after the punch: heap %d, holes %d; want 200, %d", u.Heap, u.Holes, 1<<20-200)
	}
	// The whole budget but the 200 bytes left is free again.
	if _, err := f.WriteAt(data[:1<<20-200], 1<<20); err != nil {
		t.Errorf("write of the punched amount: %v", err)
	}
	got := make([]byte, 1<<20)
	if _, err := f.ReadAt(got, 0); err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 1<<20)
	copy(want, data[:100])
	copy(want[1<<20-100:], data[1<<20-100:])
	if !bytes.Equal(got, want) {
		t.Errorf("punched file: %s", testutil.FirstDiff(got, want))
	}
}
