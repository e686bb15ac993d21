package memfs_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/zcopy/zcopy/memfs"
)

// nsOp is one namespace operation, run on a memfs and on an os.Root.
type nsOp struct {
	name string
	mem  func(*memfs.FS) error
	root func(*os.Root) error
}

func both(name string, fm func(*memfs.FS) error, fr func(*os.Root) error) nsOp {
	return nsOp{name, fm, fr}
}

func mkdir(p string) nsOp {
	return both("Mkdir "+p, func(m *memfs.FS) error { return m.Mkdir(p, 0o750) }, func(r *os.Root) error { return r.Mkdir(p, 0o750) })
}

func mkdirAll(p string) nsOp {
	return both("MkdirAll "+p, func(m *memfs.FS) error { return m.MkdirAll(p, 0o755) }, func(r *os.Root) error { return r.MkdirAll(p, 0o755) })
}

func create(p string, flag int) nsOp {
	return both(fmt.Sprintf("OpenFile %s %#x", p, flag),
		func(m *memfs.FS) error {
			f, err := m.OpenFile(p, flag, 0o640)
			if err == nil {
				if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
					_, err = f.Write([]byte("data of " + p))
				}
				f.Close()
			}
			return err
		},
		func(r *os.Root) error {
			f, err := r.OpenFile(p, flag, 0o640)
			if err == nil {
				if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
					_, err = f.Write([]byte("data of " + p))
				}
				f.Close()
			}
			return err
		})
}

func remove(p string) nsOp {
	return both("Remove "+p, func(m *memfs.FS) error { return m.Remove(p) }, func(r *os.Root) error { return r.Remove(p) })
}

func removeAll(p string) nsOp {
	return both("RemoveAll "+p, func(m *memfs.FS) error { return m.RemoveAll(p) }, func(r *os.Root) error { return r.RemoveAll(p) })
}

func rename(a, b string) nsOp {
	return both("Rename "+a+" "+b, func(m *memfs.FS) error { return m.Rename(a, b) }, func(r *os.Root) error { return r.Rename(a, b) })
}

func symlink(target, p string) nsOp {
	return both("Symlink "+target+" "+p, func(m *memfs.FS) error { return m.Symlink(target, p) }, func(r *os.Root) error { return r.Symlink(target, p) })
}

func link(a, b string) nsOp {
	return both("Link "+a+" "+b, func(m *memfs.FS) error { return m.Link(a, b) }, func(r *os.Root) error { return r.Link(a, b) })
}

func chmod(p string, mode fs.FileMode) nsOp {
	return both("Chmod "+p, func(m *memfs.FS) error { return m.Chmod(p, mode) }, func(r *os.Root) error { return r.Chmod(p, mode) })
}

func chtimes(p string) nsOp {
	t := time.Unix(1234567890, 123456789)
	return both("Chtimes "+p, func(m *memfs.FS) error { return m.Chtimes(p, t, t) }, func(r *os.Root) error { return r.Chtimes(p, t, t) })
}

func stat(p string) nsOp {
	return both("Lstat "+p, func(m *memfs.FS) error { _, err := m.Lstat(p); return err }, func(r *os.Root) error { _, err := r.Lstat(p); return err })
}

func readlink(p string) nsOp {
	return both("Readlink "+p, func(m *memfs.FS) error { _, err := m.Readlink(p); return err }, func(r *os.Root) error { _, err := r.Readlink(p); return err })
}

