package memfs

import "time"

// Chtimes sets the access and modification times of the open file, like
// futimens(2) (and [FS.Chtimes] on the handle's inode, wherever it has
// been renamed or unlinked since it was opened); a zero time keeps the
// current value.
func (f *File) Chtimes(atime, mtime time.Time) error {
	if err := f.check("chtimes"); err != nil {
		return err
	}
	n := f.node
	n.setTimes(atime, mtime)
	return nil
}
