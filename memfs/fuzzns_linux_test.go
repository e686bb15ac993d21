package memfs_test

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/memfs"
	"golang.org/x/sys/unix"
)

// FuzzNamespace runs random namespace operations (mkdir, MkdirAll,
// create, O_CREATE on directories, remove, RemoveAll, rename, symlink,
// link, chmod with set-gid, truncate, stat, readlink, reading removed
// directories) on a memfs and on a directory of the tmpfs at /dev/shm
// (os.Root, or the system call where os.Root has no method), comparing
// every error and, after every step, the whole trees. Names include
// trailing "/" and "/.", NUL bytes, and the pairs whose errors depend on
// the order of the checks (a missing old name, a new name under a file or
// ending in "/"); symlink targets end in "/" or hold a NUL.
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
		names := []string{"a", "b", "a/c", "b/d", "a/c/e", "a/../b", "a/c/", "x", "../y", ".", "a/c/e/f",
			"a/.", "a/c/.", "b/.", "x/.", "a//c/", "a/./c", "l0", "l0/", "l0/.", "l0/c", "b/d/.",
			// NUL bytes (EINVAL once reached), and the shapes whose
			// errors come in an order of their own: a trailing slash
			// on a file, a symlink or a missing name, a name under a
			// file or a missing directory.
			"n\x00", "a/n\x00", "x/n\x00", "n\x00/c", "b/", "x/", "b/d/", "x/y/", "a/c/e/", "b/d/e", "z"}
		targets := []string{"a", "c", "../b", "a/c", "x", "/abs", "l0", "e", "a/", "x/", "a/c/.", "b/", "c/", "t\x00"}
		dir := testutil.ShmDir(t)
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
			switch r.u8() % 16 {
			case 0:
				what = "Mkdir " + p
				merr, oerr = mem.Mkdir(p, 0o750), root.Mkdir(p, 0o750)
			case 1:
				flag := os.O_RDWR | os.O_CREATE
				switch r.u8() % 4 {
				case 0:
					flag |= os.O_EXCL
				case 1:
					flag = os.O_RDONLY | os.O_CREATE // EISDIR on a directory
				case 2:
					flag |= os.O_TRUNC
				}
				perm := fs.FileMode(0o640)
				if r.u8()%4 == 0 {
					perm |= fs.ModeSetgid // open(2) keeps it (as root)
				}
				what = fmt.Sprintf("OpenFile %s %#x %v", p, flag, perm)
				mf, e1 := mem.OpenFile(p, flag, perm)
				// os.Root takes no set-gid: open(2) as root keeps it
				// on a file it creates, as a chmod after would.
				_, missing := root.Stat(p)
				of, e2 := root.OpenFile(p, flag, perm&fs.ModePerm)
				if e2 == nil && missing != nil && perm&fs.ModeSetgid != 0 {
					e2 = of.Chmod(perm &^ umask)
				}
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
				mode := fs.FileMode(0o700)
				if r.u8()%2 == 0 {
					mode |= fs.ModeSetgid
				}
				what = fmt.Sprintf("Chmod %s %v", p, mode)
				merr, oerr = mem.Chmod(p, mode), root.Chmod(p, mode)
				if mode&fs.ModeSetgid != 0 && merr == nil && oerr == nil && os.Geteuid() == 0 {
					// Another group, for new inodes to inherit.
					merr, oerr = mem.Chown(p, -1, 4321), root.Chown(p, -1, 4321)
				}
			case 9:
				what = "MkdirAll " + p
				merr, oerr = mem.MkdirAll(p, 0o750), root.MkdirAll(p, 0o750)
			case 10:
				// os.Root's Mkdir takes no set-gid: mkdir(2) itself.
				what = "Mkdir set-gid " + p
				merr, oerr = mem.Mkdir(p, 0o750|fs.ModeSetgid), mkdirSetgid(t, root, p)
				if errShape(merr) == errShape(oerr) {
					merr, oerr = nil, nil // only the errno is comparable
				}
			case 11:
				size := int64(r.u8()%4) - 1
				what = fmt.Sprintf("Truncate %s %d", p, size)
				merr, oerr = mem.Truncate(p, size), truncateInRoot(root, p, size)
			case 12:
				what = "Stat " + p
				_, merr = mem.Stat(p)
				_, oerr = root.Stat(p)
			case 13:
				what = "Lstat " + p
				_, merr = mem.Lstat(p)
				_, oerr = root.Lstat(p)
			case 14:
				what = "Readlink " + p
				_, merr = mem.Readlink(p)
				_, oerr = root.Readlink(p)
			case 15:
				// A directory handle, its directory removed (or not).
				what = "ReadDir of removed " + p
				mf, e1 := mem.OpenFile(p, os.O_RDONLY, 0)
				of, e2 := root.OpenFile(p, os.O_RDONLY, 0)
				merr, oerr = e1, e2
				if e1 == nil && e2 == nil {
					merr, oerr = mem.Remove(p), root.Remove(p)
					if errShape(merr) == errShape(oerr) {
						_, merr = mf.ReadDir(-1)
						_, oerr = of.ReadDir(-1)
					}
				}
				if e1 == nil {
					mf.Close()
				}
				if e2 == nil {
					of.Close()
				}
			}
			trace = append(trace, what)
			if errShape(merr) != errShape(oerr) || (errOp(merr) != errOp(oerr) && errOp(oerr) != "") {
				t.Fatalf("step %d %s: memfs %v, Linux %v\ntrace: %q", step, what, merr, oerr, trace)
			}
			compareTrees(t, os.DirFS(dir), mem)
			compareGroups(t, dir, mem)
			if t.Failed() {
				t.Fatalf("trees differ after step %d\ntrace: %q", step, trace)
			}
		}
	})
}

