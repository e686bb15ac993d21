package copytree

import (
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// sameFileOK is GNU cp's same_file_ok (src/copy.c): whether copying the
// source srcPath (status src, followed as the options say) onto the
// existing dname in ddir (status dst, lstat or stat as GNU takes it) is
// safe. It is false when the copy would destroy the only data, which cp
// reports as "are the same file". now says there is nothing left to do
// and the copy succeeds as it is (cp -l of a file onto a link to it).
// It runs only when the destination exists: no cost on a fresh tree.
func (tc *treeCopy) sameFileOK(srcPath string, src *unix.Stat_t, ddir int, dname string, dst *unix.Stat_t) (ok, now bool) {
	o := tc.o
	same := sameInode(src, dst)
	if same && o.HardLink {
		return true, true
	}
	var srcLink, dstLink unix.Stat_t // the lstat of each
	var sameLink bool
	if o.Deref == DerefNever {
		sameLink = same
		if isLnk(src) && isLnk(dst) {
			sn := tc.sameName(srcPath, ddir, dname)
			if !sn {
				if o.Backup != BackupNone {
					return true, false
				}
				if sameLink {
					return true, true // two names of one symlink: nothing to do
				}
			}
			return !sn, false
		}
		srcLink, dstLink = *src, *dst
	} else {
		if !same {
			return true, false
		}
		if fstatat(ddir, dname, &dstLink, unix.AT_SYMLINK_NOFOLLOW) != nil ||
			fstatat(unix.AT_FDCWD, srcPath, &srcLink, unix.AT_SYMLINK_NOFOLLOW) != nil {
			return true, false
		}
		sameLink = sameInode(&srcLink, &dstLink)
		// Two symlinks to one file: fine when the destination is
		// unlinked first, else the source would be truncated.
		if isLnk(&srcLink) && isLnk(&dstLink) && o.RemoveDestination {
			return true, false
		}
	}
	// A backup keeps a copy, unless both are one directory entry (moving
	// the destination aside would move the source too).
	if o.Backup != BackupNone {
		if !sameLink {
			// Backing up the file a followed source symlink points to
			// would leave the link dangling.
			if o.Deref != DerefNever && isLnk(&srcLink) && !isLnk(&dstLink) {
				return false, false
			}
			return true, false
		}
		return !tc.sameName(srcPath, ddir, dname), false
	}
	if o.RemoveDestination {
		if isLnk(&dstLink) {
			return true, false
		}
		// Two hard links of one file: the unlinked name loses nothing.
		if sameLink && dstLink.Nlink > 1 && !tc.sameName(srcPath, ddir, dname) {
			return true, false
		}
	}
	if !isLnk(&srcLink) && !isLnk(&dstLink) {
		if !sameInode(&srcLink, &dstLink) {
			return true, false
		}
		if o.HardLink {
			return true, true
		}
	}
	if o.SymbolicLink && isLnk(&dstLink) {
		return true, false // recreating a destination symlink is fine
	}
	if o.Deref == DerefNever {
		var s, d unix.Stat_t
		if !isLnk(&srcLink) {
			s = srcLink
		} else if fstatat(unix.AT_FDCWD, srcPath, &s, 0) != nil {
			return true, false
		}
		if !isLnk(&dstLink) {
			d = dstLink
		} else if fstatat(ddir, dname, &d, 0) != nil {
			return true, false
		}
		if !sameInode(&s, &d) {
			return true, false
		}
		if o.HardLink {
			return true, !isLnk(&dstLink)
		}
	}
	return false, false
}

func sameInode(a, b *unix.Stat_t) bool { return a.Dev == b.Dev && a.Ino == b.Ino }

func isLnk(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFLNK }

// sameName is gnulib's same_nameat: srcPath and dname in ddir are one
// directory entry (same last component in the same directory).
func (tc *treeCopy) sameName(srcPath string, ddir int, dname string) bool {
	if filepath.Base(srcPath) != filepath.Base(dname) {
		return false
	}
	var sd, dd unix.Stat_t
	if fstatat(unix.AT_FDCWD, filepath.Dir(srcPath), &sd, 0) != nil {
		return false
	}
	if fstatat(ddir, filepath.Dir(dname), &dd, 0) != nil {
		return false
	}
	return sameInode(&sd, &dd)
}

// sourceIsDstBackup is GNU's source_is_dst_backup: the source is the
// simple backup the destination would be renamed to, so making the backup
// would destroy the source.
func sourceIsDstBackup(srcPath string, src *unix.Stat_t, ddir int, dname, suffix string) bool {
	if filepath.Base(srcPath) != filepath.Base(dname)+suffix {
		return false
	}
	var st unix.Stat_t
	return fstatat(ddir, dname+suffix, &st, 0) == nil && sameInode(src, &st)
}

// dotOrDotdot: GNU makes no backup when the source's last component is
// "." or "..".
func dotOrDotdot(path string) bool {
	b := filepath.Base(path)
	return b == "." || b == ".."
}

// createOp is GNU's phrase for failing to create a copy of a source that
// is not a regular file.
func createOp(src *unix.Stat_t) string {
	switch src.Mode & unix.S_IFMT {
	case unix.S_IFLNK:
		return "cannot create symbolic link"
	case unix.S_IFIFO:
		return "cannot create fifo"
	}
	return "cannot create special file"
}

// isPrior reports whether dname in ddir is the file at prior (the first
// copy of a hard-linked source).
func (tc *treeCopy) isPrior(prior string, ddir int, dname string) bool {
	var a, b unix.Stat_t
	return fstatat(unix.AT_FDCWD, prior, &a, unix.AT_SYMLINK_NOFOLLOW) == nil &&
		fstatat(ddir, dname, &b, unix.AT_SYMLINK_NOFOLLOW) == nil && sameInode(&a, &b)
}

// relativeLinkOK is GNU's check for cp -s: a relative source name makes a
// link that resolves from the link's directory, so it is only made in the
// working directory (or where its parent is the working directory).
func relativeLinkOK(srcPath, dstPath string) bool {
	if strings.HasPrefix(srcPath, "/") {
		return true
	}
	parent := filepath.Dir(dstPath)
	if parent == "." {
		return true
	}
	var dot, p unix.Stat_t
	if fstatat(unix.AT_FDCWD, ".", &dot, 0) != nil || fstatat(unix.AT_FDCWD, parent, &p, 0) != nil {
		return true // later calls report what is wrong
	}
	return sameInode(&dot, &p)
}
