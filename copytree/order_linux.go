package copytree

import (
	"encoding/binary"
	"io"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/eintr"
)

// dirInodes lists the directory open at fd for each name's d_ino, the
// key GNU's savedir sorts a directory's entries by, in readdir order; nil
// if it cannot be read. It reads fd again from its start: the walk has
// read it to its end. (Opening "." through it would need search
// permission, which listing a directory does not.)
func dirInodes(fd int) []dirent {
	if _, err := unix.Seek(fd, 0, io.SeekStart); err != nil {
		return nil
	}
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
		// struct linux_dirent64: ino u64, off s64, reclen u16, type u8,
		// name. The names are cut from one string of the whole buffer.
		chunk := string(buf[:n])
		for off := 0; n-off >= 19; {
			b := buf[off:n]
			reclen := int(binary.NativeEndian.Uint16(b[16:]))
			if reclen < 19 || reclen > len(b) {
				return ents
			}
			name := chunk[off+19 : off+reclen]
			if i := strings.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if name != "." && name != ".." {
				ents = append(ents, dirent{name, binary.NativeEndian.Uint64(b)})
			}
			off += reclen
		}
	}
}

// sortedNamesAt is sortedNames for the directory rel below the operand
// src, opened by name: the walk's descriptor is closed by now.
func sortedNamesAt(src, rel string) []string {
	path := src
	if rel != "" {
		path = strings.TrimSuffix(src, "/") + "/" + rel
	}
	fd, err := openat(unix.AT_FDCWD, path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(fd)
	return sortedNames(fd)
}

// linkCount is fi's number of names, 0 if unknown.
func linkCount(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 0
}