// mkdirSetgid is mkdir(2) of p with S_ISGID in the mode, its parent
// resolved by os.Root so that nothing outside the root is touched.
func mkdirSetgid(t *testing.T, root *os.Root, p string) error {
	trimmed := strings.TrimRight(p, "/")
	parent, base := ".", trimmed
	if i := strings.LastIndex(trimmed, "/"); i >= 0 {
		parent, base = trimmed[:i], trimmed[i+1:]
	}
	if base == "." || base == ".." || base == "" || parent == "" {
		return root.Mkdir(p, 0o750) // no new name: the same error
	}
	pr, err := root.OpenRoot(parent)
	if err != nil {
		return err
	}
	defer pr.Close()
	d, err := pr.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	if err := unix.Mkdirat(int(d.Fd()), base+p[len(trimmed):], 0o2750); err != nil {
		return &fs.PathError{Op: "mkdirat", Path: p, Err: err}
	}
	return nil
}

// truncateInRoot is truncate(2) of p inside root: EINVAL for a negative
// size first, then the file opened through os.Root (never outside it)
// and ftruncate(2).
func truncateInRoot(root *os.Root, p string, size int64) error {
	if size < 0 {
		return &fs.PathError{Op: "truncate", Path: p, Err: syscall.EINVAL}
	}
	f, err := root.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return &fs.PathError{Op: "truncate", Path: p, Err: err}
	}
	defer f.Close()
	return f.Truncate(size)
}

// compareGroups checks that every inode of the tree at dir has the group
// of memfs's inode at the same name.
func compareGroups(t *testing.T, dir string, mem *memfs.FS) {
	t.Helper()
	fs.WalkDir(os.DirFS(dir), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		hi, err1 := d.Info()
		mi, err2 := mem.Lstat(path)
		if err1 != nil || err2 != nil {
			return nil // compareTrees reports it
		}
		if h, m := hi.Sys().(*syscall.Stat_t).Gid, mi.Sys().(*memfs.Stat).Gid; int(h) != m {
			t.Errorf("%s: gid %d, Linux %d", path, m, h)
		}
		return nil
	})
}
