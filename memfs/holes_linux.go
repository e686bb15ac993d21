package memfs

import (
	"os"

	"golang.org/x/sys/unix"
)

// dataAt finds the first data byte at or after off in f (SEEK_DATA) and
// the hole after it (SEEK_HOLE). ok is false when the filesystem cannot
// tell; data == -1 means only a hole follows. f's offset moves: f must be
// a descriptor of our own.
func dataAt(f *os.File, off int64) (data, hole int64, ok bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, 0, false
	}
	ok = true
	rc.Control(func(fd uintptr) {
		d, err := unix.Seek(int(fd), off, unix.SEEK_DATA)
		if err == unix.ENXIO {
			data = -1
			return
		}
		if err != nil {
			ok = false
			return
		}
		h, err := unix.Seek(int(fd), d, unix.SEEK_HOLE)
		if err != nil {
			ok = false
			return
		}
		data, hole = d, h
	})
	return data, hole, ok
}

// lseek's whence values for holes, which Seek accepts.
const (
	seekData = unix.SEEK_DATA
	seekHole = unix.SEEK_HOLE
)
