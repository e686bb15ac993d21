package copytree

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// This file decides what happens to a destination name that exists and
// opens or replaces it: GNU cp 9.1's copy_internal and copy_reg rules
// (the package doc lists them). Nothing here runs for a name that does
// not exist yet: the common path is one openat(O_CREAT|O_EXCL).

// verdict is what to do with an existing destination.
type verdict uint8

const (
	vCreate verdict = iota // the name is free (gone meanwhile, or moved to a backup): create it
	vRemove                // unlink it first, then create (GNU's unlink-before-open cases)
	vOpen                  // write into it: open O_WRONLY|O_TRUNC, never unlink (cp's default)
	vSkip                  // keep it: -n, -i answered no, -u and newer, --update=none
)

// decision is existing's answer.
type decision struct {
	v      verdict
	st     unix.Stat_t // the destination; its target when follow
	follow bool        // the destination operand is a symlink cp writes through
	backup string      // the name the old destination now has (-b)
	// same: with -l, the destination already is the source's inode;
	// there is nothing to do (GNU: cp -l f f succeeds).
	same bool
	// upToDate: skipped by -u; GNU 9.1 links later names of the same
	// source inode to it, as it stands for the source.
	upToDate bool
	// announce: cp -v prints "removed 'dst'" for this vRemove.
	announce bool
}

