package memfs_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/copytree"
	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/memfs"
)

// TestCopyTreeFromMemfs pins that the tree-copy library takes a memfs as
// its source fs.FS and moves host extents on the kernel's paths: a file
// that is all host extent is copied with copy_file_range, one with a heap
// patch ends with the patch's write, and every byte matches.
func TestCopyTreeFromMemfs(t *testing.T) {
	host := t.TempDir()
	data := testutil.Data(3<<20, 90)
	if err := os.WriteFile(filepath.Join(host, "big"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(host, "patched"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	fsys := memfs.New()
	defer fsys.Close()
	if err := fsys.Import(context.Background(), host, "tree"); err != nil {
		t.Fatal(err)
	}
	f, err := fsys.OpenFile("tree/patched", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	patch := bytes.Repeat([]byte("memfs"), 1000)
	if _, err := f.WriteAt(patch, int64(len(data))-int64(len(patch))); err != nil {
		t.Fatal(err)
	}
	f.Close()
	want := map[string][]byte{"big": data, "patched": append(append([]byte(nil), data[:len(data)-len(patch)]...), patch...)}

	sub, err := fsys.Sub("tree")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	var mu sync.Mutex
	methods := map[string]zcopy.Method{}
	_, err = copytree.CopyFS(context.Background(), out, sub, copytree.Options{
		OnFile: func(r copytree.FileReport) {
			mu.Lock()
			defer mu.Unlock()
			methods[filepath.Base(r.Dst)] = r.Method
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || !bytes.Equal(got, w) {
			t.Errorf("%s: %d bytes, %v; want the memfs file's %d", name, len(got), err, len(w))
		}
	}
	if methods["big"] != zcopy.CopyFileRange {
		t.Errorf("a file of host extents was copied with %v, want copy_file_range", methods["big"])
	}
	if methods["patched"] != zcopy.ReadWrite {
		t.Errorf("a file ending in a heap patch ended with %v, want read/write (the patch)", methods["patched"])
	}
}
