package memfs

import (
	"io/fs"
	"os"
	"syscall"
)

// OpenHost opens the host file that holds all of f's bytes: when f's whole
// content is one untouched host range from offset 0 of a host file of
// exactly f's size, reading the returned descriptor (read-only, a new open
// file description, the caller's to close) gives f's bytes, as of now. ok
// is false and nothing is opened otherwise: an empty file, one written to
// (bytes moved to memory), truncated, grown by a hole, made of several
// ranges, or a host file that has since changed size. err is the host
// open's failure (ESTALE when the host path now names another file, as
// reads of f report too). A later write to f
// does not reach the host file: the descriptor then reads stale bytes,
// so a caller that hands it out must keep f from changing meanwhile
// (memfs/fuse's passthrough refuses writers while it is used).
func (f *File) OpenHost() (hf *os.File, ok bool, err error) {
	if err := f.check("open"); err != nil {
		return nil, false, err
	}
	node := f.node
	if !node.isRegular() {
		return nil, false, nil
	}
	node.mu.RLock()
	var b *backing
	var size int64
	if c := node.data; c != nil && c.size > 0 && c.extents() == 1 {
		if e := c.find(0); e != nil && e.kind == kindHost && e.hoff == 0 && e.n == c.size {
			b, size = e.host, c.size
		}
	}
	node.mu.RUnlock()
	if b == nil {
		return nil, false, nil
	}
	hf, err = b.openReadOnly()
	if err == nil && hf != nil {
		fi, serr := hf.Stat()
		if serr != nil || !fi.Mode().IsRegular() || fi.Size() != size {
			// The host file grew or shrank since the import: its
			// bytes are not f's.
			hf.Close()
			hf, err = nil, serr
		}
	}
	if err != nil {
		return nil, false, &fs.PathError{Op: "open", Path: f.name, Err: err}
	}
	return hf, hf != nil, nil
}

// openReadOnly opens b's host file read-only as a new open file
// description: a tree import's by its path (the file must still be the
// one imported: ESTALE otherwise), an imported descriptor's through
// reopenReadOnly. Neither maps the file or takes a place in the cache.
func (b *backing) openReadOnly() (*os.File, error) {
	if b.file != nil {
		return reopenReadOnly(b.file)
	}
	f, err := os.Open(b.path)
	if err != nil {
		return nil, err
	}
	if b.id.valid {
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		if id := idOf(fi); id.valid && (id.dev != b.id.dev || id.ino != b.id.ino) {
			f.Close()
			return nil, syscall.ESTALE
		}
	}
	return f, nil
}
