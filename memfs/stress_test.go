package memfs_test

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/memfs"
)

// TestStress runs goroutines doing random operations on shared names (run
// it with -race). Errors are expected and ignored; what must hold is no
// race, panic or deadlock, a consistent tree afterwards, memory accounting
// back to zero once everything is gone, and one shared file whose every
// 4 KiB block always reads as one writer's whole block.
func TestStress(t *testing.T) {
	iters := 400
	if testing.Short() {
		iters = 150
	}
	host := hostFile(t, testutil.Data(1<<20, 5))
	fsys := newFS(t, memfs.WithMemoryLimit(8<<20))
	fsys.MkdirAll("d/e", 0o755)
	shared, err := fsys.Create("shared")
	if err != nil {
		t.Fatal(err)
	}
	const block = 4096
	blockOf := func(w int) []byte { return bytes.Repeat([]byte{byte('A' + w)}, block) }
	shared.WriteAt(bytes.Repeat(blockOf(0), 64), 0)

	names := []string{"a", "b", "d/c", "d/e/f", "d/e", "g"}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			buf := make([]byte, 3*block)
			for i := range iters {
				name := names[rng.IntN(len(names))]
				other := names[rng.IntN(len(names))]
				switch rng.IntN(14) {
				case 0:
					if f, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644); err == nil {
						f.WriteAt(buf[:rng.IntN(len(buf))], rng.Int64N(1<<20))
						f.ImportRange(rng.Int64N(1<<20), host, rng.Int64N(1<<19), rng.Int64N(1<<19))
						f.Truncate(rng.Int64N(2 << 20))
						f.Close()
					}
				case 1:
					if f, err := fsys.Open(name); err == nil {
						io.Copy(io.Discard, f)
						f.Close()
					}
				case 2:
					fsys.Rename(name, other)
				case 3:
					fsys.Remove(name)
				case 4:
					fsys.Mkdir(name, 0o755)
				case 5:
					fsys.ReadDir("d")
					fsys.ReadDir(".")
				case 6:
					fsys.Link(name, other)
				case 7:
					fsys.Symlink(other, name)
				case 8:
					fsys.Stat(name)
					fsys.Usage()
				case 9:
					// Unlink while open.
					if f, err := fsys.OpenFile(name, os.O_RDWR|os.O_APPEND, 0); err == nil {
						fsys.Remove(name)
						f.Write(buf[:block])
						f.ReadAt(buf, 0)
						f.Close()
					}
				case 10:
					fsys.RemoveAll("d/e")
					fsys.MkdirAll("d/e", 0o755)
				case 11:
					// Whole-block writes to the shared file.
					shared.WriteAt(blockOf(w), int64(rng.IntN(64))*block)
				case 12:
					p := make([]byte, block)
					off := int64(rng.IntN(64)) * block
					if _, err := shared.ReadAt(p, off); err != nil {
						t.Errorf("shared ReadAt: %v", err)
						return
					}
					if !bytes.Equal(p, bytes.Repeat(p[:1], block)) {
						t.Errorf("torn block at %d", off)
						return
					}
				case 13:
					fsys.Chmod(name, 0o600)
					fsys.Chtimes(name, time.Unix(5, 0), time.Time{})
				}
				_ = i
			}
		})
	}
	wg.Wait()
	// The tree is consistent: every entry listed can be looked up, and
	// is what its directory says it is.
	err = fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := fsys.Lstat(path)
		if err != nil {
			return err
		}
		if fi.Mode().Type() != d.Type() {
			return fmt.Errorf("%s: type %v, entry says %v", path, fi.Mode().Type(), d.Type())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	shared.Close()
	for _, n := range []string{"a", "b", "d", "g", "shared"} {
		if err := fsys.RemoveAll(n); err != nil {
			t.Fatal(err)
		}
	}
	if u := fsys.Usage(); u.Heap != 0 {
		t.Fatalf("heap accounting leaked: %+v", u)
	}
	if entries, _ := fsys.ReadDir("."); len(entries) != 0 {
		t.Fatalf("left: %v", fmt.Sprint(entries))
	}
}
