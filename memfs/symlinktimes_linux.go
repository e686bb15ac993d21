package memfs

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// lchtimes sets the times of the symlink path itself (utimensat with
// AT_SYMLINK_NOFOLLOW), which os.Chtimes cannot.
func lchtimes(path string, atime, mtime time.Time) error {
	ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, path, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "utimensat", Path: path, Err: err}
	}
	return nil
}
