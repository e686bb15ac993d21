package memfs_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/memfs"
	"golang.org/x/sys/unix"
)

// modeGid is what a test compares of a new inode: its mode and group.
func memModeGid(t *testing.T, mem *memfs.FS, name string) string {
	t.Helper()
	fi, err := mem.Lstat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%v gid %d", fi.Mode(), fi.Sys().(*memfs.Stat).Gid)
}

func hostModeGid(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%v gid %d", fi.Mode(), fi.Sys().(*syscall.Stat_t).Gid)
}

// TestSetgidLikeLinux pins issue 14 item 7: mkdir(2) drops S_ISGID from
// the mode it is given; a set-gid directory passes S_ISGID to new
// directories and its group to every new inode in it.
func TestSetgidLikeLinux(t *testing.T) {
	testutil.NeedRoot(t) // to give a directory another group
	dir, root, mem := shmRoot(t)
	const gid = 4321
	check := func(name string) {
		t.Helper()
		if m, l := memModeGid(t, mem, name), hostModeGid(t, dir+"/"+name); m != l {
			t.Errorf("%s: memfs %s, Linux %s", name, m, l)
		}
	}
	// mkdir(2) with S_ISGID in its mode, on a plain parent.
	if err := unix.Mkdir(dir+"/sg", 0o2751); err != nil {
		t.Fatal(err)
	}
	if err := mem.Mkdir("sg", 0o751|fs.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	check("sg")
	if err := unix.Mkdir(dir+"/sticky", 0o1755); err != nil {
		t.Fatal(err)
	}
	if err := mem.Mkdir("sticky", 0o755|fs.ModeSticky); err != nil {
		t.Fatal(err)
	}
	check("sticky")

	// A set-gid parent of another group.
	if err := root.Mkdir("p", 0o775); err != nil {
		t.Fatal(err)
	}
	if err := mem.Mkdir("p", 0o775); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		root.Chown("p", -1, gid), root.Chmod("p", 0o775|fs.ModeSetgid),
		mem.Chown("p", -1, gid), mem.Chmod("p", 0o775|fs.ModeSetgid),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	check("p")
	ops := []nsOp{
		mkdir("p/d"), create("p/f", os.O_RDWR|os.O_CREATE), symlink("f", "p/l"), mkdirAll("p/a/b/c"),
		both("Mkdir p/sg2 setgid", func(m *memfs.FS) error { return m.Mkdir("p/sg2", 0o700|fs.ModeSetgid) },
			func(r *os.Root) error { return unix.Mkdir(r.Name()+"/p/sg2", 0o2700) }),
	}
	for _, op := range ops {
		if merr, oerr := op.mem(mem), op.root(root); merr != nil || oerr != nil {
			t.Fatalf("%s: %v, %v", op.name, merr, oerr)
		}
	}
	for _, name := range []string{"p/d", "p/f", "p/l", "p/a", "p/a/b", "p/a/b/c", "p/sg2"} {
		check(name)
	}
}

// times is an inode's mtime and ctime.
type times struct{ m, c time.Time }

func memTimes(t *testing.T, mem *memfs.FS, name string) times {
	t.Helper()
	fi, err := mem.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*memfs.Stat)
	return times{st.Mtime, st.Ctime}
}

func hostTimes(t *testing.T, path string) times {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return times{time.Unix(st.Mtim.Unix()), time.Unix(st.Ctim.Unix())}
}

