//go:build amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64 || mips64 || mips64le

package fuse_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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

const pg = testutil.PageSize

// fallocCases run fallocate(2) on the same file on the mount and on
// tmpfs. The file: pages 0-2 an untouched imported host file, 3-5
// written (heap), 6 a hole, 7 to 100 bytes into page 10 written.
var fallocCases = []struct {
	name      string
	mode      uint32
	off, n    int64
	readOnly  bool
	directory bool
	// kept are pages tmpfs keeps as zeroed data where memfs has a hole.
	kept []int64
}{
	{name: "punch heap page", mode: punchMode, off: 3 * pg, n: pg},
	{name: "punch heap partial page", mode: punchMode, off: 3*pg + 100, n: 200},
	{name: "punch host range", mode: punchMode, off: 0, n: 3 * pg},
	{name: "punch host partial page", mode: punchMode, off: 100, n: 50},
	{name: "punch host into heap", mode: punchMode, off: 2*pg + 10, n: pg + 20},
	{name: "punch around the hole", mode: punchMode, off: 6*pg - 10, n: pg + 30},
	{name: "punch over the end", mode: punchMode, off: 9 * pg, n: 5 * pg},
	{name: "punch tail partial page", mode: punchMode, off: 10 * pg, n: 100, kept: []int64{10}},
	{name: "punch beyond the end", mode: punchMode, off: 20 * pg, n: pg},
	{name: "punch whole file", mode: punchMode, off: 0, n: 1 << 40},
	{name: "punch largest end", mode: punchMode, off: math.MaxInt64 - 1, n: 1},
	{name: "punch zero length", mode: punchMode, off: pg, n: 0},
	{name: "punch negative offset", mode: punchMode, off: -1, n: 10},
	{name: "punch past the largest size", mode: punchMode, off: 1 << 62, n: 1 << 62},
	{name: "punch read-only", mode: punchMode, off: 0, n: pg, readOnly: true},
	{name: "punch directory", mode: punchMode, off: 0, n: pg, directory: true},
	{name: "punch without keep size", mode: unix.FALLOC_FL_PUNCH_HOLE, off: 0, n: pg},
	{name: "allocate", mode: 0, off: 0, n: 20 * pg},
	{name: "allocate keep size", mode: unix.FALLOC_FL_KEEP_SIZE, off: 0, n: 20 * pg},
	{name: "zero range", mode: unix.FALLOC_FL_ZERO_RANGE, off: 0, n: pg},
	{name: "zero range keep size", mode: unix.FALLOC_FL_ZERO_RANGE | unix.FALLOC_FL_KEEP_SIZE, off: 0, n: pg},
	{name: "collapse range", mode: unix.FALLOC_FL_COLLAPSE_RANGE, off: 0, n: pg},
	{name: "insert range", mode: unix.FALLOC_FL_INSERT_RANGE, off: 0, n: pg},
	{name: "unshare range", mode: unix.FALLOC_FL_UNSHARE_RANGE, off: 0, n: pg},
	{name: "zero range directory", mode: unix.FALLOC_FL_ZERO_RANGE, off: 0, n: pg, directory: true},
	{name: "unknown flag", mode: 0x100, off: 0, n: pg},
}

const punchMode = unix.FALLOC_FL_PUNCH_HOLE | unix.FALLOC_FL_KEEP_SIZE

