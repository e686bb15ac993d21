//go:build amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64 || mips64 || mips64le

package fuse_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/memfs"
)

func shmDir(t testing.TB) string { return testutil.ShmDir(t) }

// run runs a command in dir and returns its combined output; failure
// fails t.
func run(t testing.TB, dir, name string, args ...string) string {
	t.Helper()
	out, err := runErr(dir, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func runErr(dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		<-done
		return out.String(), fmt.Errorf("timed out")
	}
}

// errnoName is how the script records an error: the errno's name.
func errnoName(err error) string {
	if err == nil {
		return "ok"
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return unix.ErrnoName(e)
	}
	return err.Error()
}

// script runs a fixed sequence of system calls in dir (a copy of
// makeHostTree's tree) and records what a program would observe: results,
// errnos, bytes, offsets and the metadata Linux defines (not inode
// numbers or st_blocks).
func script(dir string) []string {
	var log []string
	start := time.Now().Unix() // the two runs differ in time, not in what changes
	rec := func(format string, args ...any) { log = append(log, fmt.Sprintf(format, args...)) }
	p := func(name string) string { return filepath.Join(dir, name) }
	stat := func(name string) string {
		var st unix.Stat_t
		if err := unix.Lstat(p(name), &st); err != nil {
			return errnoName(err)
		}
		s := fmt.Sprintf("mode=%o nlink=%d uid=%d gid=%d", st.Mode, st.Nlink, st.Uid, st.Gid)
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			s += fmt.Sprintf(" size=%d", st.Size)
		}
		return s
	}
	list := func(name string) string {
		entries, err := os.ReadDir(p(name))
		if err != nil {
			return errnoName(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name()+":"+e.Type().String())
		}
		return strings.Join(names, ",")
	}

	// Reads of imported data, whole and at odd offsets.
	b, err := os.ReadFile(p("big.bin"))
	rec("read big %d %v %x", len(b), errnoName(err), sha(b))
	f, err := os.Open(p("big.bin"))
	if err == nil {
		buf := make([]byte, 70000)
		for _, off := range []int64{0, 1, 4095, 1 << 20, 3<<20 + 100, 3<<20 + 123, 1 << 30} {
			n, err := f.ReadAt(buf, off)
			rec("pread %d: %d %v %x", off, n, errnoName(err), sha(buf[:n]))
		}
		f.Close()
	}
	rec("stat hello %s", stat("hello.txt"))
	rec("stat link %s", stat("link"))
	rec("stat a/hard %s", stat("a/hard"))
	rec("list / %s", list("."))
	rec("list a %s", list("a"))
	target, err := os.Readlink(p("a/b/up"))
	rec("readlink %q %v", target, errnoName(err))
	b, err = os.ReadFile(p("a/b/up"))
	rec("read through symlink %q %v", b, errnoName(err))

	// Writes into imported files: in place, past the end, truncation.
	f, err = os.OpenFile(p("big.bin"), os.O_RDWR, 0)
	if err == nil {
		_, err = f.WriteAt([]byte("patched"), 12345)
		rec("pwrite %v", errnoName(err))
		_, err = f.WriteAt([]byte("tail"), 5<<20)
		rec("pwrite past end %v", errnoName(err))
		for _, whence := range []int{unix.SEEK_DATA, unix.SEEK_HOLE} {
			for _, off := range []int64{0, 4<<20 + 1, 5 << 20, 6 << 20} {
				pos, err := unix.Seek(int(f.Fd()), off, whence)
				// Filesystems find holes at their own granularity
				// (tmpfs: pages; memfs: bytes): compare in pages, a
				// hole's start rounded up, data's start down.
				if err == nil && whence == unix.SEEK_HOLE {
					pos = (pos + 4095) &^ 4095
				} else if err == nil {
					pos &^= 4095
				}
				rec("lseek %d %d: %d %v", whence, off, pos, errnoName(err))
			}
		}
		rec("truncate %v", errnoName(f.Truncate(1000)))
		f.Close()
	}
	b, _ = os.ReadFile(p("big.bin"))
	rec("after writes %d %x", len(b), sha(b))
	f, err = os.OpenFile(p("hello.txt"), os.O_WRONLY|os.O_APPEND, 0)
	if err == nil {
		_, err = f.Write([]byte("appended\n"))
		rec("append %v", errnoName(err))
		f.Close()
	}
	b, _ = os.ReadFile(p("a/hard"))
	rec("hard link sees append %q", b)

	// Creation and ownership, modes.
	rec("create excl %v", errnoName(createExcl(p("new"), 0o640)))
	rec("create excl again %v", errnoName(createExcl(p("new"), 0o640)))
	rec("stat new %s", stat("new"))
	rec("mkdir %v", errnoName(os.Mkdir(p("d"), 0o751)))
	rec("mkdir again %v", errnoName(os.Mkdir(p("d"), 0o751)))
	rec("stat d %s", stat("d"))
	rec("chmod setgid %v", errnoName(os.Chmod(p("d"), 0o2775)))
	rec("chown d %v", errnoName(os.Lchown(p("d"), 0, 123)))
	rec("mkdir in setgid %v", errnoName(os.Mkdir(p("d/sub"), 0o755)))
	rec("stat d/sub %s", stat("d/sub"))
	rec("mknod reg %v", errnoName(unix.Mknod(p("reg"), unix.S_IFREG|0o600, 0)))
	rec("stat reg %s", stat("reg"))
	rec("chmod %v", errnoName(os.Chmod(p("new"), 0o4755)))
	rec("stat new %s", stat("new"))
	rec("chown %v", errnoName(os.Lchown(p("new"), 1000, 1000)))
	rec("lchown link %v", errnoName(os.Lchown(p("link"), 77, 88)))
	rec("stat link %s", stat("link"))
	rec("stat hello %s", stat("hello.txt"))

	// Times, also of a symlink itself.
	when := time.Date(2010, 1, 2, 3, 4, 5, 6000, time.UTC)
	rec("utimes %v", errnoName(os.Chtimes(p("new"), when, when)))
	var st unix.Stat_t
	unix.Lstat(p("new"), &st)
	rec("mtime %d.%d atime %d.%d", st.Mtim.Sec, st.Mtim.Nsec, st.Atim.Sec, st.Atim.Nsec)
	ts := []unix.Timespec{unix.NsecToTimespec(when.UnixNano()), {Nsec: unix.UTIME_OMIT}}
	rec("lutimes %v", errnoName(unix.UtimesNanoAt(unix.AT_FDCWD, p("abs"), ts, unix.AT_SYMLINK_NOFOLLOW)))
	unix.Lstat(p("abs"), &st)
	rec("symlink atime %d.%d", st.Atim.Sec, st.Atim.Nsec)
	unix.Lstat(p("hello.txt"), &st)
	rec("hello mtime set by the append %v", st.Mtim.Sec >= start)

	// Names: unlink, rmdir, rename and its flags, links.
	rec("rmdir nonempty %v", errnoName(unix.Rmdir(p("a"))))
	rec("rmdir file %v", errnoName(unix.Rmdir(p("hello.txt"))))
	rec("unlink dir %v", errnoName(unix.Unlink(p("empty"))))
	rec("unlink missing %v", errnoName(unix.Unlink(p("missing"))))
	rec("link %v", errnoName(os.Link(p("new"), p("new2"))))
	rec("stat new2 %s", stat("new2"))
	rec("link dir %v", errnoName(os.Link(p("d"), p("d2"))))
	rec("symlink %v", errnoName(os.Symlink("dangling/target", p("s"))))
	rec("symlink exists %v", errnoName(os.Symlink("x", p("s"))))
	rec("stat s %s", stat("s"))
	rec("rename file %v", errnoName(os.Rename(p("new2"), p("a/moved"))))
	rec("stat new %s", stat("new"))
	rec("rename over file %v", errnoName(os.Rename(p("a/moved"), p("hello.txt"))))
	rec("rename noreplace %v", errnoName(unix.Renameat2(unix.AT_FDCWD, p("new"), unix.AT_FDCWD, p("link"), unix.RENAME_NOREPLACE)))
	rec("rename noreplace free %v", errnoName(unix.Renameat2(unix.AT_FDCWD, p("new"), unix.AT_FDCWD, p("new3"), unix.RENAME_NOREPLACE)))
	rec("exchange %v", errnoName(unix.Renameat2(unix.AT_FDCWD, p("new3"), unix.AT_FDCWD, p("a/b"), unix.RENAME_EXCHANGE)))
	rec("exchange missing %v", errnoName(unix.Renameat2(unix.AT_FDCWD, p("new3"), unix.AT_FDCWD, p("nothing"), unix.RENAME_EXCHANGE)))
	rec("list / %s", list("."))
	rec("list new3 %s", list("new3"))
	rec("stat a/b %s", stat("a/b"))
	rec("rename dir over empty dir %v", errnoName(os.Rename(p("d"), p("empty"))))
	rec("rename dir over nonempty %v", errnoName(os.Rename(p("empty"), p("new3"))))
	rec("rename dir over file %v", errnoName(os.Rename(p("empty"), p("hello.txt"))))
	rec("rename file over dir %v", errnoName(os.Rename(p("hello.txt"), p("empty"))))
	rec("rename into itself %v", errnoName(os.Rename(p("new3"), p("new3/c/x"))))
	rec("rename to self %v", errnoName(os.Rename(p("hello.txt"), p("hello.txt"))))
	rec("rename hard links %v", errnoName(os.Rename(p("hello.txt"), p("a/hard"))))
	rec("list empty %s", list("empty"))
	os.MkdirAll(p("up/down/empty"), 0o755)
	os.Mkdir(p("across"), 0o755)
	os.WriteFile(p("across/f"), []byte("across"), 0o644)
	rec("rename onto an ancestor %v", errnoName(os.Rename(p("up/down"), p("up"))))
	rec("rename file onto an ancestor %v", errnoName(os.Rename(p("across/f"), p("across"))))
	rec("exchange with a descendant %v", errnoName(unix.Renameat2(unix.AT_FDCWD, p("up"), unix.AT_FDCWD, p("up/down"), unix.RENAME_EXCHANGE)))
	rec("exchange with an ancestor %v", errnoName(unix.Renameat2(unix.AT_FDCWD, p("up/down"), unix.AT_FDCWD, p("up"), unix.RENAME_EXCHANGE)))
	rec("rename dir over empty dir elsewhere %v", errnoName(os.Rename(p("across"), p("up/down/empty"))))
	rec("exchange dirs in two parents %v", errnoName(unix.Renameat2(unix.AT_FDCWD, p("up/down"), unix.AT_FDCWD, p("new3/c"), unix.RENAME_EXCHANGE)))
	rec("exchange noreplace %v", errnoName(unix.Renameat2(unix.AT_FDCWD, p("up"), unix.AT_FDCWD, p("new3"), unix.RENAME_EXCHANGE|unix.RENAME_NOREPLACE)))
	rec("stat up %s", stat("up"))
	rec("stat new3 %s", stat("new3"))

	// Unlinked while open: the data stays.
	f, err = os.OpenFile(p("a/exec.sh"), os.O_RDWR, 0)
	if err == nil {
		rec("unlink open %v", errnoName(os.Remove(p("a/exec.sh"))))
		_, err = f.WriteAt([]byte("X"), 0)
		rec("write unlinked %v", errnoName(err))
		buf := make([]byte, 100)
		n, _ := f.ReadAt(buf, 0)
		rec("read unlinked %q", buf[:n])
		var st unix.Stat_t
		unix.Fstat(int(f.Fd()), &st)
		rec("fstat unlinked nlink=%d size=%d", st.Nlink, st.Size)
		f.Close()
	}

	// fallocate and copy_file_range.
	f, err = os.OpenFile(p("alloc"), os.O_RDWR|os.O_CREATE, 0o644)
	if err == nil {
		rec("fallocate %v", errnoName(unix.Fallocate(int(f.Fd()), 0, 0, 100000)))
		rec("fallocate keep %v", errnoName(unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_KEEP_SIZE, 0, 200000)))
		fi, _ := f.Stat()
		rec("alloc size %d", fi.Size())
		f.Close()
	}
	src, err1 := os.Open(p("a/b/c/deep.txt"))
	dst, err2 := os.OpenFile(p("copy"), os.O_RDWR|os.O_CREATE, 0o644)
	if err1 == nil && err2 == nil {
		var total int
		for i := 0; i < 100; i++ {
			n, err := unix.CopyFileRange(int(src.Fd()), nil, int(dst.Fd()), nil, 1<<20, 0)
			if err != nil || n == 0 {
				rec("copy_file_range %v", errnoName(err))
				break
			}
			total += n
		}
		rec("copied %d", total)
		off := int64(1000)
		n, err := unix.CopyFileRange(int(src.Fd()), &off, int(dst.Fd()), nil, 10, 0)
		rec("copy_file_range at end of dst %d %v", n, errnoName(err))
		src.Close()
		dst.Close()
	}
	b, _ = os.ReadFile(p("copy"))
	rec("copy %d %x", len(b), sha(b))

	// Extended attributes.
	rec("setxattr %v", errnoName(unix.Setxattr(p("copy"), "user.k", []byte("v1"), 0)))
	rec("setxattr create %v", errnoName(unix.Setxattr(p("copy"), "user.k", []byte("v2"), unix.XATTR_CREATE)))
	rec("setxattr replace missing %v", errnoName(unix.Setxattr(p("copy"), "user.none", []byte("v"), unix.XATTR_REPLACE)))
	rec("setxattr replace %v", errnoName(unix.Setxattr(p("copy"), "user.k", []byte("value2"), unix.XATTR_REPLACE)))
	rec("setxattr other %v", errnoName(unix.Setxattr(p("copy"), "user.a", nil, 0)))
	xbuf := make([]byte, 100)
	n, err := unix.Getxattr(p("copy"), "user.k", xbuf)
	rec("getxattr %q %v", xbuf[:max(n, 0)], errnoName(err))
	n, err = unix.Getxattr(p("copy"), "user.k", nil)
	rec("getxattr size %d %v", n, errnoName(err))
	n, err = unix.Getxattr(p("copy"), "user.k", make([]byte, 2))
	rec("getxattr small %d %v", n, errnoName(err))
	n, err = unix.Getxattr(p("copy"), "user.missing", xbuf)
	rec("getxattr missing %d %v", n, errnoName(err))
	n, err = unix.Listxattr(p("copy"), xbuf)
	names := strings.Split(string(xbuf[:max(n, 0)]), "\x00")
	sort.Strings(names) // in no defined order
	rec("listxattr %q %v", names, errnoName(err))
	rec("removexattr %v", errnoName(unix.Removexattr(p("copy"), "user.k")))
	rec("removexattr again %v", errnoName(unix.Removexattr(p("copy"), "user.k")))
	rec("setxattr bad namespace %v", errnoName(unix.Setxattr(p("copy"), "bogus.k", []byte("v"), 0)))
	rec("lsetxattr symlink %v", errnoName(unix.Lsetxattr(p("link"), "user.k", []byte("v"), 0)))

	// Extended attributes of a file unlinked while open stay with its
	// descriptors.
	f, err = os.Create(p("xunlinked"))
	if err == nil {
		fd := int(f.Fd())
		rec("fsetxattr %v", errnoName(unix.Fsetxattr(fd, "user.before", []byte("b"), 0)))
		rec("unlink %v", errnoName(os.Remove(p("xunlinked"))))
		n, err = unix.Fgetxattr(fd, "user.before", xbuf)
		rec("fgetxattr unlinked %q %v", xbuf[:max(n, 0)], errnoName(err))
		rec("fsetxattr unlinked %v", errnoName(unix.Fsetxattr(fd, "user.after", []byte("a"), 0)))
		rec("fsetxattr unlinked create %v", errnoName(unix.Fsetxattr(fd, "user.after", []byte("a"), unix.XATTR_CREATE)))
		n, err = unix.Flistxattr(fd, xbuf)
		names = strings.Split(string(xbuf[:max(n, 0)]), "\x00")
		sort.Strings(names)
		rec("flistxattr unlinked %q %v", names, errnoName(err))
		rec("fremovexattr unlinked %v", errnoName(unix.Fremovexattr(fd, "user.before")))
		n, err = unix.Fgetxattr(fd, "user.before", xbuf)
		rec("fgetxattr removed %d %v", n, errnoName(err))
		f.Close()
	}
	// The same over a rename that replaces the file, and a hard link
	// that keeps it.
	os.WriteFile(p("xold"), []byte("old"), 0o644)
	os.WriteFile(p("xnew"), []byte("new"), 0o644)
	unix.Setxattr(p("xold"), "user.k", []byte("old"), 0)
	unix.Setxattr(p("xnew"), "user.k", []byte("new"), 0)
	os.Link(p("xold"), p("xlink"))
	f, err = os.Open(p("xnew"))
	if err == nil {
		rec("rename over xnew %v", errnoName(os.Rename(p("xold"), p("xnew"))))
		n, err = unix.Fgetxattr(int(f.Fd()), "user.k", xbuf)
		rec("fgetxattr replaced %q %v", xbuf[:max(n, 0)], errnoName(err))
		f.Close()
	}
	n, err = unix.Getxattr(p("xlink"), "user.k", xbuf)
	rec("getxattr through the other link %q %v", xbuf[:max(n, 0)], errnoName(err))
	n, err = unix.Getxattr(p("xnew"), "user.k", xbuf)
	rec("getxattr renamed %q %v", xbuf[:max(n, 0)], errnoName(err))

	// Readdir with seeks: offsets from telldir stay valid.
	os.Mkdir(p("many"), 0o755)
	for i := 0; i < 50; i++ {
		os.WriteFile(p(fmt.Sprintf("many/%02d", i)), nil, 0o644)
	}
	rec("list many %s", list("many"))
	rec("final tree\n%s", strings.Join(treeLines(dir), "\n"))
	return log
}

