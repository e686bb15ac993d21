package memfs_test

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/zcopy/zcopy/memfs"
)

// FuzzNamespace runs random namespace operations (mkdir, create, remove,
// RemoveAll, rename, symlink, link, chmod) on a memfs and on os.Root over
// a real directory, comparing every error and, after every step, the
// whole trees.
func FuzzNamespace(f *testing.F) {
	rng := rand.New(rand.NewPCG(3, 4))
	seeds := 30
	if testing.Short() {
		seeds = 10
	}
	for range seeds {
		b := make([]byte, 20+rng.IntN(120))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, ops []byte) {
		umask := fs.FileMode(syscall.Umask(0))
		syscall.Umask(int(umask))
		names := []string{"a", "b", "a/c", "b/d", "a/c/e", "a/../b", "a/c/", "x", "../y", ".", "a/c/e/f"}
		targets := []string{"a", "c", "../b", "a/c", "x", "/abs", "l0", "e"}
		dir := t.TempDir()
		root, err := os.OpenRoot(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer root.Close()
		mem := memfs.New(memfs.WithUmask(umask))
		defer mem.Close()
		r := &opReader{b: ops}
		var trace []string
		for step := 0; len(r.b) > 0 && step < 60; step++ {
			p, q := names[int(r.u8())%len(names)], names[int(r.u8())%len(names)]
			var merr, oerr error
			var what string
			switch r.u8() % 9 {
			case 0:
				what = "Mkdir " + p
				merr, oerr = mem.Mkdir(p, 0o750), root.Mkdir(p, 0o750)
			case 1:
				flag := os.O_RDWR | os.O_CREATE
				if r.u8()%2 == 0 {
					flag |= os.O_EXCL
				}
				what = fmt.Sprintf("OpenFile %s %#x", p, flag)
				mf, e1 := mem.OpenFile(p, flag, 0o640)
				of, e2 := root.OpenFile(p, flag, 0o640)
				merr, oerr = e1, e2
				if e1 == nil {
					mf.WriteString(p)
					mf.Close()
				}
				if e2 == nil {
					of.WriteString(p)
					of.Close()
				}
			case 2:
				what = "Remove " + p
				merr, oerr = mem.Remove(p), root.Remove(p)
			case 3:
				what = "RemoveAll " + p
				merr, oerr = mem.RemoveAll(p), root.RemoveAll(p)
			case 4, 5:
				what = "Rename " + p + " " + q
				merr, oerr = mem.Rename(p, q), root.Rename(p, q)
			case 6:
				tg := targets[int(r.u8())%len(targets)]
				what = "Symlink " + tg + " " + p
				merr, oerr = mem.Symlink(tg, p), root.Symlink(tg, p)
			case 7:
				what = "Link " + p + " " + q
				merr, oerr = mem.Link(p, q), root.Link(p, q)
			case 8:
				what = "Chmod " + p
				merr, oerr = mem.Chmod(p, 0o700), root.Chmod(p, 0o700)
			}
			trace = append(trace, what)
			if errShape(merr) != errShape(oerr) || errOp(merr) != errOp(oerr) {
				t.Fatalf("step %d %s: memfs %v, os.Root %v\ntrace: %q", step, what, merr, oerr, trace)
			}
			compareTrees(t, os.DirFS(dir), mem)
			if t.Failed() {
				t.Fatalf("trees differ after step %d\ntrace: %q", step, trace)
			}
			_ = filepath.Join
		}
	})
}
