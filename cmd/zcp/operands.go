package main

import (
	"os"
	"path/filepath"

	"github.com/zcopy/zcopy/copytree"
)

// forceBackupSelf is GNU cp's do_copy rule for cp --force --backup F F
// with F an existing regular file: the copy goes to F's backup name, with
// no backup of its own. ok is false when the rule does not apply.
func forceBackupSelf(o *copytree.Options, src, dst string) (name string, ok bool) {
	if !o.Force || o.Backup == copytree.BackupNone || src != dst {
		return "", false
	}
	fi, err := os.Stat(dst)
	if err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	name, err = copytree.BackupName(dst, o.Backup, o.Suffix)
	if err != nil {
		return "", false
	}
	return name, true
}

// seenSources is GNU cp's src_info: the non-directory operands copied
// into a target directory so far, by file and name, so that one given
// twice is copied once ("source file 'x' specified more than once").
type seenSources struct {
	deref bool // operands are followed (not -P)
	seen  map[sourceKey]bool
}

// sourceKey is gnulib's F_triple: a file (device and inode) and the
// directory and last component of the name it was given by.
type sourceKey struct {
	dev, ino       uint64
	dirDev, dirIno uint64
	base           string
}

// again records src and reports whether it was given before. Directories
// are not tracked (GNU), nor anything that cannot be stat'ed (the copy
// reports that).
func (s *seenSources) again(src string) bool {
	stat := os.Stat
	if !s.deref {
		stat = os.Lstat
	}
	fi, err := stat(src)
	if err != nil || fi.IsDir() {
		return false
	}
	dir, err := os.Stat(filepath.Dir(src))
	if err != nil {
		return false
	}
	f, d := fileIdentity(fi), fileIdentity(dir)
	k := sourceKey{f[0], f[1], d[0], d[1], filepath.Base(src)}
	if s.seen[k] {
		return true
	}
	if s.seen == nil {
		s.seen = map[sourceKey]bool{}
	}
	s.seen[k] = true
	return false
}