// TestNamespaceAgainstOSRoot runs the same namespace operations through
// memfs and os.Root on a real directory and compares every error (errno,
// Op, errors.Is) and the resulting trees.
func TestNamespaceAgainstOSRoot(t *testing.T) {
	umask := fs.FileMode(syscall.Umask(0))
	syscall.Umask(int(umask))
	const rw, ro = os.O_RDWR | os.O_CREATE, os.O_RDONLY
	ops := []nsOp{
		mkdir("d"), mkdir("d"), mkdir("d/e"), mkdir("x/y"), mkdir(""), mkdir("."), mkdir("d/.."),
		mkdirAll("p/q/r"), mkdirAll("p/q"), mkdirAll("d/e/f/"),
		create("d/f", rw), create("d/f", rw|os.O_EXCL), create("d/f", rw|os.O_TRUNC), create("nope/f", rw),
		create("d/f/x", rw), create("missing", ro), create("d", os.O_WRONLY), create("d", ro), create("d/", rw),
		create("../escape", rw), create("/abs", rw), create("d/../top", rw), create("d/./g", os.O_WRONLY|os.O_CREATE),
		mkdirAll("d/f/sub"),
		symlink("f", "d/lf"), symlink("e", "d/le"), symlink("../d", "d/e/up"), symlink("/etc", "abs"),
		symlink("loop", "loop"), symlink("dangling", "dl"), symlink("x", "d/lf"),
		create("d/lf", rw), create("d/le/inlink", rw), create("d/e/up/f", ro), create("abs", ro), create("loop", ro),
		create("dl", rw), create("d/lf", rw|os.O_EXCL),
		stat("d/lf"), stat("d/le/inlink"), stat("loop"), stat("d/f/"), stat("d/lf/"),
		readlink("d/lf"), readlink("d/f"), readlink("nope"),
		link("d/f", "hard"), link("d/f", "hard"), link("d", "dlink"), link("nope", "x"), link("d/lf", "lflink"),
		chmod("d/f", 0o600), chmod("nope", 0o600), chmod("d/lf", 0o640), chmod("p", 0o700),
		chtimes("d/f"), chtimes("nope"),
		remove("nope"), remove("d"), remove("."), remove("p/q/r"), remove("d/f/"), remove("hard"),
		rename("nope", "x"), rename("d", "d/e/sub"), rename("d/f", "p"), rename("p", "d/f"), rename("p", "d"),
		rename("d/e", "p/q"), rename("p", "moved"), rename("moved/q", "moved2"), rename("top", "top"),
		rename("lflink", "d/lf"), rename("d/f", "d/g"), rename(".", "x"), rename("moved", "."),
		mkdir("full"), create("full/x", rw), mkdir("emptyd"), rename("emptyd", "full"), rename("full", "emptyd2"),
		removeAll("nope"), removeAll("moved2"), removeAll("."), removeAll("d/e"),
		stat("moved2"), stat("d/e"),
	}
	mem := memfs.New(memfs.WithUmask(umask))
	defer mem.Close()
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for i, op := range ops {
		merr, oerr := op.mem(mem), op.root(root)
		if errShape(merr) != errShape(oerr) || errOp(merr) != errOp(oerr) {
			t.Errorf("%d %s: memfs %v, os.Root %v", i, op.name, merr, oerr)
			continue
		}
		for _, target := range []error{fs.ErrNotExist, fs.ErrExist, fs.ErrPermission, fs.ErrInvalid} {
			if errors_Is(merr, target) != errors_Is(oerr, target) {
				t.Errorf("%d %s: errors.Is(%v) differs: %v vs %v", i, op.name, target, merr, oerr)
			}
		}
		if pathOf(merr) != pathOf(oerr) {
			t.Errorf("%d %s: error paths differ: %v vs %v", i, op.name, merr, oerr)
		}
	}
	compareTrees(t, os.DirFS(dir), mem)
	// Times set by Chtimes and link counts survive renames.
	mi, _ := mem.Stat("d/g")
	oi, _ := root.Stat("d/g")
	if mi == nil || oi == nil || !mi.ModTime().Equal(oi.ModTime()) {
		t.Errorf("mtime: %v vs %v", mi, oi)
	}
	if mi != nil && mi.Sys().(*memfs.Stat).Nlink != int(oi.Sys().(*syscall.Stat_t).Nlink) {
		t.Errorf("nlink: %d vs %d", mi.Sys().(*memfs.Stat).Nlink, oi.Sys().(*syscall.Stat_t).Nlink)
	}
}

func errors_Is(err, target error) bool { return errors.Is(err, target) }

func pathOf(err error) string {
	switch e := err.(type) {
	case *fs.PathError:
		return e.Path
	case *os.LinkError:
		return e.Old + " " + e.New
	}
	return ""
}