// existing decides what to do with e's destination, which exists, for
// its source (a regular file to copy when regular; a link, FIFO, device
// or hard link to make otherwise). top says the destination is a
// command-line operand's. The order of the checks is GNU's.
func (tc *treeCopy) existing(e *entry, top, regular bool) (decision, error) {
	src := &e.st
	var d decision
	if err := fstatat(e.ddir, e.dname, &d.st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			return decision{v: vCreate}, nil // gone meanwhile
		}
		return d, &Error{Op: "cannot stat", Path: e.dstPath, Err: err}
	}
	lst := d.st
	isLink := lst.Mode&unix.S_IFMT == unix.S_IFLNK
	cmp := &d.st // the status GNU's same-file test sees: followed for a regular source
	if isLink && top && regular && !tc.o.RemoveDestination && tc.o.Backup == BackupNone {
		// cp writes through a symlink that is an operand's destination.
		var target unix.Stat_t
		if err := fstatat(e.ddir, e.dname, &target, 0); err != nil {
			switch {
			case err == unix.ENOENT && tc.justCreated(&lst):
				// An earlier operand made it: GNU says so before it
				// would say the link dangles (abuse.sh).
				return d, &Error{Path: e.srcPath, Path2: e.dstPath, Err: ErrThroughJustCreated}
			case err == unix.ENOENT && tc.o.OpenDanglingSymlink:
				d.v, d.follow = vOpen, true // POSIXLY_CORRECT: create through it
				return d, nil
			case err == unix.ENOENT:
				// Refused with -f too (GNU 9.1, thru-dangling.sh).
				return d, &Error{Path: e.dstPath, Err: ErrDanglingDst}
			case err == unix.ELOOP && tc.o.Force:
				// GNU treats a loop as existing and removes it (8.30).
			default:
				return d, &Error{Op: "cannot stat", Path: e.dstPath, Err: err}
			}
		} else {
			d.st, d.follow = target, true
		}
	} else if isLink && regular && !tc.o.RemoveDestination && tc.o.Backup == BackupNone && !tc.o.HardLink && !tc.o.SymbolicLink {
		var target unix.Stat_t
		if fstatat(e.ddir, e.dname, &target, 0) == nil {
			cmp = &target
		}
	}
	if tc.o.Update != UpdateNone {
		ok, now := tc.sameFileOK(e.srcPath, src, e.ddir, e.dname, cmp)
		if !ok {
			return d, &Error{Path: e.srcPath, Path2: e.dstPath, Err: ErrSameFile}
		}
		d.same = now // nothing left to do: the destination is the copy already
	}
	// GNU's order: the update and no-clobber policies and the question
	// come before the checks on what the destination is.
	switch tc.o.Update {
	case UpdateNone:
		d.v = vSkip
		return d, nil
	case UpdateNoneFail:
		return d, &Error{Path: e.dstPath, Err: ErrNotReplacing}
	case UpdateOlder:
		if timeCmp(d.st.Mtim, src.Mtim) >= 0 {
			d.v, d.upToDate = vSkip, true
			return d, nil
		}
	}
	if tc.o.Interactive != nil && !tc.o.Interactive(e.dstPath) {
		d.v = vSkip
		return d, nil
	}
	if d.same {
		d.v = vSkip
		return d, nil
	}
	if d.st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return d, &Error{Path: e.dstPath, Err: ErrFileOverDir}
	}
	// Only an operand is checked (GNU): the files of two trees merge.
	// (A numbered backup keeps both.)
	if top && tc.o.Backup != BackupNumbered && tc.justCreated(&d.st) {
		return d, &Error{Path: e.dstPath, Path2: e.srcPath, Err: ErrJustCreated}
	}
	if tc.o.Backup != BackupNone && !dotOrDotdot(e.srcPath) && tc.o.Backup != BackupNumbered &&
		sourceIsDstBackup(e.srcPath, src, e.ddir, e.dname, tc.o.Suffix) {
		return d, &Error{Path: e.dstPath, Path2: e.srcPath, Err: ErrBackupIsSource}
	}
	if tc.o.Backup != BackupNone && !dotOrDotdot(e.srcPath) {
		name, err := backupName(e.ddir, e.dname, tc.o.Backup, tc.o.Suffix)
		if err != nil {
			return d, &Error{Op: "cannot backup", Path: e.dstPath, Err: err}
		}
		if tc.o.Atomic && regular {
			// The old file stays under its name until the rename.
			err = unix.Linkat(e.ddir, e.dname, e.ddir, name, 0)
		} else {
			err = unix.Renameat(e.ddir, e.dname, e.ddir, name)
		}
		if err != nil {
			return d, &Error{Op: "cannot backup", Path: e.dstPath, Err: err}
		}
		d.backup = filepath.Join(filepath.Dir(e.dstPath), filepath.Base(name))
		d.v = vCreate
		return d, nil
	}
	if top && isLink && tc.justCreated(&lst) {
		// A symlink an earlier operand made: writing through it would
		// let one source aim another's data anywhere (GNU refuses too).
		return d, &Error{Path: e.srcPath, Path2: e.dstPath, Err: ErrThroughJustCreated}
	}
	if tc.o.AttributesOnly && !regular && !tc.o.HardLink && !tc.o.SymbolicLink && !tc.o.RemoveDestination && !tc.o.Force {
		// No data to copy: cp keeps the destination (GNU 9.1), so the
		// link or node cannot be made over it.
		return d, &Error{Op: createOp(src), Path: e.dstPath, Err: unix.EEXIST}
	}
	derefNever := tc.o.Deref == DerefNever || !top && tc.o.Deref == DerefCommandLine
	switch {
	case tc.o.RemoveDestination:
		d.v, d.announce = vRemove, true
	case !tc.o.AttributesOnly && (tc.o.Preserve&PreserveLinks != 0 && d.st.Nlink > 1 ||
		derefNever && src.Mode&unix.S_IFMT != unix.S_IFREG):
		// GNU: a file with other names is not written into when links
		// are preserved, and what is not a regular file is recreated.
		d.v, d.announce = vRemove, true
	case regular && isLink && !d.follow:
		// A symlink below the destination root is replaced, never
		// written through (zcp's rule; GNU follows it).
		d.v = vRemove
	default:
		d.v = vOpen
	}
	return d, nil
}

// justCreated reports whether st is a file this Copier created, when it
// keeps track (RefuseJustCreated).
func (tc *treeCopy) justCreated(st *unix.Stat_t) bool {
	if tc.c.tree.created == nil {
		return false
	}
	tc.c.mu.Lock()
	_, just := tc.c.tree.created[fileID{st.Dev, st.Ino}]
	tc.c.mu.Unlock()
	return just
}