// TestTimesLikeLinux pins issue 14 item 8: which operations change a
// file's mtime and ctime, on memfs as on tmpfs (O_TRUNC of an empty file
// changes both).
func TestTimesLikeLinux(t *testing.T) {
	dir, root, mem := shmRoot(t)
	old := time.Unix(1_000_000_000, 0)
	type step struct {
		name string
		mem  func() error
		host func() error
	}
	openClose := func(name string, flag int) step {
		return step{fmt.Sprintf("OpenFile(%s, %#x)", name, flag),
			func() error {
				f, err := mem.OpenFile(name, flag, 0o644)
				if err == nil {
					f.Close()
				}
				return err
			},
			func() error {
				f, err := root.OpenFile(name, flag, 0o644)
				if err == nil {
					f.Close()
				}
				return err
			}}
	}
	withHandle := func(what string, name string, fm func(*memfs.File) error, fo func(*os.File) error) step {
		return step{what + " " + name,
			func() error {
				f, err := mem.OpenFile(name, os.O_RDWR, 0)
				if err != nil {
					return err
				}
				defer f.Close()
				return fm(f)
			},
			func() error {
				f, err := root.OpenFile(name, os.O_RDWR, 0)
				if err != nil {
					return err
				}
				defer f.Close()
				return fo(f)
			}}
	}
	steps := []step{
		openClose("empty", os.O_WRONLY|os.O_TRUNC),
		openClose("empty", os.O_RDONLY|os.O_TRUNC),
		openClose("full", os.O_WRONLY|os.O_TRUNC),
		openClose("full", os.O_RDWR),
		openClose("full", os.O_RDWR|os.O_CREATE),
		withHandle("Truncate(same size)", "full", func(f *memfs.File) error { return f.Truncate(5) }, func(f *os.File) error { return f.Truncate(5) }),
		withHandle("Truncate(0)", "empty", func(f *memfs.File) error { return f.Truncate(0) }, func(f *os.File) error { return f.Truncate(0) }),
		withHandle("Write(nothing)", "full", func(f *memfs.File) error { _, err := f.Write(nil); return err }, func(f *os.File) error { _, err := f.Write(nil); return err }),
		withHandle("Write", "full", func(f *memfs.File) error { _, err := f.Write([]byte("x")); return err }, func(f *os.File) error { _, err := f.Write([]byte("x")); return err }),
		{"truncate(same size)", func() error { return mem.Truncate("full", 5) }, func() error { return unix.Truncate(dir+"/full", 5) }},
		{"truncate(0) empty", func() error { return mem.Truncate("empty", 0) }, func() error { return unix.Truncate(dir+"/empty", 0) }},
		{"truncate(grow)", func() error { return mem.Truncate("full", 9) }, func() error { return unix.Truncate(dir+"/full", 9) }},
		{"truncate(grow) empty", func() error { return mem.Truncate("empty", 9) }, func() error { return unix.Truncate(dir+"/empty", 9) }},
		{"truncate(grow, same size) empty", func() error {
			if err := mem.Truncate("empty", 9); err != nil {
				return err
			}
			mem.Chtimes("empty", old, old)
			time.Sleep(20 * time.Millisecond)
			return mem.Truncate("empty", 9)
		}, func() error {
			if err := unix.Truncate(dir+"/empty", 9); err != nil {
				return err
			}
			root.Chtimes("empty", old, old)
			time.Sleep(20 * time.Millisecond)
			return unix.Truncate(dir+"/empty", 9)
		}},
	}
	for _, s := range steps {
		for _, name := range []string{"empty", "full"} {
			var data []byte
			if name == "full" {
				data = []byte("hello")
			}
			if err1, err2 := mem.WriteFile(name, data, 0o644), root.WriteFile(name, data, 0o644); err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if err1, err2 := mem.Chtimes(name, old, old), root.Chtimes(name, old, old); err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
		}
		mb, hb := map[string]times{}, map[string]times{}
		for _, name := range []string{"empty", "full"} {
			mb[name], hb[name] = memTimes(t, mem, name), hostTimes(t, filepath.Join(dir, name))
		}
		time.Sleep(20 * time.Millisecond) // past the kernel's coarse clock tick
		if err1, err2 := s.mem(), s.host(); err1 != nil || err2 != nil {
			t.Fatal(s.name, err1, err2)
		}
		for _, name := range []string{"empty", "full"} {
			ma, ha := memTimes(t, mem, name), hostTimes(t, filepath.Join(dir, name))
			m := fmt.Sprintf("mtime changed %v, ctime changed %v", !ma.m.Equal(mb[name].m), !ma.c.Equal(mb[name].c))
			h := fmt.Sprintf("mtime changed %v, ctime changed %v", !ha.m.Equal(hb[name].m), !ha.c.Equal(hb[name].c))
			if m != h {
				t.Errorf("%s, %s: memfs %s; Linux %s", s.name, name, m, h)
			}
		}
	}
}
