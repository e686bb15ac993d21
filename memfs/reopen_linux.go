package memfs

import (
	"os"
	"strconv"
)

// reopenReadOnly opens the file f is open on again, read-only, as a new
// open file description (f may be a duplicate of a caller's read-write
// descriptor), through its /proc/self/fd link, which names the inode
// even after the file was renamed or unlinked.
func reopenReadOnly(f *os.File) (*os.File, error) {
	return os.OpenFile("/proc/self/fd/"+strconv.Itoa(int(f.Fd())), os.O_RDONLY, 0)
}
