package memfs

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/eintr"
)

// lstatAll is lstat of each of dir's entries names, relative to dir's
// descriptor (the kernel walks one component, not the whole path), in one
// borrow of the descriptor. errs[i] is entry i's error.
func lstatAll(dir *os.File, dirPath string, names []string) (out []hostEntry, errs []error, err error) {
	rc, err := dir.SyscallConn()
	if err != nil {
		return nil, nil, err
	}
	out = make([]hostEntry, len(names))
	errs = make([]error, len(names))
	cerr := rc.Control(func(fd uintptr) {
		var st unix.Stat_t
		for i, name := range names {
			if err := eintr.Retry(func() error { return unix.Fstatat(int(fd), name, &st, unix.AT_SYMLINK_NOFOLLOW) }); err != nil {
				errs[i] = &fs.PathError{Op: "lstat", Path: dirPath + "/" + name, Err: err}
				continue
			}
			out[i] = entryOfStat(&st)
		}
	})
	return out, errs, cerr
}

func entryOfStat(st *unix.Stat_t) hostEntry {
	mode := fs.FileMode(st.Mode & 0o777)
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFREG:
	default:
		mode |= fs.ModeIrregular
	}
	if st.Mode&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if st.Mode&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if st.Mode&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return hostEntry{mode: mode, size: st.Size, st: hostStat{
		id:    fileID{dev: uint64(st.Dev), ino: uint64(st.Ino), valid: true},
		uid:   int(st.Uid),
		gid:   int(st.Gid),
		atime: st.Atim.Nano(),
		mtime: st.Mtim.Nano(),
		ctime: st.Ctim.Nano(),
		nlink: uint64(st.Nlink),
	}}
}

func readlinkAt(dir *os.File, dirPath, name string) (string, error) {
	rc, err := dir.SyscallConn()
	if err != nil {
		return "", err
	}
	buf := make([]byte, 256)
	var n int
	var lerr error
	for {
		if err := rc.Control(func(fd uintptr) {
			lerr = eintr.Retry(func() error {
				var err error
				n, err = unix.Readlinkat(int(fd), name, buf)
				return err
			})
		}); err != nil {
			return "", err
		}
		if lerr != nil {
			return "", &fs.PathError{Op: "readlink", Path: dirPath + "/" + name, Err: lerr}
		}
		if n < len(buf) {
			return string(buf[:n]), nil
		}
		buf = make([]byte, 2*len(buf))
	}
}
