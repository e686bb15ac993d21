package wasi

import (
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tetratelabs/wazero"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
	"github.com/tetratelabs/wazero/sys"

	"github.com/zcopy/zcopy/memfs"
)

// FS is a [memfs.FS] as wazero's experimental/sys.FS. Its methods are safe
// for concurrent use: several guests may share one FS, and the host may use
// the memfs.FS at the same time.
type FS struct {
	experimentalsys.UnimplementedFS

	fsys *memfs.FS
	dev  uint64

	// renameMu serializes the renames that replace a directory, which
	// take three memfs calls (see Rename).
	renameMu sync.Mutex
	aside    atomic.Uint64
}

var (
	_ experimentalsys.FS           = (*FS)(nil)
	_ experimentalsys.File         = (*File)(nil)
	_ experimentalsys.PollableFile = (*File)(nil)
)

// devBase starts the device IDs of adapters ("mfs" in ASCII), away from
// the small numbers of real block devices.
const devBase = 0x6d6673 << 16

var lastDev atomic.Uint64

// New returns fsys as a filesystem for wazero guests. Each FS has its own
// device ID; use one FS per memfs.FS so that a file has one (device,
// inode) pair.
func New(fsys *memfs.FS) *FS {
	return &FS{fsys: fsys, dev: devBase + lastDev.Add(1)}
}

// Mount returns cfg with the filesystem mounted at guestPath ("/" for the
// guest's root), through wazero's sysfs.FSConfig.WithSysFSMount.
func (a *FS) Mount(cfg wazero.FSConfig, guestPath string) wazero.FSConfig {
	return cfg.(sysfs.FSConfig).WithSysFSMount(a, guestPath)
}

// Dev returns the device ID the guest sees for every file of the FS.
func (a *FS) Dev() uint64 { return a.dev }

// String names the filesystem in wazero's messages.
func (a *FS) String() string { return "memfs" }

// name turns a guest path (relative, cleaned by wazero, maybe with a
// trailing slash) into a memfs path.
func name(p string) string {
	switch p {
	case "", "/":
		return "."
	}
	return p
}

// OpenFile opens a file with WASI's open flags; see the package doc.
func (a *FS) OpenFile(p string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	p = name(p)
	oflag := 0
	switch flag & (experimentalsys.O_RDONLY | experimentalsys.O_RDWR | experimentalsys.O_WRONLY) {
	case experimentalsys.O_RDWR:
		oflag = os.O_RDWR
	case experimentalsys.O_WRONLY:
		oflag = os.O_WRONLY
	}
	if flag&experimentalsys.O_APPEND != 0 {
		oflag |= os.O_APPEND
	}
	create := flag&experimentalsys.O_CREAT != 0
	excl := create && flag&experimentalsys.O_EXCL != 0
	if create {
		oflag |= os.O_CREATE
	}
	if excl {
		oflag |= os.O_EXCL
	}
	if flag&experimentalsys.O_TRUNC != 0 {
		oflag |= os.O_TRUNC
	}
	// O_NOFOLLOW: open(2) fails with ELOOP on a final symlink (a trailing
	// slash asks to follow it). With O_EXCL memfs does not follow anyway.
	if flag&experimentalsys.O_NOFOLLOW != 0 && !excl && !strings.HasSuffix(p, "/") {
		if fi, err := a.fsys.Lstat(p); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, experimentalsys.ELOOP
		}
	}
	f, err := a.fsys.OpenFile(p, oflag, perm)
	if err != nil {
		return nil, errnoOf(err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, errnoOf(err)
	}
	if flag&experimentalsys.O_DIRECTORY != 0 && !fi.IsDir() {
		f.Close()
		return nil, experimentalsys.ENOTDIR
	}
	st := fi.Sys().(*memfs.Stat)
	return &File{fs: a, f: f, ino: st.Ino, isDir: fi.IsDir(), flag: flag, appendAtOpen: oflag&os.O_APPEND != 0}, 0
}

// stat converts a memfs FileInfo to wazero's Stat_t.
func (a *FS) stat(fi fs.FileInfo) sys.Stat_t {
	st := fi.Sys().(*memfs.Stat)
	return sys.Stat_t{
		Dev:   a.dev,
		Ino:   st.Ino,
		Mode:  fi.Mode(),
		Nlink: uint64(st.Nlink),
		Size:  fi.Size(),
		Atim:  st.Atime.UnixNano(),
		Mtim:  st.Mtime.UnixNano(),
		Ctim:  st.Ctime.UnixNano(),
	}
}

// Lstat is lstat(2).
func (a *FS) Lstat(p string) (sys.Stat_t, experimentalsys.Errno) {
	fi, err := a.fsys.Lstat(name(p))
	if err != nil {
		return sys.Stat_t{}, errnoOf(err)
	}
	return a.stat(fi), 0
}

// Stat is stat(2).
func (a *FS) Stat(p string) (sys.Stat_t, experimentalsys.Errno) {
	fi, err := a.fsys.Stat(name(p))
	if err != nil {
		return sys.Stat_t{}, errnoOf(err)
	}
	return a.stat(fi), 0
}

