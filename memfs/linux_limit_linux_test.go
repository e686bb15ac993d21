package memfs_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/memfs"
)

// TestMemoryLimitLikeTmpfs pins issue 14 item 12: under a 64 KiB limit,
// appends of 1, 4 or 16 KiB store exactly as much as a 64 KiB tmpfs
// (all of it) before ENOSPC, in one file or spread over two, and Heap
// then is the bytes stored.
func TestMemoryLimitLikeTmpfs(t *testing.T) {
	const limit = 64 << 10
	for _, piece := range []int{1 << 10, 4 << 10, 16 << 10} {
		for _, files := range []int{1, 2} {
			t.Run(fmt.Sprintf("%dKiB pieces, %d files", piece>>10, files), func(t *testing.T) {
				dir := testutil.TmpfsDir(t, "64k")
				mem := newFS(t, memfs.WithMemoryLimit(limit))
				var mfs []*memfs.File
				var ofs []*os.File
				for i := range files {
					name := fmt.Sprintf("f%d", i)
					mf, err1 := mem.Create(name)
					of, err2 := os.Create(filepath.Join(dir, name))
					if err1 != nil || err2 != nil {
						t.Fatal(err1, err2)
					}
					defer mf.Close()
					defer of.Close()
					mfs, ofs = append(mfs, mf), append(ofs, of)
				}
				p := make([]byte, piece)
				for i := range p {
					p[i] = byte(i)
				}
				// The first file fills up to half the limit first, then
				// both take turns: slack kept by one file must not stop
				// the other.
				var mstored, ostored int
				var merr, oerr error
				for i := 0; merr == nil || oerr == nil; i++ {
					k := 0
					if files > 1 && mstored >= limit/2 {
						k = i % files
					}
					if i > 2*limit/piece {
						t.Fatal("no ENOSPC")
					}
					if merr == nil {
						var n int
						n, merr = mfs[k].Write(p)
						mstored += n
					}
					if oerr == nil {
						var n int
						n, oerr = ofs[k].Write(p)
						ostored += n
					}
				}
				if !errors.Is(merr, syscall.ENOSPC) || !errors.Is(oerr, syscall.ENOSPC) || mstored != ostored {
					t.Fatalf("memfs stored %d (%v), tmpfs %d (%v)", mstored, merr, ostored, oerr)
				}
				if u := mem.Usage(); u.Heap != int64(mstored) || u.InMemory != int64(mstored) {
					t.Fatalf("stored %d, usage %+v", mstored, u)
				}
			})
		}
	}
}