// noteCreated records a non-regular entry an operand created (settle does
// it for files), so that a later operand neither overwrites it nor writes
// through it.
func (tc *treeCopy) noteCreated(ddir int, dname, dstPath string) {
	if tc.c.tree.created == nil {
		return
	}
	var st unix.Stat_t
	if fstatat(ddir, dname, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
		tc.c.mu.Lock()
		tc.c.tree.created[fileID{st.Dev, st.Ino}] = dstPath
		tc.c.mu.Unlock()
	}
}

// dstFile is the destination of a regular copy, open for writing.
type dstFile struct {
	fd      int
	created bool // a new file: its mode and owner are the copy's to set
	regular bool // else a device, FIFO or socket: written into, no holes or truncation
	// dir, tmp and name: with Atomic, the data goes to tmp in dir, which
	// is renamed to name at the end.
	dir       int
	tmp, name string
	old       *oldFile // Atomic: the file replaced, whose attributes the copy keeps
	upToDate  bool     // skipped by -u
	followed  bool     // written through a symlink operand: not a hard-link target
}

// oldFile is what a plain cp, writing into an existing file, would have
// kept of it.
type oldFile struct {
	st     unix.Stat_t
	xattrs []xattr
}

const createFlags = unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW

// openDst opens the destination of a regular copy: created with mode
// (O_EXCL) if the name is free, else as existing decides. done means
// there is nothing to write (skipped, or failed and reported).
func (tc *treeCopy) openDst(e *entry, mode uint32, rep *FileReport) (d dstFile, done bool) {
	d = dstFile{dir: e.ddir, name: e.dname, created: true, regular: true}
	fail := func(op string, err error) (dstFile, bool) {
		tc.failFile(rep, &Error{Op: op, Path: e.dstPath, Err: err})
		return d, true
	}
	if !tc.o.Atomic {
		fd, err := openat(e.ddir, e.dname, createFlags, mode)
		if err == nil {
			d.fd = fd
			return d, false
		}
		if err != unix.EEXIST {
			tc.failFile(rep, createError(e.ddir, e.dname, e.dstPath, err))
			return d, true
		}
	} else {
		var cur unix.Stat_t
		if err := fstatat(e.ddir, e.dname, &cur, unix.AT_SYMLINK_NOFOLLOW); err == unix.ENOENT {
			return tc.openAtomic(d, decision{v: vCreate}, e.dstPath, mode, rep)
		}
	}
	dec, err := tc.existing(e, e.top, true)
	if err != nil {
		if errors.Is(err, ErrDanglingDst) {
			// cp -v names the copy before it opens the destination
			// (GNU), so the line comes though the open is refused.
			tc.failFile(rep, err)
			return d, true
		}
		tc.fail(err)
		return d, true
	}
	rep.Backup = dec.backup
	if dec.v == vSkip {
		rep.Skipped, d.upToDate = true, dec.upToDate
		tc.report(rep)
		return d, true
	}
	d.followed = dec.follow
	if tc.o.Atomic && (dec.v != vOpen || dec.st.Mode&unix.S_IFMT == unix.S_IFREG) {
		return tc.openAtomic(d, dec, e.dstPath, mode, rep)
	}
	var fd int
	switch dec.v {
	case vRemove:
		if err := unix.Unlinkat(e.ddir, e.dname, 0); err != nil && err != unix.ENOENT {
			return fail("cannot remove", err)
		}
		rep.Removed = dec.announce
		fd, err = openat(e.ddir, e.dname, createFlags, mode)
	case vCreate:
		fd, err = openat(e.ddir, e.dname, createFlags, mode)
	case vOpen:
		fl := unix.O_WRONLY | unix.O_TRUNC
		if tc.o.AttributesOnly {
			fl = unix.O_WRONLY // the data stays (GNU)
		}
		// A dangling symlink operand followed under POSIXLY_CORRECT
		// (OpenDanglingSymlink): the file is created through it.
		dangling := dec.follow && dec.st.Mode&unix.S_IFMT == unix.S_IFLNK
		if !dec.follow {
			fl |= unix.O_NOFOLLOW
		} else if dangling {
			fl |= unix.O_CREAT
		}
		fd, err = openat(e.ddir, e.dname, fl, mode)
		if err == nil {
			// The type existing saw decides, without an fstat per file: a
			// name swapped meanwhile for a device or FIFO is written into
			// as one that was there (the regular path's seeks and
			// ftruncate then fail and are reported).
			d.created = false
			d.regular = dangling || dec.st.Mode&unix.S_IFMT == unix.S_IFREG
			break
		}
		if err != unix.ENOENT && tc.o.Force {
			// -f: a destination that cannot be opened is removed.
			if uerr := unix.Unlinkat(e.ddir, e.dname, 0); uerr != nil && uerr != unix.ENOENT {
				return fail("cannot remove", uerr)
			}
			rep.Removed, err = true, unix.ENOENT
		}
		if err == unix.ENOENT {
			fd, err = openat(e.ddir, e.dname, createFlags, mode)
		}
	}
	if err != nil {
		tc.failFile(rep, createError(e.ddir, e.dname, e.dstPath, err))
		return d, true
	}
	d.fd = fd
	return d, false
}

