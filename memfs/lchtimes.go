package memfs

import "time"

// Lchtimes is Chtimes on a symlink itself (not following a final symlink),
// as utimensat(2) with AT_SYMLINK_NOFOLLOW: what a FUSE server needs when
// the kernel sets the times of a symlink inode (cp -a, tar, rsync do).
func (fsys *FS) Lchtimes(name string, atime, mtime time.Time) error {
	n, err := fsys.node("lchtimesat", name, false)
	if err != nil {
		return err
	}
	n.setTimes(atime, mtime)
	return nil
}
