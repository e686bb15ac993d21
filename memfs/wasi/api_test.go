package wasi_test

import (
	"fmt"
	"io"
	"runtime"
	"testing"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"

	"github.com/zcopy/zcopy/memfs"
	"github.com/zcopy/zcopy/memfs/wasi"
)

// step is one call on a filesystem, returning what a guest observes.
type step struct {
	name string
	do   func(fsys experimentalsys.FS) string
}

func errnoStr(e experimentalsys.Errno) string {
	if e == 0 {
		return "ok"
	}
	return e.Error()
}

// statStr is what of a Stat_t both filesystems must agree on.
func statStr(fsys experimentalsys.FS, p string, follow bool) string {
	var st, err = fsys.Lstat(p)
	if follow {
		st, err = fsys.Stat(p)
	}
	if err != 0 {
		return errnoStr(err)
	}
	size := st.Size
	if st.Mode.IsDir() {
		size = -1
	}
	return fmt.Sprintf("%v size=%d nlink=%d", st.Mode, size, st.Nlink)
}

func mkfile(p string) step {
	return step{"create " + p, func(fsys experimentalsys.FS) string {
		f, e := fsys.OpenFile(p, experimentalsys.O_RDWR|experimentalsys.O_CREAT|experimentalsys.O_EXCL, 0o644)
		if e != 0 {
			return errnoStr(e)
		}
		n, e := f.Write([]byte("data of " + p))
		f.Close()
		return fmt.Sprint(n, " ", errnoStr(e))
	}}
}

func call(name string, f func(experimentalsys.FS) experimentalsys.Errno) step {
	return step{name, func(fsys experimentalsys.FS) string { return errnoStr(f(fsys)) }}
}

func stat(p string) step {
	return step{"stat " + p, func(fsys experimentalsys.FS) string { return statStr(fsys, p, true) }}
}

func lstat(p string) step {
	return step{"lstat " + p, func(fsys experimentalsys.FS) string { return statStr(fsys, p, false) }}
}

