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

// readFaultsAllocate reports whether f lives on a filesystem whose page
// cache is its storage (tmpfs, ramfs, hugetlbfs): there a read fault on a
// shared mapping allocates the page of a hole, so the host file would
// grow in memory where read(2) reads zeros without allocating.
func readFaultsAllocate(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return true // unknown: do not map
	}
	var st unix.Statfs_t
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.Fstatfs(int(fd), &st) }); err != nil || serr != nil {
		return true
	}
	// f_type is a 32-bit magic number; Type is int32 on 32-bit
	// platforms, where the magics above 2^31 do not fit.
	switch uint32(st.Type) {
	case unix.TMPFS_MAGIC, unix.RAMFS_MAGIC, unix.HUGETLBFS_MAGIC:
		return true
	}
	return false
}

// lseek's whence values for holes, which Seek accepts.
const (
	seekData = unix.SEEK_DATA
	seekHole = unix.SEEK_HOLE
)
