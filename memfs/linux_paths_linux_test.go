package memfs_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/memfs"
	"golang.org/x/sys/unix"
)

// shmRoot is a fresh directory on the tmpfs at /dev/shm opened with
// os.OpenRoot, and a memfs with the process's umask: the two sides of a
// comparison with Linux.
func shmRoot(t *testing.T) (string, *os.Root, *memfs.FS) {
	t.Helper()
	dir := testutil.ShmDir(t)
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	umask := fs.FileMode(syscall.Umask(0))
	syscall.Umask(int(umask))
	return dir, root, newFS(t, memfs.WithUmask(umask))
}

// runNsOps runs ops on both sides and compares each error (errno or
// message, Op, path, errors.Is), then the whole trees.
func runNsOps(t *testing.T, dir string, root *os.Root, mem *memfs.FS, ops []nsOp) {
	t.Helper()
	for i, op := range ops {
		merr, oerr := op.mem(mem), op.root(root)
		if errShape(merr) != errShape(oerr) || errOp(merr) != errOp(oerr) || pathOf(merr) != pathOf(oerr) {
			t.Errorf("%d %s: memfs %v, Linux %v", i, op.name, merr, oerr)
		}
		for _, target := range []error{fs.ErrNotExist, fs.ErrExist, fs.ErrPermission, fs.ErrInvalid} {
			if errors.Is(merr, target) != errors.Is(oerr, target) {
				t.Errorf("%d %s: errors.Is(%v) differs: %v vs %v", i, op.name, target, merr, oerr)
			}
		}
	}
	compareTrees(t, os.DirFS(dir), mem)
}

// truncateOp is Truncate by name: os.Root has none, so Linux's side is
// truncate(2) on the full path, its errno wrapped as memfs wraps it.
func truncateOp(p string, size int64) nsOp {
	return both(fmt.Sprintf("Truncate %s %d", p, size),
		func(m *memfs.FS) error { return m.Truncate(p, size) },
		func(r *os.Root) error {
			if err := unix.Truncate(r.Name()+"/"+p, size); err != nil {
				return &fs.PathError{Op: "truncate", Path: p, Err: err}
			}
			return nil
		})
}

// TestTrailingDotLikeLinux pins issue 14 item 1: a trailing "/." makes
// the name before it a directory to enter (following a symlink), and the
// operation then applies to ".": never to the name itself.
func TestTrailingDotLikeLinux(t *testing.T) {
	dir, root, mem := shmRoot(t)
	const rw = os.O_RDWR | os.O_CREATE
	runNsOps(t, dir, root, mem, []nsOp{
		create("file", rw), mkdir("d"), symlink("file", "lf"), symlink("d", "ld"),
		symlink("../..", "nod/."), symlink("x", "d/."), symlink("x", "file/."), symlink("x", "lf/."),
		rename("file/.", "b"), rename("lf/.", "b"), rename("d/.", "e"), rename("d", "e/."),
		rename("file", "d/."), rename("ld/.", "e"), rename("file", "nod/."),
		rename("d", "d/."), rename("d/.", "d"), rename("d", "d"), rename("d", "./d"), rename("d", "ld/."),
		remove("d/."), remove("file/."), remove("lf/."), remove("ld/."), remove("d/./"),
		mkdir("d/."), mkdir("file/."), mkdir("nod/."), mkdir("d/./"),
		link("file", "d/."), link("d/.", "x"), link("file/.", "x"), link("lf/.", "x"),
		create("file/.", os.O_RDWR|os.O_TRUNC), create("lf/.", os.O_RDWR|os.O_TRUNC),
		create("file/.", rw), create("nod/.", rw), create("d/.", rw), create("d/.", rw|os.O_EXCL),
		create("d/.", os.O_RDONLY), create("ld/.", os.O_RDONLY), create("d/./.", os.O_RDONLY),
		create("d/.", os.O_WRONLY),
		stat("file/."), stat("lf/."), stat("ld/."), stat("d/."), stat("nod/."),
		readlink("lf/."), readlink("ld/."), chmod("file/.", 0o600), chmod("ld/.", 0o700), chtimes("lf/."),
		removeAll("file/."), removeAll("d/."),
		truncateOp("file/.", 0), truncateOp("lf/.", 0), truncateOp("d/.", 0), truncateOp("ld/.", 3),
	})
	if got := readAll(t, mem, "file"); string(got) != "data of file" {
		t.Errorf("file was changed: %q", got)
	}
}

