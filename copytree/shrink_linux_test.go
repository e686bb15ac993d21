package copytree_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

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
