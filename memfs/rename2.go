package memfs

import "syscall"

// RenameFlags are the flags of [FS.Rename2], renameat2(2)'s.
type RenameFlags uint

const (
	// RenameNoReplace fails with EEXIST if newname exists
	// (RENAME_NOREPLACE).
	RenameNoReplace RenameFlags = 1 << 0
	// RenameExchange swaps oldname and newname, which must both exist
	// (RENAME_EXCHANGE).
	RenameExchange RenameFlags = 1 << 1
)

// Rename2 renames oldname to newname atomically with the rules of
// rename(2) and renameat2(2) on Linux where [FS.Rename] has os.Root's: a
// directory replaces an empty directory (ENOTEMPTY if it has entries), a
// file or symlink onto a directory is EISDIR, a directory onto anything
// else ENOTDIR, a directory into itself or its subtree EINVAL, onto an
// ancestor of oldname ENOTEMPTY; two names of one file leave both in
// place. flags may add RenameNoReplace or RenameExchange (not both:
// EINVAL, as for unknown flags); an exchange of a directory with one of
// its ancestors is EINVAL. Names are resolved as Rename resolves them.
// It is what a kernel-facing server (memfs/fuse) and a WASI guest need.
func (fsys *FS) Rename2(oldname, newname string, flags RenameFlags) error {
	const op = "renameat2"
	if flags&^(RenameNoReplace|RenameExchange) != 0 || flags == RenameNoReplace|RenameExchange {
		return linkErr(op, oldname, newname, syscall.EINVAL)
	}
	fsys.s.mu.Lock()
	defer fsys.s.mu.Unlock()
	src, dst, err := fsys.walkPair(op, oldname, newname)
	if err != nil {
		return err
	}
	n, old := src.node, dst.node
	fail := func(errno syscall.Errno) error { return linkErr(op, oldname, newname, errno) }
	switch {
	case (src.slash || dst.slash) && !n.isDir():
		return fail(syscall.ENOTDIR)
	case src.base == "" || dst.base == "":
		return fail(syscall.EBUSY)
	case flags&RenameNoReplace != 0 && old != nil:
		return fail(syscall.EEXIST)
	case flags&RenameExchange != 0 && old == nil:
		return fail(syscall.ENOENT)
	case n.isDir() && fsys.within(dst.dir, n):
		// The source is an ancestor of the target.
		return fail(syscall.EINVAL)
	case old != nil && old.isDir() && fsys.within(src.dir, old):
		// The target is an ancestor of the source.
		if flags&RenameExchange != 0 {
			return fail(syscall.EINVAL)
		}
		return fail(syscall.ENOTEMPTY)
	case old == n:
		return nil // the same file: nothing happens
	}
	if flags&RenameExchange != 0 {
		src.dir.children[src.base] = old
		dst.dir.children[dst.base] = n
		fsys.reparent(n, src.dir, dst.dir)
		fsys.reparent(old, dst.dir, src.dir)
		touch(src.dir)
		touch(dst.dir)
		setCtime(n)
		setCtime(old)
		return nil
	}
	if old != nil {
		switch {
		case n.isDir() && !old.isDir():
			return fail(syscall.ENOTDIR)
		case !n.isDir() && old.isDir():
			return fail(syscall.EISDIR)
		case old.isDir() && len(old.children) > 0:
			return fail(syscall.ENOTEMPTY)
		}
		fsys.unlinkLocked(dst.dir, dst.base, old)
	}
	delete(src.dir.children, src.base)
	dst.dir.children[dst.base] = n
	fsys.reparent(n, src.dir, dst.dir)
	touch(src.dir)
	touch(dst.dir)
	setCtime(n)
	return nil
}

// within reports whether directory d is n or inside n.
//
// Preconditions: fsys.s.mu is held.
func (fsys *FS) within(d, n *inode) bool {
	for ; ; d = d.parent {
		if d == n {
			return true
		}
		if d == d.parent || d == fsys.root {
			return false
		}
	}
}

// reparent moves n's parent link from directory from to directory to.
//
// Preconditions: fsys.s.mu is held.
func (fsys *FS) reparent(n, from, to *inode) {
	if !n.isDir() || from == to {
		return
	}
	from.nlink.Add(-1)
	to.nlink.Add(1)
	n.parent = to
}

func setCtime(n *inode) {
	n.mu.Lock()
	n.ctime = now()
	n.mu.Unlock()
}