func createExcl(name string, perm os.FileMode) error {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
	if err == nil {
		f.Close()
	}
	return err
}

func sha(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:6]
}

// treeLines describes dir's tree without times and inode numbers.
func treeLines(dir string) []string {
	var lines []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			lines = append(lines, errnoName(err))
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		st := fi.Sys().(*syscall.Stat_t)
		line := fmt.Sprintf("%s %v %d:%d nlink=%d", rel, fi.Mode(), st.Uid, st.Gid, st.Nlink)
		if fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			line += fmt.Sprintf(" %d %x", len(b), sha(b))
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			t, _ := os.Readlink(p)
			line += " -> " + t
		}
		lines = append(lines, line)
		return nil
	})
	return lines
}

// TestSyscallsMatchTmpfs runs the script on a tmpfs copy of a host tree
// and on a memfs overlay of it: a program sees the same results.
func TestSyscallsMatchTmpfs(t *testing.T) {
	host := makeHostTree(t)
	guardHost(t, host)
	oracle := copyToTmpfs(t, host)
	mnt, _ := overlay(t, host, memfs.WithUmask(0))
	want := script(oracle)
	got := script(mnt)
	for i := range max(len(want), len(got)) {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g && strings.Contains(w, "\n") {
			t.Errorf("step %d: %s", i, lineDiff(w, g))
		} else if w != g {
			t.Errorf("step %d:\n tmpfs: %s\n memfs: %s", i, w, g)
		}
	}
}