// openAtomic creates the temporary file of an atomic copy. Replacing an
// existing regular file, it first opens that file for writing, without
// truncating it, so that permission is decided as a plain cp's open would
// decide it (write-protected files stay protected; -f removes them as cp
// -f would), and it remembers the attributes such a cp would have kept. A
// symlink operand is followed: its target is replaced, in its directory.
func (tc *treeCopy) openAtomic(d dstFile, dec decision, dstPath string, mode uint32, rep *FileReport) (dstFile, bool) {
	fail := func(err error) (dstFile, bool) {
		tc.fail(&Error{Op: "cannot create regular file", Path: dstPath, Err: err})
		return d, true
	}
	switch dec.v {
	case vRemove:
		rep.Removed = dec.announce
	case vOpen:
		if dec.follow {
			target, err := filepath.EvalSymlinks(d.name) // an operand: relative to the working directory
			if err != nil {
				return fail(err)
			}
			d.name = target
		}
		fd, err := openat(d.dir, d.name, unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
		if err != nil {
			if !tc.o.Force {
				return fail(err)
			}
			rep.Removed = true // cp -f would unlink it and create a new file
			break
		}
		old := &oldFile{}
		if err := fstat(fd, &old.st); err == nil && old.st.Mode&unix.S_IFMT == unix.S_IFREG {
			old.xattrs = oldXattrs(fd)
			d.old = old
		}
		unix.Close(fd)
	}
	d.tmp = tempName(d.name)
	fd, err := openat(d.dir, d.tmp, createFlags, mode)
	if err != nil {
		return fail(err)
	}
	d.fd = fd
	return d, false
}

// oldXattrs reads every extended attribute of fd that a write into the
// file keeps: all but security.capability, which the kernel removes when
// a file is written.
func oldXattrs(fd int) []xattr {
	var buf [1024]byte
	names, _, err := listXattrs(fd, "", buf[:])
	if err != nil || len(names) == 0 {
		return nil
	}
	var attrs []xattr
	val := make([]byte, 256)
	for _, name := range names {
		if name == "security.capability" {
			continue
		}
		var v []byte
		if v, val, err = getXattr(fd, "", name, val); err == nil {
			attrs = append(attrs, xattr{name, append([]byte(nil), v...)})
		}
	}
	return attrs
}

// inherit gives an atomic copy's temporary file what the file it replaces
// keeps under a plain cp: owner and group, extended attributes (ACLs
// included) and mode. Set-id bits go as a write would drop them: all when
// the owner cannot be kept, set-user-ID (and set-group-ID with group
// execute) for a writer without CAP_FSETID.
func (tc *treeCopy) inherit(fd int, old *oldFile, dstPath string) {
	mode := old.st.Mode & 0o7777
	if int(old.st.Uid) != tc.euid || int(old.st.Gid) != tc.egid {
		if unix.Fchown(fd, int(old.st.Uid), int(old.st.Gid)) != nil {
			mode &^= unix.S_ISUID | unix.S_ISGID
		}
	}
	for _, a := range old.xattrs {
		setXattr(fd, "", a.name, a.value) // as a write leaves them; failures are the old file's
	}
	if tc.euid != 0 {
		mode &^= unix.S_ISUID
		if mode&0o010 != 0 {
			mode &^= unix.S_ISGID
		}
	}
	if err := unix.Fchmod(fd, mode); err != nil {
		tc.fail(&Error{Op: "setting permissions for", Path: dstPath, Err: err})
	}
}

// createOrReplace runs create for a symlink or special file. If the name
// exists, the overwrite policy decides (existing): skip it (reported as
// skipped), create it after a backup, or remove it first (GNU: without
// dereferencing, what is not a regular file is recreated). Otherwise the
// name stays and creating fails with "File exists", except for a symlink
// with -f, which replaces it. rep gets the backup's name, or Removed when
// cp -v reports a removal. It returns whether the entry was created.
func (tc *treeCopy) createOrReplace(e *entry, rep *FileReport, op string, create func(name string) error) (created bool) {
	err := create(e.dname)
	if err == unix.EEXIST {
		dec, verr := tc.existing(e, e.top, false)
		if verr != nil {
			tc.fail(verr)
			return false
		}
		rep.Backup = dec.backup
		switch {
		case dec.v == vSkip:
			rep.Skipped = true
			tc.report(rep)
			return false
		case dec.v == vCreate:
			err = create(e.dname)
		case dec.v == vRemove:
			if err = unix.Unlinkat(e.ddir, e.dname, 0); err != nil && err != unix.ENOENT {
				tc.fail(&Error{Op: "cannot remove", Path: e.dstPath, Err: err})
				return false
			}
			rep.Removed = dec.announce
			err = create(e.dname)
		case rep.Kind == KindSymlink && tc.o.Force:
			err = replaceByRename(e.ddir, e.dname, create)
		}
	}
	if err != nil {
		tc.fail(&Error{Op: op, Path: e.dstPath, Err: err})
		return false
	}
	if e.top {
		tc.noteCreated(e.ddir, e.dname, e.dstPath)
	}
	return true
}

func timeCmp(a, b unix.Timespec) int {
	switch {
	case a.Sec != b.Sec:
		if a.Sec < b.Sec {
			return -1
		}
		return 1
	case a.Nsec < b.Nsec:
		return -1
	case a.Nsec > b.Nsec:
		return 1
	}
	return 0
}

// backupName picks the backup name for dname in ddir (GNU --backup).
func backupName(ddir int, dname string, b Backup, suffix string) (string, error) {
	if b == BackupSimple {
		return dname + suffix, nil
	}
	dir, base := filepath.Split(dname)
	d := dir
	if d == "" {
		d = "."
	}
	fd, err := openat(ddir, d, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return "", err
	}
	f := os.NewFile(uintptr(fd), d)
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return "", err
	}
	highest := 0
	prefix := base + ".~"
	for _, n := range names {
		if strings.HasPrefix(n, prefix) && strings.HasSuffix(n, "~") {
			if v, err := strconv.Atoi(n[len(prefix) : len(n)-1]); err == nil && v > highest {
				highest = v
			}
		}
	}
	if b == BackupExisting && highest == 0 {
		return dname + suffix, nil
	}
	return fmt.Sprintf("%s.~%d~", dname, highest+1), nil
}

// tempSeq numbers temporary files within the process.
var tempSeq atomic.Uint64

// tempName is the name an atomic copy (or a replacing link) is made under:
// hidden, marked with zcp and the process id, so that a later run (or a
// person) can tell a leftover from a crash: .zcp-tmp.PID.SEQ.NAME
func tempName(dname string) string {
	dir, base := filepath.Split(dname)
	name := fmt.Sprintf(".zcp-tmp.%d.%d.%s", os.Getpid(), tempSeq.Add(1), base)
	if len(name) > 255 {
		name = name[:255]
	}
	return dir + name
}