// TestSymlinkTrailingSlashLikeLinux pins issue 14 item 2: a symlink whose
// target ends in "/" names a directory, so opening it with O_CREATE
// never creates a regular file.
func TestSymlinkTrailingSlashLikeLinux(t *testing.T) {
	dir, root, mem := shmRoot(t)
	const rw = os.O_RDWR | os.O_CREATE
	runNsOps(t, dir, root, mem, []nsOp{
		symlink("d/", "a"), create("a", os.O_WRONLY|os.O_CREATE), create("a", rw|os.O_TRUNC),
		stat("a"), mkdir("e"), symlink("e/", "b"), create("b", rw), create("b", os.O_RDONLY),
		create("file", rw), symlink("file/", "c"), create("c", os.O_RDWR), create("c", rw), stat("c"),
		symlink("file/.", "c2"), create("c2", os.O_RDWR), truncateOp("c", 0), truncateOp("a", 0),
	})
	// The kernel itself agrees that no file is made: open(2) says EISDIR.
	fd, err := unix.Open(filepath.Join(dir, "a"), unix.O_WRONLY|unix.O_CREAT, 0o644)
	if err == nil {
		unix.Close(fd)
	}
	if _, serr := os.Lstat(filepath.Join(dir, "d")); err != unix.EISDIR || serr == nil {
		t.Fatalf("open(2) of a symlink to d/: %v; d: %v", err, serr)
	}
	if _, err := mem.Lstat("d"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("memfs made d: %v", err)
	}
}

// TestCreateOnDirectoryLikeLinux pins issue 14 item 3: O_CREATE on an
// existing directory is EISDIR, whatever the access mode.
func TestCreateOnDirectoryLikeLinux(t *testing.T) {
	dir, root, mem := shmRoot(t)
	runNsOps(t, dir, root, mem, []nsOp{
		mkdir("d"), symlink("d", "ld"),
		create("d", os.O_RDONLY|os.O_CREATE), create("d/", os.O_RDONLY|os.O_CREATE), create(".", os.O_RDONLY|os.O_CREATE),
		create("ld", os.O_RDONLY|os.O_CREATE), create("d", os.O_RDONLY|os.O_CREATE|os.O_EXCL),
		create("ld", os.O_RDONLY|os.O_CREATE|os.O_EXCL), create("d", os.O_RDONLY), create("d", os.O_RDONLY|os.O_TRUNC),
	})
}

// TestMkdirAllLikeOSRoot pins issue 14 item 4: MkdirAll's errors over
// files, dangling symlinks and bad paths are os.Root's.
func TestMkdirAllLikeOSRoot(t *testing.T) {
	dir, root, mem := shmRoot(t)
	runNsOps(t, dir, root, mem, []nsOp{
		create("file", os.O_RDWR|os.O_CREATE), symlink("nowhere", "dang"), symlink("file", "lf"), symlink("sub", "ls"),
		mkdirAll("file"), mkdirAll("file/"), mkdirAll("file/x"), mkdirAll("./file/x/y"), mkdirAll("lf"), mkdirAll("lf/x"),
		mkdirAll("dang"), mkdirAll("dang/"), mkdirAll("/"), mkdirAll("/a"), mkdirAll(""), mkdirAll("."), mkdirAll(".."),
		mkdirAll("a/../file/x"), mkdirAll("ls/x/../y"), mkdirAll("dang/x"), mkdirAll("q/./r/."), mkdirAll("q//r//s/"),
		mkdirAll("q/../../x"), symlink("/abs", "abs"), mkdirAll("abs/x"), mkdirAll("abs"), symlink("loop", "loop"),
		mkdirAll("loop/x"), mkdirAll("loop"),
	})
}

// TestTruncateArgumentsLikeLinux pins the order of truncate(2)'s checks
// (issue 14 item 6): a negative length is EINVAL before the name is
// looked up.
func TestTruncateArgumentsLikeLinux(t *testing.T) {
	dir, root, mem := shmRoot(t)
	runNsOps(t, dir, root, mem, []nsOp{
		mkdir("d"), create("f", os.O_RDWR|os.O_CREATE),
		truncateOp("missing", -1), truncateOp("d", -1), truncateOp("f", -1), truncateOp("missing/x", -1),
		truncateOp("d", 0), truncateOp("f/", 0), truncateOp("f", 1<<40), truncateOp("f", 3),
	})
}

// TestSymlinkLimitLikeLinux pins the package doc's claim: a lookup follows
// up to 40 symlinks, as stat(2) does, and ELOOP beyond.
func TestSymlinkLimitLikeLinux(t *testing.T) {
	dir, _, mem := shmRoot(t)
	if err := os.WriteFile(dir+"/file", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	mem.WriteFile("file", nil, 0o644)
	prev := "file"
	for i := 1; i <= 41; i++ {
		name := fmt.Sprintf("l%d", i) // l<i> reaches file through i symlinks
		os.Symlink(prev, dir+"/"+name)
		mem.Symlink(prev, name)
		prev = name
	}
	for _, name := range []string{"l40", "l41"} {
		var st unix.Stat_t
		lerr := unix.Stat(dir+"/"+name, &st)
		_, merr := mem.Stat(name)
		if errShape(merr) != errShape(lerr) {
			t.Errorf("%s: memfs %v, stat(2) %v", name, merr, lerr)
		}
	}
}
