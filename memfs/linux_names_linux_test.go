package memfs_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/memfs"
	"golang.org/x/sys/unix"
)

// TestNULLikeLinux pins the rule that no name holds a NUL byte: every
// method fails with EINVAL, as os.Root does when it reaches the
// component (and the system calls for the whole path), and nothing is
// created. Go's os.TestErrPathNUL, run in a WASI guest over memfs, checks
// it too.
func TestNULLikeLinux(t *testing.T) {
	dir, root, mem := shmRoot(t)
	const rw = os.O_RDWR | os.O_CREATE
	const nul = "a\x00b"
	runNsOps(t, dir, root, mem, []nsOp{
		mkdir("d"), create("f", rw),
		create(nul, rw), create(nul, os.O_RDONLY), create("d/"+nul, rw|os.O_EXCL), create(nul+"/../f", os.O_RDONLY),
		create("missing/"+nul, rw), create("f/"+nul, rw), create("d/../"+nul, rw), create("/"+nul, rw),
		mkdir(nul), mkdir("d/" + nul), mkdirAll(nul), mkdirAll("q/" + nul), mkdirAll("q/" + nul + "/r"),
		remove(nul), remove("d/" + nul), removeAll(nul), removeAll("d/" + nul + "/"),
		rename(nul, "x"), rename("f", nul), rename("missing", nul), rename("f", "d/"+nul),
		link(nul, "x"), link("f", nul), link("missing", "d/"+nul), link(nul, "missing/x"), link(nul, "f/"), link("missing/"+nul, nul), link(nul, "d/x/"), link(nul, "d/"),
		rename(nul, "missing/x"), rename(nul, "f/x"), rename(nul, "d/"), rename(nul+"/", "missing/x"), rename(nul, "d/x/"), rename("d/"+nul, "x/y"),
		symlink(nul, "x"), symlink("f", nul), symlink(nul, "missing/x"), symlink(nul, "f"), symlink(nul, "x/"), symlink(nul, "d/"), symlink(nul, "f/"),
		stat(nul), stat("d/" + nul), readlink(nul), chmod(nul, 0o600), chtimes(nul),
		truncateOp(nul, 0), truncateOp("d/"+nul, 0),
	})
	// The system calls refuse the whole path, whatever its components.
	for _, p := range []string{nul, "d/" + nul, "missing/" + nul} {
		var st unix.Stat_t
		lerr := unix.Stat(filepath.Join(dir, p), &st)
		_, merr := mem.Stat(p)
		if p != "missing/"+nul && errShape(merr) != errShape(lerr) {
			t.Errorf("Stat %q: memfs %v, stat(2) %v", p, merr, lerr)
		}
		if lerr != unix.EINVAL {
			t.Errorf("stat(2) %q: %v", p, lerr)
		}
	}
	if _, err := mem.ReadFile(nul); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("ReadFile(%q): %v, want EINVAL", nul, err)
	}
}