// TestFallocateMatchesTmpfs runs each fallocate case on the mount and on
// tmpfs and compares the errno, whether the mtime is set, the bytes, the
// size and SEEK_DATA and SEEK_HOLE (the mount's byte-exact holes seen at
// tmpfs's page granularity), and checks that the memory charge drops by
// exactly the heap bytes a punch covers.
func TestFallocateMatchesTmpfs(t *testing.T) {
	content := testutil.Data(10*pg+100, 17)
	host := t.TempDir()
	for i := range fallocCases {
		if err := os.WriteFile(filepath.Join(host, fmt.Sprint(i)), content[:3*pg], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	guardHost(t, host)
	mnt, fsys := overlay(t, host, memfs.WithUmask(0))
	tmp := shmDir(t)
	for i, tc := range fallocCases {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprint(i)
			if err := os.WriteFile(filepath.Join(tmp, name), content[:3*pg], 0o644); err != nil {
				t.Fatal(err)
			}
			var files [2]*os.File
			for k, dir := range []string{mnt, tmp} {
				f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if _, err := f.WriteAt(content[3*pg:6*pg], 3*pg); err != nil {
					t.Fatal(err)
				}
				if _, err := f.WriteAt(content[7*pg:], 7*pg); err != nil {
					t.Fatal(err)
				}
				files[k] = f
			}
			var errs [2]error
			var mtimeSet [2]bool
			before := fsys.Usage().Heap
			for k, dir := range []string{mnt, tmp} {
				old := time.Unix(1e9, 0)
				if err := os.Chtimes(filepath.Join(dir, name), old, old); err != nil {
					t.Fatal(err)
				}
				target := files[k]
				if tc.readOnly || tc.directory {
					p := filepath.Join(dir, name)
					if tc.directory {
						p = dir
					}
					f, err := os.Open(p)
					if err != nil {
						t.Fatal(err)
					}
					defer f.Close()
					target = f
				}
				errs[k] = unix.Fallocate(int(target.Fd()), tc.mode, tc.off, tc.n)
				fi, err := files[k].Stat()
				if err != nil {
					t.Fatal(err)
				}
				mtimeSet[k] = !fi.ModTime().Equal(old)
			}
			if errnoName(errs[0]) != errnoName(errs[1]) {
				t.Errorf("fallocate: mount %v, tmpfs %v", errs[0], errs[1])
			}
			if mtimeSet[0] != mtimeSet[1] {
				t.Errorf("mtime set: mount %v, tmpfs %v", mtimeSet[0], mtimeSet[1])
			}
			var refund int64
			if errs[0] == nil && tc.mode == punchMode {
				a, b := tc.off, tc.off+tc.n
				overlap := func(x, y int64) int64 { return max(0, min(b, y)-max(a, x)) }
				refund = overlap(3*pg, 6*pg) + overlap(7*pg, 10*pg+100)
			}
			if got := before - fsys.Usage().Heap; got != refund {
				t.Errorf("memory charge dropped by %d, want %d (the heap bytes punched)", got, refund)
			}
			compareFiles(t, files[0], files[1], tc.kept)
		})
	}
}

// compareFiles compares the size, bytes and SEEK_DATA/SEEK_HOLE answers
// of a file on the mount and one on tmpfs, where tmpfs holds the kept
// pages as data.
func compareFiles(t *testing.T, mf, of *os.File, kept []int64) {
	t.Helper()
	var ms, ts unix.Stat_t
	if err := unix.Fstat(int(mf.Fd()), &ms); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fstat(int(of.Fd()), &ts); err != nil {
		t.Fatal(err)
	}
	if ms.Size != ts.Size {
		t.Fatalf("size %d, tmpfs %d", ms.Size, ts.Size)
	}
	size := ms.Size
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
	ranges, err := testutil.DataRanges(func(off int64, whence int) (int64, error) {
		return unix.Seek(int(mf.Fd()), off, whence)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range kept {
		ranges = append(ranges, [2]int64{p * pg, (p + 1) * pg})
	}
	for _, whence := range []int{unix.SEEK_DATA, unix.SEEK_HOLE} {
		for off := int64(0); off <= size+pg; off += pg / 4 {
			want, werr := unix.Seek(int(of.Fd()), off, whence)
			if werr != nil {
				want = 0
			}
			got, gerr := testutil.PageSeek(ranges, size, off, whence)
			if got != want || !errors.Is(gerr, errnoOf(werr)) {
				t.Errorf("lseek(%d, %d): mount (data %v) at page granularity %d %v, tmpfs %d %v", off, whence, ranges, got, gerr, want, werr)
			}
		}
	}
}

// errnoOf is err's errno, or nil.
func errnoOf(err error) error {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return nil
}
