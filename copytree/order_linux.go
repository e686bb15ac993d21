package copytree

import (
	"encoding/binary"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/eintr"
)

// dirInodes lists the directory open at fd (from its start, through a
// descriptor of its own) for each name's d_ino, the key GNU's savedir
// sorts a directory's entries by, in readdir order; nil if it cannot be
// read.
func dirInodes(dirfd int) []dirent {
	var fd int
	err := eintr.Retry(func() (err error) {
		fd, err = unix.Openat(dirfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return nil
	}
	defer unix.Close(fd)
	var ents []dirent
	buf := make([]byte, 32<<10)
	for {
		var n int
		err := eintr.Retry(func() (err error) {
			n, err = unix.Getdents(fd, buf)
			return err
		})
		if err != nil || n <= 0 {
			return ents
		}
		// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
		for b := buf[:n]; len(b) >= 19; {
			reclen := int(binary.NativeEndian.Uint16(b[16:]))
			if reclen < 19 || reclen > len(b) {
				return ents
			}
			name := b[19:reclen]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			if s := string(name); s != "." && s != ".." {
				ents = append(ents, dirent{s, binary.NativeEndian.Uint64(b)})
			}
			b = b[reclen:]
		}
	}
}

// linkCount is fi's number of names, 0 if unknown.
func linkCount(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 0
}
