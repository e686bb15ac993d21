package copytree

import (
	"io"
	"io/fs"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/eintr"
)

// listEntry is one name of a directory listing and the type getdents(2)
// gave it (a DT_ constant; DT_UNKNOWN where the filesystem does not say:
// then Type is irregular and the entry is stat'ed before it is copied).
// It is an os.DirEntry.
type listEntry struct {
	name string
	dir  string // the directory's path, for Info
	typ  uint8
}

func (d *listEntry) Name() string { return d.name }
func (d *listEntry) IsDir() bool  { return d.typ == unix.DT_DIR }

// Type is the type bits of the listing's d_type.
func (d *listEntry) Type() fs.FileMode {
	switch d.typ {
	case unix.DT_REG:
		return 0
	case unix.DT_DIR:
		return fs.ModeDir
	case unix.DT_LNK:
		return fs.ModeSymlink
	case unix.DT_FIFO:
		return fs.ModeNamedPipe
	case unix.DT_SOCK:
		return fs.ModeSocket
	case unix.DT_CHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.DT_BLK:
		return fs.ModeDevice
	}
	return fs.ModeIrregular // not known without a stat
}

// Info is lstat of the entry, as os.File.ReadDir's entries give it.
func (d *listEntry) Info() (fs.FileInfo, error) { return os.Lstat(join(d.dir, d.name)) }

// lister reads a directory's entries with getdents(2) into a pooled
// buffer: os.File.ReadDir's two allocations an entry (and an lstat for
// every DT_UNKNOWN) were a third of the allocations of a tree copy.
type lister struct {
	fd   int
	path string // for errors
	buf  *[8192]byte
	data []byte // read and not yet parsed, a slice of buf
	eof  bool
}

var direntBufs = sync.Pool{New: func() any { return new([8192]byte) }}

// testUnknownTypes lists every entry as DT_UNKNOWN, as some filesystems
// do, so that the tests copy through the stat-first path on tmpfs.
var testUnknownTypes bool

// read returns up to n entries, without "." and "..", and io.EOF (with
// no entries) at the end, as os.File.ReadDir(n) does. The entries are
// pointers into one array: no allocation an entry but its name.
func (l *lister) read(n int) ([]os.DirEntry, error) {
	var ents []listEntry
	for len(ents) < n {
		if len(l.data) == 0 {
			if l.eof {
				break
			}
			if l.buf == nil {
				l.buf = direntBufs.Get().(*[8192]byte)
			}
			var k int
			err := eintr.Retry(func() (err error) {
				k, err = unix.Getdents(l.fd, l.buf[:])
				return err
			})
			if err != nil {
				return entries(ents), &os.PathError{Op: "readdirent", Path: l.path, Err: err}
			}
			if k <= 0 {
				l.eof = true
				break
			}
			l.data = l.buf[:k]
		}
		// struct linux_dirent64: d_ino, d_off, d_reclen, d_type, d_name.
		const nameOff = int(unsafe.Offsetof(unix.Dirent{}.Name))
		reclen := int(*(*uint16)(unsafe.Pointer(&l.data[unsafe.Offsetof(unix.Dirent{}.Reclen)])))
		if reclen < nameOff || reclen > len(l.data) {
			l.data = nil // cannot happen: the kernel writes whole records
			continue
		}
		rec := l.data[:reclen]
		l.data = l.data[reclen:]
		name := rec[nameOff:]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		if len(name) == 0 || string(name) == "." || string(name) == ".." {
			continue
		}
		if ents == nil {
			// Sized for what the buffer holds (records of short names
			// take 24 bytes): a small directory gets a small slice.
			ents = make([]listEntry, 0, min(n, len(l.data)/24+1))
		}
		typ := rec[unsafe.Offsetof(unix.Dirent{}.Type)]
		if testUnknownTypes {
			typ = unix.DT_UNKNOWN
		}
		ents = append(ents, listEntry{name: string(name), dir: l.path, typ: typ})
	}
	if len(ents) == 0 && l.eof {
		l.release()
		return nil, io.EOF
	}
	return entries(ents), nil
}

// entries is ents as os.DirEntry values, pointers into ents.
func entries(ents []listEntry) []os.DirEntry {
	if len(ents) == 0 {
		return nil
	}
	des := make([]os.DirEntry, len(ents))
	for i := range ents {
		des[i] = &ents[i]
	}
	return des
}

// release gives the buffer back; the lister is done.
func (l *lister) release() {
	if l.buf != nil {
		direntBufs.Put(l.buf)
		l.buf, l.data = nil, nil
	}
}
