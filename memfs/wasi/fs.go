package wasi

import (
	"io/fs"
	"os"
	"path"
	"strings"
	"sync/atomic"
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
	if create && strings.HasSuffix(p, "/") {
		// open(2) refuses O_CREAT on a name ending in a slash once its
		// parent resolves, before looking the name up; memfs answers
		// like os.Root (ENOENT, ENOTDIR, EEXIST by the name's type).
		if e := a.parentErrno(p); e != 0 {
			return nil, e
		}
		return nil, experimentalsys.EISDIR
	}
	f, err := a.fsys.OpenFile(p, oflag, perm)
	if err != nil {
		if create && !excl {
			if e := a.symlinkToSlash(p); e != 0 {
				return nil, e
			}
		}
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

// Rename is rename(2). Its checks come in rename(2)'s order, which is not
// os.Root's (memfs's): both parents are resolved, then the old name must
// exist, and a trailing slash on either name only requires the old name
// itself (not followed) to be a directory (ENOTDIR); then memfs renames
// the names without their slashes, so that no final symlink is followed.
// memfs's Rename2 has rename(2)'s rules for the target (it replaces an
// empty directory, atomically).
func (a *FS) Rename(from, to string) experimentalsys.Errno {
	from, to = name(from), name(to)
	if from == to {
		return 0 // as DirFS: rename(2) of a name onto itself does nothing
	}
	if e := a.parentErrno(from); e != 0 {
		return e
	}
	if e := a.parentErrno(to); e != 0 {
		return e
	}
	slash := strings.HasSuffix(from, "/") || strings.HasSuffix(to, "/")
	from, to = trimSlash(from), trimSlash(to)
	src, err := a.fsys.Lstat(from)
	if err != nil {
		return errnoOf(err)
	}
	if slash && !src.IsDir() {
		return experimentalsys.ENOTDIR
	}
	if from == to {
		return 0 // "a" and "a/", a directory: itself, as above
	}
	return errnoOf(a.fsys.Rename2(from, to, 0))
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

// Link is link(2), whose checks come in its order, not os.Root's
// (memfs's): the old name is resolved first, then the new one as
// [FS.createErrno] says.
func (a *FS) Link(oldPath, newPath string) experimentalsys.Errno {
	oldPath, newPath = name(oldPath), name(newPath)
	if _, err := a.fsys.Lstat(oldPath); err != nil {
		return errnoOf(err)
	}
	if e := a.createErrno(newPath); e != 0 {
		return e
	}
	return errnoOf(a.fsys.Link(oldPath, newPath))
}

// Symlink is symlink(2); oldPath is stored as given. An absolute target
// is EPERM, as through DirFS: it would name a host path. The new name is
// checked as [FS.createErrno] says.
func (a *FS) Symlink(oldPath, linkName string) experimentalsys.Errno {
	if path.IsAbs(oldPath) {
		return experimentalsys.EPERM
	}
	linkName = name(linkName)
	if e := a.createErrno(linkName); e != 0 {
		return e
	}
	return errnoOf(a.fsys.Symlink(oldPath, linkName))
}

// symlinkToSlash is open(2)'s answer to O_CREAT on p if a final symlink
// of p leads to a name ending in a slash: EISDIR once its parent
// resolves, whatever the name is (memfs answers like os.Root: ENOENT if
// missing, ENOTDIR for a file); 0 otherwise.
// Targets are joined to their symlink's directory lexically, which is
// the kernel's resolution unless that directory is reached through a
// symlink and the target climbs out with "..".
func (a *FS) symlinkToSlash(p string) experimentalsys.Errno {
	cur := p
	for range 40 { // the kernel's limit, as memfs's
		fi, err := a.fsys.Lstat(cur)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return 0
		}
		target, err := a.fsys.Readlink(cur)
		if err != nil || path.IsAbs(target) {
			return 0
		}
		cur = path.Join(path.Dir(cur), target)
		if strings.HasSuffix(target, "/") {
			if e := a.parentErrno(cur + "/"); e != 0 {
				return e
			}
			return experimentalsys.EISDIR
		}
	}
	return 0
}

// createErrno is how link(2) and symlink(2) answer a new name ending in
// a slash, where memfs answers like os.Root (which looks at the name's
// type first: ENOTDIR for a file, a dangling symlink followed): the
// parent's error, else EEXIST for any existing entry (not followed),
// else ENOENT. It is 0 for a name without a trailing slash: memfs's own
// checks are then the kernel's.
func (a *FS) createErrno(p string) experimentalsys.Errno {
	if !strings.HasSuffix(p, "/") {
		return 0
	}
	if e := a.parentErrno(p); e != 0 {
		return e
	}
	t := trimSlash(p)
	if base := path.Base(t); base == "." || base == ".." {
		return experimentalsys.EEXIST
	}
	if _, err := a.fsys.Lstat(t); err == nil {
		return experimentalsys.EEXIST
	}
	return experimentalsys.ENOENT
}

// parentErrno is the error of resolving the directory holding p's final
// component (trailing slashes aside), following symlinks, as the kernel
// does before it looks at that component: 0 if it is a directory.
func (a *FS) parentErrno(p string) experimentalsys.Errno {
	dir := path.Dir(trimSlash(p))
	if base := path.Base(trimSlash(p)); base == "." || base == ".." {
		dir = trimSlash(p) // "d/." and "d/..": d must be a directory
	}
	fi, err := a.fsys.Stat(dir)
	if err != nil {
		return errnoOf(err)
	}
	if !fi.IsDir() {
		return experimentalsys.ENOTDIR
	}
	return 0
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