// TestAgainstDirFS runs sequences of wazero FS and File calls on a host
// directory through wazero's sysfs.DirFS and on memfs through the
// adapter, and compares every answer: the calls a Go guest never makes
// (its os package checks first) but other guests do.
func TestAgainstDirFS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the oracle is Linux's answers through DirFS")
	}
	mkdir := func(p string) step {
		return call("mkdir "+p, func(fsys experimentalsys.FS) experimentalsys.Errno { return fsys.Mkdir(p, 0o755) })
	}
	rename := func(a, b string) step {
		return call("rename "+a+" "+b, func(fsys experimentalsys.FS) experimentalsys.Errno { return fsys.Rename(a, b) })
	}
	sequences := map[string][]step{
		"rename": {
			mkdir("d"), mkdir("e"), mkfile("d/f"), mkfile("g"), mkdir("empty"),
			rename("g", "e"),     // a file onto a directory: EISDIR
			rename("e", "g"),     // a directory onto a file: ENOTDIR
			rename("e", "d"),     // onto a non-empty directory: ENOTEMPTY
			rename("d", "d/sub"), // into itself: EINVAL
			rename("d", "empty"), // replaces an empty directory
			stat("d"), stat("empty"), stat("empty/f"),
			rename("empty", "empty"), // itself: nothing
			rename("missing", "x"),
			rename("g", "missing/x"),
			mkdir("e/sub"), rename("e/sub", "e"), // a directory onto its parent: ENOTEMPTY
		},
		"unlink rmdir": {
			mkdir("d"), mkfile("d/f"), mkfile("f"),
			call("unlink d", func(fsys experimentalsys.FS) experimentalsys.Errno { return fsys.Unlink("d") }),
			call("unlink f/", func(fsys experimentalsys.FS) experimentalsys.Errno { return fsys.Unlink("f/") }),
			call("rmdir f", func(fsys experimentalsys.FS) experimentalsys.Errno { return fsys.Rmdir("f") }),
			call("rmdir d", func(fsys experimentalsys.FS) experimentalsys.Errno { return fsys.Rmdir("d") }),
			call("unlink d/f", func(fsys experimentalsys.FS) experimentalsys.Errno { return fsys.Unlink("d/f") }),
			call("rmdir d/", func(fsys experimentalsys.FS) experimentalsys.Errno { return fsys.Rmdir("d/") }),
			call("unlink missing", func(fsys experimentalsys.FS) experimentalsys.Errno { return fsys.Unlink("missing") }),
			call("mkdir f/x", func(fsys experimentalsys.FS) experimentalsys.Errno { return fsys.Mkdir("f/x", 0o755) }),
			call("mkdir f", func(fsys experimentalsys.FS) experimentalsys.Errno { return fsys.Mkdir("f", 0o755) }),
		},
		"links": {
			mkfile("f"), mkdir("d"),
			call("link f g", func(fsys experimentalsys.FS) experimentalsys.Errno { return fsys.Link("f", "g") }),
			stat("f"),
			call("link d h", func(fsys experimentalsys.FS) experimentalsys.Errno { return fsys.Link("d", "h") }),
			call("symlink f s", func(fsys experimentalsys.FS) experimentalsys.Errno { return fsys.Symlink("f", "s") }),
			call("symlink /etc/passwd abs", func(fsys experimentalsys.FS) experimentalsys.Errno { return fsys.Symlink("/etc/passwd", "abs") }),
			lstat("s"), stat("s"),
			{"readlink s", func(fsys experimentalsys.FS) string { l, e := fsys.Readlink("s"); return l + " " + errnoStr(e) }},
			{"readlink f", func(fsys experimentalsys.FS) string { l, e := fsys.Readlink("f"); return l + " " + errnoStr(e) }},
			{"open s nofollow", func(fsys experimentalsys.FS) string {
				f, e := fsys.OpenFile("s", experimentalsys.O_RDONLY|experimentalsys.O_NOFOLLOW, 0)
				if e == 0 {
					f.Close()
				}
				return errnoStr(e)
			}},
			{"open f directory", func(fsys experimentalsys.FS) string {
				f, e := fsys.OpenFile("f", experimentalsys.O_RDONLY|experimentalsys.O_DIRECTORY, 0)
				if e == 0 {
					f.Close()
				}
				return errnoStr(e)
			}},
		},
		"file calls": {
			mkfile("f"), mkdir("d"),
			{"file ops", func(fsys experimentalsys.FS) string {
				f, e := fsys.OpenFile("f", experimentalsys.O_RDWR, 0)
				if e != 0 {
					return errnoStr(e)
				}
				defer f.Close()
				out := ""
				n, e := f.Pwrite([]byte("XY"), 20)
				out += fmt.Sprint(" pwrite ", n, errnoStr(e))
				buf := make([]byte, 64)
				n, e = f.Pread(buf, 0)
				out += fmt.Sprintf(" pread %q %s", buf[:n], errnoStr(e))
				n, e = f.Pread(buf, 100)
				out += fmt.Sprint(" pread-eof ", n, errnoStr(e))
				off, e := f.Seek(-2, io.SeekEnd)
				out += fmt.Sprint(" seek ", off, errnoStr(e))
				_, e = f.Seek(-100, io.SeekCurrent)
				out += " seek-neg " + errnoStr(e)
				out += " truncate " + errnoStr(f.Truncate(3))
				out += " truncate-neg " + errnoStr(f.Truncate(-1))
				st, e := f.Stat()
				out += fmt.Sprint(" size ", st.Size, errnoStr(e))
				out += " utimens " + errnoStr(f.Utimens(1234567890123456789, experimentalsys.UTIME_OMIT))
				st, _ = f.Stat()
				out += fmt.Sprint(" atim ", st.Atim)
				out += " sync " + errnoStr(f.Sync()) + " datasync " + errnoStr(f.Datasync())
				out += " close " + errnoStr(f.Close()) + " close " + errnoStr(f.Close())
				_, e = f.Stat()
				out += " stat-closed " + errnoStr(e)
				_, e = f.Write([]byte("x"))
				out += " write-closed " + errnoStr(e)
				return out
			}},
			{"read-only", func(fsys experimentalsys.FS) string {
				f, e := fsys.OpenFile("f", experimentalsys.O_RDONLY, 0)
				if e != 0 {
					return errnoStr(e)
				}
				defer f.Close()
				_, e = f.Write([]byte("x"))
				out := "write " + errnoStr(e)
				out += " truncate " + errnoStr(f.Truncate(0))
				return out
			}},
			{"dir handle", func(fsys experimentalsys.FS) string {
				f, e := fsys.OpenFile("d", experimentalsys.O_RDONLY, 0)
				if e != 0 {
					return errnoStr(e)
				}
				defer f.Close()
				_, e = f.Read(make([]byte, 8))
				out := "read " + errnoStr(e)
				_, e = f.Pwrite([]byte("x"), 0)
				out += " pwrite " + errnoStr(e)
				out += " truncate " + errnoStr(f.Truncate(0))
				isDir, _ := f.IsDir()
				out += fmt.Sprint(" isdir ", isDir)
				return out
			}},
			{"open dir rw", func(fsys experimentalsys.FS) string {
				_, e := fsys.OpenFile("d", experimentalsys.O_RDWR, 0)
				return errnoStr(e)
			}},
			{"utimens path", func(fsys experimentalsys.FS) string {
				e := fsys.Utimens("f", 1, 987654321987654321)
				st, _ := fsys.Stat("f")
				return fmt.Sprint(errnoStr(e), " ", st.Atim, " ", st.Mtim, " missing ", errnoStr(fsys.Utimens("missing", 1, 2)))
			}},
		},
	}
	for name, seq := range sequences {
		t.Run(name, func(t *testing.T) {
			dirfs := sysfs.DirFS(t.TempDir())
			mfs := memfs.New()
			defer mfs.Close()
			ours := wasi.New(mfs)
			for _, s := range seq {
				want, got := s.do(dirfs), s.do(ours)
				if want != got {
					t.Errorf("%s: DirFS %q, memfs %q", s.name, want, got)
				}
			}
		})
	}
}

