package copytree_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/copytree"
	"github.com/zcopy/zcopy/internal/testutil"
)

// fdEngine is SyncCopier with a record of the descriptors it was handed.
type fdEngine struct {
	mu    sync.Mutex
	calls int
	bad   []string
}

func (e *fdEngine) CopyData(ctx context.Context, dst, src int, size int64, opts []zcopy.Option, r *zcopy.Report) (int64, error) {
	var sst, dst0 unix.Stat_t
	e.mu.Lock()
	e.calls++
	if unix.Fstat(src, &sst) != nil || sst.Mode&unix.S_IFMT != unix.S_IFREG || sst.Size != size {
		e.bad = append(e.bad, "source "+strconv.Itoa(src))
	}
	if unix.Fstat(dst, &dst0) != nil || dst0.Mode&unix.S_IFMT != unix.S_IFREG {
		e.bad = append(e.bad, "destination "+strconv.Itoa(dst))
	}
	e.mu.Unlock()
	return copytree.SyncCopier{}.CopyData(ctx, dst, src, size, opts, r)
}

// TestDescriptorPath: every regular file's bytes go through the engine as
// two bare descriptors of regular files (zcopy.CopyFD), the per-file
// report names copy_file_range, and with the kernel's copy methods
// switched off the same path falls back to read/write, byte-identical.
func TestDescriptorPath(t *testing.T) {
	dir := testutil.ShmDir(t)
	src := filepath.Join(dir, "src")
	sizes := []int{0, 1, 4095, 4096, 4097, 64<<10 + 1, 1<<20 + 1, 9<<20 + 3}
	for i, n := range sizes {
		p := filepath.Join(src, strconv.Itoa(i%3), "f"+strconv.Itoa(n))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, testutil.Data(n, uint64(n)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		opts []zcopy.Option
		want zcopy.Method
	}{
		{"default", nil, zcopy.CopyFileRange},
		{"fallback", []zcopy.Option{zcopy.Without(zcopy.Clone, zcopy.CopyFileRange, zcopy.Sendfile, zcopy.Mmap, zcopy.Uring)}, zcopy.ReadWrite},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &fdEngine{}
			var mu sync.Mutex
			methods := map[string]zcopy.Method{}
			dst := filepath.Join(dir, "dst-"+tc.name)
			_, err := copytree.Copy(context.Background(), src, dst, copytree.Options{Preserve: copytree.PreserveAll, DataCopier: e, CopyOptions: tc.opts,
				OnFile: func(r copytree.FileReport) {
					if r.Kind == copytree.KindFile {
						mu.Lock()
						methods[r.Src] = r.Method
						mu.Unlock()
					}
				}})
			if err != nil {
				t.Fatal(err)
			}
			if len(e.bad) > 0 {
				t.Errorf("the engine got descriptors that are not the regular files: %v", e.bad)
			}
			// Empty files too: a size of 0 may hide content (procfs).
			if e.calls != len(sizes) {
				t.Errorf("engine called %d times, want %d", e.calls, len(sizes))
			}
			for p, m := range methods {
				fi, _ := os.Stat(p)
				if fi.Size() > 0 && m != tc.want {
					t.Errorf("%s: method %v, want %v", p, m, tc.want)
				}
			}
			compareTrees(t, snapshot(t, src), snapshot(t, dst), compareOpts{})
		})
	}
}