// Mkdir is mkdir(2): perm less memfs's umask. A parent that is not a
// directory is ENOENT, not Linux's ENOTDIR: wazero's DirFS maps it so
// (for the same answer on every platform), and guests see DirFS's.
func (a *FS) Mkdir(p string, perm fs.FileMode) experimentalsys.Errno {
	errno := errnoOf(a.fsys.Mkdir(name(p), perm))
	if errno == experimentalsys.ENOTDIR {
		errno = experimentalsys.ENOENT
	}
	return errno
}

// Chmod is chmod(2), following symlinks.
func (a *FS) Chmod(p string, perm fs.FileMode) experimentalsys.Errno {
	return errnoOf(a.fsys.Chmod(name(p), perm))
}

// Rename is rename(2). memfs's Rename never replaces a directory (the rule
// of os.Rename); rename(2) replaces an empty one, so that case moves the
// empty directory aside, renames, and removes it, or moves it back if the
// rename fails.
func (a *FS) Rename(from, to string) experimentalsys.Errno {
	from, to = name(from), name(to)
	if from == to {
		return 0 // as DirFS: rename(2) of a name onto itself does nothing
	}
	err := a.fsys.Rename(from, to)
	if err == nil || !isErrno(err, syscall.EEXIST) {
		return errnoOf(err)
	}
	a.renameMu.Lock()
	defer a.renameMu.Unlock()
	dst, err := a.fsys.Lstat(to)
	if err != nil || !dst.IsDir() {
		// The destination changed under us: retry plainly.
		return errnoOf(a.fsys.Rename(from, to))
	}
	src, err := a.fsys.Lstat(from)
	if err != nil {
		return errnoOf(err)
	}
	if !src.IsDir() {
		return experimentalsys.EISDIR // a file onto a directory
	}
	entries, err := a.fsys.ReadDir(path.Clean(to))
	if err != nil {
		return errnoOf(err)
	}
	if len(entries) > 0 {
		return experimentalsys.ENOTEMPTY
	}
	aside := path.Join(path.Dir(path.Clean(to)), ".memfs-wasi-rename-"+strconv.FormatUint(a.aside.Add(1), 10))
	if err := a.fsys.Rename(to, aside); err != nil {
		return errnoOf(err)
	}
	if err := a.fsys.Rename(from, to); err != nil {
		_ = a.fsys.Rename(aside, to)
		return errnoOf(err)
	}
	return errnoOf(a.fsys.Remove(aside))
}

// isErrno reports whether err carries errno.
func isErrno(err error, errno syscall.Errno) bool {
	var e syscall.Errno
	return asErrno(err, &e) && e == errno
}

// Rmdir is rmdir(2): the final component is not followed, even with a
// trailing slash.
func (a *FS) Rmdir(p string) experimentalsys.Errno {
	p = name(p)
	fi, err := a.fsys.Lstat(trimSlash(p))
	if err != nil {
		return errnoOf(err)
	}
	if !fi.IsDir() {
		return experimentalsys.ENOTDIR
	}
	return errnoOf(a.fsys.Remove(p))
}

// Unlink is unlink(2): a directory is EISDIR (as DirFS answers, where
// POSIX allows EPERM), and a name with a trailing slash that is not a
// directory ENOTDIR (the final component is not followed).
func (a *FS) Unlink(p string) experimentalsys.Errno {
	p = name(p)
	base := trimSlash(p)
	fi, err := a.fsys.Lstat(base)
	switch {
	case err != nil:
		return errnoOf(err)
	case fi.IsDir():
		return experimentalsys.EISDIR
	case base != p:
		return experimentalsys.ENOTDIR
	}
	return errnoOf(a.fsys.Remove(base))
}

// trimSlash drops trailing slashes ("." for a path of slashes).
func trimSlash(p string) string {
	if t := strings.TrimRight(p, "/"); t != "" {
		return t
	}
	return "."
}

// Link is link(2).
func (a *FS) Link(oldPath, newPath string) experimentalsys.Errno {
	return errnoOf(a.fsys.Link(name(oldPath), name(newPath)))
}

// Symlink is symlink(2); oldPath is stored as given. An absolute target
// is EPERM, as through DirFS: it would name a host path.
func (a *FS) Symlink(oldPath, linkName string) experimentalsys.Errno {
	if path.IsAbs(oldPath) {
		return experimentalsys.EPERM
	}
	return errnoOf(a.fsys.Symlink(oldPath, name(linkName)))
}

// Readlink is readlink(2).
func (a *FS) Readlink(p string) (string, experimentalsys.Errno) {
	target, err := a.fsys.Readlink(name(p))
	if err != nil {
		return "", errnoOf(err)
	}
	return target, 0
}

// Utimens is utimensat(2), following symlinks; UTIME_OMIT keeps a time.
func (a *FS) Utimens(p string, atim, mtim int64) experimentalsys.Errno {
	p = name(p)
	if atim == experimentalsys.UTIME_OMIT && mtim == experimentalsys.UTIME_OMIT {
		// utimensat(2) with both omitted still resolves the path.
		_, err := a.fsys.Stat(p)
		return errnoOf(err)
	}
	return errnoOf(a.fsys.Chtimes(p, timeOf(atim), timeOf(mtim)))
}

// timeOf is memfs's time for a wazero timestamp: the zero time keeps the
// current value.
func timeOf(ns int64) time.Time {
	if ns == experimentalsys.UTIME_OMIT {
		return time.Time{}
	}
	return time.Unix(0, ns)
}