// TestInodesAndDevice: a file keeps its inode number through renames and
// links, File.Ino and Stat agree, every file has the FS's device, and two
// FSs have different devices.
func TestInodesAndDevice(t *testing.T) {
	mfs := memfs.New()
	defer mfs.Close()
	a := wasi.New(mfs)
	f, e := a.OpenFile("f", experimentalsys.O_RDWR|experimentalsys.O_CREAT, 0o644)
	if e != 0 {
		t.Fatal(e)
	}
	defer f.Close()
	ino, _ := f.Ino()
	dev, _ := f.Dev()
	if dev != a.Dev() {
		t.Errorf("File.Dev %d, FS.Dev %d", dev, a.Dev())
	}
	if e := a.Rename("f", "g"); e != 0 {
		t.Fatal(e)
	}
	if e := a.Link("g", "h"); e != 0 {
		t.Fatal(e)
	}
	for _, p := range []string{"g", "h"} {
		st, e := a.Stat(p)
		if e != 0 || st.Ino != ino || st.Dev != dev || st.Nlink != 2 {
			t.Errorf("Stat(%s) = %+v, %v; want ino %d dev %d nlink 2", p, st, e, ino, dev)
		}
	}
	if st, _ := f.Stat(); st.Ino != ino {
		t.Errorf("File.Stat ino %d, want %d", st.Ino, ino)
	}
	root, _ := a.Stat(".")
	if root.Ino == ino || root.Ino == 0 {
		t.Errorf("root ino %d, file ino %d", root.Ino, ino)
	}
	if b := wasi.New(memfs.New()); b.Dev() == a.Dev() {
		t.Errorf("two FSs share device %d", a.Dev())
	}
}

