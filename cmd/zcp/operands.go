package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

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

// seenSources is GNU cp's src_info and, for directories, its record of
// the operands copied: a non-directory operand given twice is copied once
// ("source file 'x' specified more than once"; not when making backups),
// and so is a directory copied twice to one name ("source directory").
type seenSources struct {
	deref     bool // operands are followed (not -P)
	backups   bool
	recursive bool // directories are copied (else each is "omitting directory")
	files     map[sourceKey]bool
	dirs      map[[2]uint64]string // the destination each directory went to
}

// sourceKey is gnulib's F_triple: a file (device and inode) and the
// directory and last component of the name it was given by.
type sourceKey struct {
	dev, ino       uint64
	dirDev, dirIno uint64
	base           string
}

// again records src, to be copied to dst, and says "file" or "directory"
// when it was given before, "" otherwise. Anything that cannot be stat'ed
// is left to the copy to report.
func (s *seenSources) again(src, dst string) string {
	if s == nil {
		return ""
	}
	stat := os.Stat
	if !s.deref {
		stat = os.Lstat
	}
	fi, err := stat(src)
	if err != nil {
		return ""
	}
	f := fileIdentity(fi)
	if fi.IsDir() {
		if !s.recursive {
			return ""
		}
		if prev, ok := s.dirs[f]; ok && prev == dst {
			return "directory"
		}
		if s.dirs == nil {
			s.dirs = map[[2]uint64]string{}
		}
		s.dirs[f] = dst
		return ""
	}
	if s.backups {
		return ""
	}
	dir, err := os.Stat(filepath.Dir(src))
	if err != nil {
		return ""
	}
	d := fileIdentity(dir)
	k := sourceKey{f[0], f[1], d[0], d[1], filepath.Base(src)}
	if s.files[k] {
		return "file"
	}
	if s.files == nil {
		s.files = map[sourceKey]bool{}
	}
	s.files[k] = true
	return ""
}

// targetName is the name a source gets in a target directory: its last
// component, except that "x/.." goes to the directory itself, "." (GNU:
// cp -R source/.. dest does not copy into dest/..).
func targetName(src string) string {
	base := filepath.Base(stripSlashes(src))
	if base == ".." {
		return "."
	}
	return base
}

// resolveOperands sorts the operands into sources and a destination as
// GNU cp does: with -T one source and DEST; with -t every operand a
// source; otherwise the last operand is the target directory when it is
// one (or there are more than two operands), else DEST. ok false means
// exit with code (the message is out).
func (e *env) resolveOperands(cfg config, operands []string) (target string, sources []string, dest string, code int, ok bool) {
	if len(operands) == 0 {
		return "", nil, "", e.usage(errors.New("missing file operand")), false
	}
	target = cfg.target
	switch {
	case cfg.noTarget:
		if len(operands) > 2 {
			return "", nil, "", e.usage(fmt.Errorf("extra operand %s", copytree.Quote(operands[2]))), false
		}
		if len(operands) < 2 {
			return "", nil, "", e.usage(fmt.Errorf("missing destination file operand after %s", copytree.Quote(operands[0]))), false
		}
		sources, dest = operands[:1], operands[1]
	case target != "":
		fi, err := os.Stat(target)
		if err != nil {
			e.errorf("target directory %s: %s", copytree.Quote(target), copytree.Strerror(err))
			return "", nil, "", 1, false
		}
		if !fi.IsDir() {
			// GNU opens it O_DIRECTORY: "target directory 'x': Not a directory".
			e.errorf("target directory %s: %s", copytree.Quote(target), copytree.Strerror(syscall.ENOTDIR))
			return "", nil, "", 1, false
		}
		sources = operands
	default:
		if len(operands) == 1 {
			return "", nil, "", e.usage(fmt.Errorf("missing destination file operand after %s", copytree.Quote(operands[0]))), false
		}
		last := operands[len(operands)-1]
		fi, err := os.Stat(last)
		if err == nil && fi.IsDir() {
			target, sources = last, operands[:len(operands)-1]
		} else if len(operands) > 2 {
			if err == nil {
				err = syscall.ENOTDIR
			}
			e.errorf("target %s: %s", copytree.Quote(last), copytree.Strerror(err))
			return "", nil, "", 1, false
		} else {
			sources, dest = operands[:1], last
		}
	}
	return target, sources, dest, 0, true
}
