package copytree

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// inodeOf is path's inode number, not following a last symlink: the
// d_ino GNU's savedir sorts a directory's entries by.
func inodeOf(path string) (uint64, bool) {
	var st unix.Stat_t
	if err := fstatat(unix.AT_FDCWD, path, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return 0, false
	}
	return st.Ino, true
}

// linkCount is fi's number of names, 0 if unknown.
func linkCount(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 0
}
