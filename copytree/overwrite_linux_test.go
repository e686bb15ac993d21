package copytree_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/copytree"
	"github.com/zcopy/zcopy/internal/testutil"
)

// TestSparseSourceShrinks: a sparse source truncated while its data is
// copied gives a prefix of what was read, as GNU cp 9.1's lseek_copy
// does ("the input file shrank"), never the old size with a hole where
// the data was. The truncation comes from a hook between SEEK_DATA and
// the copy of a segment, the moment a race would hit.
func TestSparseSourceShrinks(t *testing.T) {
	dir := testutil.ShmDir(t)
	data := testutil.Data(8<<20, 7)
	for _, tc := range []struct {
		name     string
		segments []int64 // offsets of 1 MiB data segments in a 64 MiB file
		cutAt    int64   // truncate the source when this segment is reached
		cutTo    int64
	}{
		// Within the first segment: the copy is the first 1 MiB - 4 KiB.
		{"in-data", []int64{0, 16 << 20}, 0, 1<<20 - 4096},
		// Before the second segment, into the hole between them: the
		// copy ends at the new size (GNU extends it to where the
		// segment was; zeros past the source's end are not read either).
		{"in-hole", []int64{0, 16 << 20}, 16 << 20, 4 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := filepath.Join(dir, tc.name+".src")
			f, err := os.Create(src)
			if err != nil {
				t.Fatal(err)
			}
			for i, off := range tc.segments {
				if _, err := f.WriteAt(data[i<<20:(i+1)<<20], off); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.Truncate(64 << 20); err != nil {
				t.Fatal(err)
			}
			f.Close()
			want, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			want = want[:tc.cutTo]
			defer copytree.SetTestHookSparseData(func(off int64) {
				if off == tc.cutAt {
					if err := os.Truncate(src, tc.cutTo); err != nil {
						t.Error(err)
					}
				}
			})()
			dst := filepath.Join(dir, tc.name+".dst")
			if _, err := copytree.Copy(context.Background(), src, dst, copytree.Options{}); err != nil {
				t.Logf("copy failed (allowed): %v", err)
			}
			got, err := os.ReadFile(dst)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(want, got) || len(got) != len(want) {
				t.Fatalf("copy of a shrunk source: %d bytes, want the %d-byte prefix (%s)", len(got), len(want), testutil.FirstDiff(got, want))
			}
		})
	}
}

// TestCopyFSWritesIntoExisting: CopyFS over an existing file writes into
// it, as cp does (the old inode, its other names and a device node stay),
// and replaces it only with RemoveDestination.
func TestCopyFSWritesIntoExisting(t *testing.T) {
	dir := t.TempDir()
	fsys := fstest.MapFS{"f": {Data: []byte("new"), Mode: 0o644}, "null": {Data: []byte("new"), Mode: 0o644}}
	f := filepath.Join(dir, "f")
	if err := os.WriteFile(f, []byte("old data"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(f, filepath.Join(dir, "f2")); err != nil {
		t.Fatal(err)
	}
	dev := os.Geteuid() == 0 && unix.Mknod(filepath.Join(dir, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))) == nil
	if _, err := copytree.CopyFS(context.Background(), dir, fsys, copytree.Options{}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "f2")); string(b) != "new" {
		t.Errorf("the other name of the written file holds %q", b)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "null")); dev && (err != nil || fi.Mode()&os.ModeCharDevice == 0) {
		t.Errorf("the device node became %v (%v)", fi.Mode(), err)
	}
	if _, err := copytree.CopyFS(context.Background(), dir, fsys, copytree.Options{RemoveDestination: true}); err != nil {
		t.Fatal(err)
	}
	if a, b := stat(t, f), stat(t, filepath.Join(dir, "f2")); a.Ino == b.Ino {
		t.Error("RemoveDestination wrote into the old file")
	}
}

func stat(t *testing.T, p string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st
}