// TestSentinelErrorsLikeOSRoot pins the exported errors memfs gives
// without an errno: errors.Is matches them through the *fs.PathError, and
// their texts are those os.Root and os.File give in the same cases.
func TestSentinelErrorsLikeOSRoot(t *testing.T) {
	dir, root, mem := shmRoot(t)
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := mem.WriteFile("f", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, rEsc := root.Stat("../x")
	_, rEmpty := root.Stat("")
	rf, err := root.Open("f")
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	_, rNeg := rf.ReadAt(make([]byte, 1), -1)
	mf, err := mem.Open("f")
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	_, mEsc := mem.Stat("../x")
	_, mEmpty := mem.Stat("")
	_, mNeg := mf.(io.ReaderAt).ReadAt(make([]byte, 1), -1)
	for _, c := range []struct {
		sentinel     error
		memfs, osErr error
	}{
		{memfs.ErrPathEscapes, mEsc, rEsc},
		{memfs.ErrEmptyPath, mEmpty, rEmpty},
		{memfs.ErrNegativeOffset, mNeg, rNeg},
	} {
		if !errors.Is(c.memfs, c.sentinel) {
			t.Errorf("errors.Is(%v, %v) = false", c.memfs, c.sentinel)
		}
		var pe *fs.PathError
		if !errors.As(c.osErr, &pe) || pe.Err.Error() != c.sentinel.Error() {
			t.Errorf("os gives %v, memfs's sentinel says %q", c.osErr, c.sentinel)
		}
	}
}

// TestOSRootNotKernelLikeOSRoot pins the package doc's list of the cases
// where os.Root and the kernel answer differently and memfs answers like
// os.Root: each runs from a fresh tree on memfs, through os.Root and as a
// system call on a tmpfs directory; memfs must give os.Root's errno, and
// the kernel another (else the doc's claim is stale).
func TestOSRootNotKernelLikeOSRoot(t *testing.T) {
	setup := func(dir string, mem *memfs.FS) {
		for _, f := range []string{"a", "d"} {
			os.WriteFile(filepath.Join(dir, f), nil, 0o644)
			mem.WriteFile(f, nil, 0o644)
		}
		os.Mkdir(filepath.Join(dir, "dd"), 0o755)
		mem.Mkdir("dd", 0o755)
		for _, l := range [][2]string{{"nowhere", "dang"}, {"nowhere/", "dangs"}, {"d/", "lds"}} {
			os.Symlink(l[0], filepath.Join(dir, l[1]))
			mem.Symlink(l[0], l[1])
		}
	}
	const rwc = os.O_RDWR | os.O_CREATE
	open := create
	cases := []struct {
		op     nsOp
		kernel func(dir string) error
	}{
		{open("new/", rwc), func(dir string) error { return openClose(dir+"/new/", rwc) }},
		{open("a/", rwc), func(dir string) error { return openClose(dir+"/a/", rwc) }},
		{open("dd/", rwc|os.O_EXCL), func(dir string) error { return openClose(dir+"/dd/", rwc|os.O_EXCL) }},
		{open("dangs", rwc), func(dir string) error { return openClose(dir+"/dangs", rwc) }},
		{open("lds", rwc), func(dir string) error { return openClose(dir+"/lds", rwc) }},
		{link("e", "d/b"), func(dir string) error { return unix.Link(dir+"/e", dir+"/d/b") }},
		{link("a", "a/"), func(dir string) error { return unix.Link(dir+"/a", dir+"/a/") }},
		{symlink("x", "d/"), func(dir string) error { return unix.Symlink("x", dir+"/d/") }},
		{symlink("x", "dang/"), func(dir string) error { return unix.Symlink("x", dir+"/dang/") }},
		{rename("e", "d/"), func(dir string) error { return unix.Rename(dir+"/e", dir+"/d/") }},
		{rename("a/", "x/y"), func(dir string) error { return unix.Rename(dir+"/a/", dir+"/x/y") }},
		{rename("dd", "dang/"), func(dir string) error { return unix.Rename(dir+"/dd", dir+"/dang/") }},
		{rename("a", "dd"), func(dir string) error { return unix.Rename(dir+"/a", dir+"/dd") }},
		{stat("missing/a\x00b"), func(dir string) error {
			var st unix.Stat_t
			return unix.Lstat(dir+"/missing/a\x00b", &st)
		}},
	}
	for _, c := range cases {
		dir, root, mem := shmRoot(t)
		setup(dir, mem)
		merr, rerr := c.op.mem(mem), c.op.root(root)
		kdir := testutil.ShmDir(t)
		setup(kdir, memfs.New())
		kerr := c.kernel(kdir)
		if errShape(merr) != errShape(rerr) {
			t.Errorf("%s: memfs %v, os.Root %v", c.op.name, merr, rerr)
		}
		if errShape(rerr) == errShape(kerr) {
			t.Errorf("%s: os.Root and the kernel agree now (%v): update the package doc", c.op.name, kerr)
		}
	}
}

// openClose is open(2) of p, closed at once.
func openClose(p string, flag int) error {
	fd, err := unix.Open(p, flag|unix.O_CLOEXEC, 0o644)
	if err == nil {
		unix.Close(fd)
	}
	return err
}