// TestReaddirRewind: Readdir lists without "." and "..", a listing is
// fixed at its first call, and Seek(0) takes a new one.
func TestReaddirRewind(t *testing.T) {
	mfs := memfs.New()
	defer mfs.Close()
	a := wasi.New(mfs)
	for _, n := range []string{"d", "d/a", "d/b"} {
		if n == "d" {
			mfs.Mkdir(n, 0o755)
		} else {
			mfs.WriteFile(n, nil, 0o644)
		}
	}
	d, e := a.OpenFile("d", experimentalsys.O_RDONLY, 0)
	if e != 0 {
		t.Fatal(e)
	}
	defer d.Close()
	names := func(n int) []string {
		ents, e := d.Readdir(n)
		if e != 0 {
			t.Fatal(e)
		}
		var s []string
		for _, x := range ents {
			st, e := a.Lstat("d/" + x.Name)
			if e == 0 && (x.Ino != st.Ino || x.Type != st.Mode.Type()) {
				t.Errorf("dirent %v, Lstat ino %d mode %v", x, st.Ino, st.Mode)
			}
			s = append(s, x.Name)
		}
		return s
	}
	if got := names(1); fmt.Sprint(got) != "[a]" {
		t.Errorf("first Readdir(1) = %v", got)
	}
	mfs.Remove("d/b")
	mfs.WriteFile("d/c", nil, 0o644)
	if got := names(-1); fmt.Sprint(got) != "[b]" {
		t.Errorf("rest of the listing = %v, want the listing of the first call: [b]", got)
	}
	if _, e := d.Seek(0, io.SeekStart); e != 0 {
		t.Fatal(e)
	}
	if got := names(-1); fmt.Sprint(got) != "[a c]" {
		t.Errorf("after rewind = %v, want [a c]", got)
	}
}

// TestPwriteNegative: pwrite(2) at a negative offset is EINVAL, as Linux
// and wazero's File doc say (DirFS answers EIO: os.File.WriteAt's error
// has no errno).
func TestPwriteNegative(t *testing.T) {
	mfs := memfs.New()
	defer mfs.Close()
	f, e := wasi.New(mfs).OpenFile("f", experimentalsys.O_RDWR|experimentalsys.O_CREAT, 0o644)
	if e != 0 {
		t.Fatal(e)
	}
	defer f.Close()
	if _, e := f.Pwrite([]byte("x"), -1); e != experimentalsys.EINVAL {
		t.Errorf("Pwrite at -1: %v, want EINVAL", e)
	}
	if _, e := f.Pread(make([]byte, 1), -1); e != experimentalsys.EINVAL {
		t.Errorf("Pread at -1: %v, want EINVAL", e)
	}
}

// TestSetAppend: append mode turned on after open places writes at the
// end and moves the offset there, as O_APPEND does; turning off the
// O_APPEND a file was opened with is ENOTSUP (see File.SetAppend).
func TestSetAppend(t *testing.T) {
	mfs := memfs.New()
	defer mfs.Close()
	a := wasi.New(mfs)
	f, e := a.OpenFile("f", experimentalsys.O_RDWR|experimentalsys.O_CREAT, 0o644)
	if e != 0 {
		t.Fatal(e)
	}
	defer f.Close()
	f.Write([]byte("ab"))
	if e := f.SetAppend(true); e != 0 || !f.IsAppend() {
		t.Fatalf("SetAppend(true) = %v, IsAppend %v", e, f.IsAppend())
	}
	f.Seek(0, io.SeekStart)
	if n, e := f.Write([]byte("c")); n != 1 || e != 0 {
		t.Fatalf("Write = %d, %v", n, e)
	}
	if off, _ := f.Seek(0, io.SeekCurrent); off != 3 {
		t.Errorf("offset after an append-mode write = %d, want 3", off)
	}
	if b, _ := mfs.ReadFile("f"); string(b) != "abc" {
		t.Errorf("file = %q, want abc", b)
	}
	if e := f.SetAppend(false); e != 0 || f.IsAppend() {
		t.Errorf("SetAppend(false) = %v, IsAppend %v", e, f.IsAppend())
	}
	g, e := a.OpenFile("f", experimentalsys.O_WRONLY|experimentalsys.O_APPEND, 0)
	if e != 0 {
		t.Fatal(e)
	}
	defer g.Close()
	if e := g.SetAppend(false); e != experimentalsys.ENOTSUP {
		t.Errorf("SetAppend(false) on an O_APPEND open = %v, want ENOTSUP", e)
	}
}
