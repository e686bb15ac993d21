package copytree

import (
	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/eintr"
)

// This file makes links and special files: the hard-link bookkeeping
// (later names of a multiply-linked source link to its first copy), cp -l
// and -s, symbolic links, FIFOs, sockets and device nodes.

// linkEntry is the first copy of a multiply-linked source file; later names
// wait for done and link to path.
type linkEntry struct {
	done chan struct{}
	path string // the copy, "" if it failed
}

// hardlinked finds or claims the first copy of a multiply-linked file.
// It returns the earlier copy's path, or a claim to fill in and close.
func (tc *treeCopy) hardlinked(st *unix.Stat_t) (prior string, claim *linkEntry) {
	// A file linked once is recorded too where links are followed (GNU):
	// cp -H --preserve=links a b, with b a symlink to a, links them.
	if tc.o.Preserve&PreserveLinks == 0 || st.Nlink < 2 && !tc.follow && !tc.followOperand {
		return "", nil
	}
	id := fileID{st.Dev, st.Ino}
	tc.c.mu.Lock()
	if tc.c.tree.links == nil {
		tc.c.tree.links = map[fileID]*linkEntry{}
	}
	e := tc.c.tree.links[id]
	if e == nil {
		e = &linkEntry{done: make(chan struct{})}
		tc.c.tree.links[id] = e
		tc.c.mu.Unlock()
		return "", e
	}
	tc.c.mu.Unlock()
	<-e.done
	if e.path == "" {
		return "", nil // the first copy failed: copy this one
	}
	return e.path, nil
}

// linkPrior makes e, a further name of a source copied before, a link to
// that copy (linked: done, or failed and reported). Otherwise e is to be
// copied, and claim, if not nil, makes it the copy later names wait for:
// the caller finishes it.
func (tc *treeCopy) linkPrior(e *entry) (claim *linkEntry, linked bool) {
	prior, claim := tc.hardlinked(&e.st)
	if prior != "" {
		tc.linkTo(prior, e)
		return nil, true
	}
	return claim, false
}

// finish gives the names waiting on l the copy's path, "" if none was
// made (each is then copied). l may be nil: nothing waits.
func (l *linkEntry) finish(path string) {
	if l == nil {
		return
	}
	l.path = path
	close(l.done)
}

// linkTo makes dname a further name of prior, the copy of an earlier name
// of the same source inode (st). An existing dname goes through the
// overwrite policy first: a file -n, -i or --update=none keeps is never
// replaced by the link.
func (tc *treeCopy) linkTo(prior string, e *entry) {
	rep := FileReport{Src: e.srcPath, Dst: e.dstPath, Kind: KindHardLink}
	mk := func(name string) error { return unix.Linkat(unix.AT_FDCWD, prior, e.ddir, name, 0) }
	err := mk(e.dname)
	if err == unix.EEXIST && tc.isPrior(prior, e.ddir, e.dname) {
		// The name is that copy already. For an operand (e.ddir is the
		// working directory only for those) given twice, cp -d f f dir,
		// GNU's check on operands refuses it; in a tree the link is
		// there (cp -au onto a tree that has it). Unlinking would lose
		// the copy either way.
		if e.ddir == unix.AT_FDCWD && tc.c.tree.created != nil {
			tc.fail(&Error{Path: e.dstPath, Path2: e.srcPath, Err: ErrJustCreated})
			return
		}
		tc.report(&rep)
		return
	}
	if err == unix.EEXIST {
		dec, derr := tc.existing(e, false, false)
		if derr != nil {
			tc.fail(derr)
			return
		}
		rep.Backup = dec.backup
		switch {
		case dec.v == vSkip && !dec.upToDate:
			rep.Skipped = true
			tc.report(&rep)
			return
		case dec.v == vCreate:
			err = mk(e.dname)
		default:
			// GNU replaces it (create_hard_link with replace), and cp -v
			// says so; under -u even a newer destination, which GNU's
			// copy.c does "unconditionally, even if it was a newer
			// separate file" (preserve-link.sh checks it).
			err, rep.Removed = replaceByRename(e.ddir, e.dname, mk), true
		}
	}
	if err != nil {
		tc.fail(&Error{Op: "cannot create hard link %s to %s", Path: e.dstPath, Path2: prior, Err: err})
		return
	}
	tc.report(&rep)
}

// makeLink is cp -l and cp -s. An existing destination is replaced only
// when the options say so (GNU): --remove-destination, -b (after the
// backup), -f, -i answered yes (-l), or GNU's unlink-before cases;
// otherwise it is "File exists". A destination that already is the
// source (cp -l f f) is left alone.
func (tc *treeCopy) makeLink(e *entry) {
	if tc.o.SymbolicLink && !relativeLinkOK(e.srcPath, e.dstPath) {
		tc.fail(&Error{Path: e.dstPath, Err: ErrRelativeSymlink})
		return
	}
	kind, op := KindHardLink, "cannot create hard link %s to %s"
	mk := func(name string) error {
		flags := 0
		if tc.follow || e.top && tc.o.Deref == DerefCommandLine {
			// -L, or -H on an operand: link what the symlink names
			// (GNU's create_hard_link; link-deref.sh).
			flags = unix.AT_SYMLINK_FOLLOW
		}
		return unix.Linkat(e.sdir, e.sname, e.ddir, name, flags)
	}
	if tc.o.SymbolicLink {
		kind, op = KindSymlink, "cannot create symbolic link %s to %s"
		mk = func(name string) error { return unix.Symlinkat(e.srcPath, e.ddir, name) }
	}
	rep := FileReport{Src: e.srcPath, Dst: e.dstPath, Kind: kind}
	err := mk(e.dname)
	if err == unix.EEXIST {
		dec, derr := tc.existing(e, e.top, false)
		if derr != nil {
			tc.fail(derr)
			return
		}
		rep.Backup = dec.backup
		switch {
		case dec.v == vSkip || dec.same:
			rep.Skipped = true
			tc.report(&rep)
			return
		case dec.v == vCreate:
			err = mk(e.dname)
		case dec.v == vRemove:
			if err = unix.Unlinkat(e.ddir, e.dname, 0); err != nil && err != unix.ENOENT {
				tc.fail(&Error{Op: "cannot remove", Path: e.dstPath, Err: err})
				return
			}
			rep.Removed = dec.announce
			err = mk(e.dname)
		case tc.o.Force || tc.o.HardLink && tc.o.Interactive != nil:
			err = replaceByRename(e.ddir, e.dname, mk)
		}
	}
	if err != nil {
		tc.fail(&Error{Op: op, Path: e.dstPath, Path2: e.srcPath, Err: err})
		return
	}
	if e.top {
		tc.noteCreated(e.ddir, e.dname, e.dstPath)
	}
	tc.report(&rep)
}

// replaceByRename makes a link (hard or symbolic) under a temporary name
// and renames it over dname, as GNU's force_linkat and force_symlinkat
// do: if making it fails, the old destination is still there.
func replaceByRename(ddir int, dname string, mk func(name string) error) error {
	tmp := tempName(dname)
	if err := mk(tmp); err != nil {
		return err
	}
	err := unix.Renameat(ddir, tmp, ddir, dname)
	// rename(2) of two names of one inode does nothing and leaves both.
	unix.Unlinkat(ddir, tmp, 0)
	return err
}

// symlink copies a symbolic link as a link.
func (tc *treeCopy) symlink(e *entry) {
	claim, linked := tc.linkPrior(e)
	if linked {
		return
	}
	var linkTarget string // what later names of the source link to: only a link made here
	defer func() { claim.finish(linkTarget) }()
	target, err := readlinkat(e.sdir, e.sname)
	if err != nil {
		tc.fail(&Error{Op: "cannot read symbolic link", Path: e.srcPath, Err: err})
		return
	}
	rep := FileReport{Src: e.srcPath, Dst: e.dstPath, Kind: KindSymlink}
	created := tc.createOrReplace(e, &rep, "cannot create symbolic link",
		func(name string) error { return unix.Symlinkat(target, e.ddir, name) })
	if !created {
		return
	}
	if tc.o.Preserve&PreserveOwnership != 0 {
		tc.chown(-1, e.dname, e.ddir, e.dstPath, &e.st, false)
	}
	tc.xattrsByName(e.sdir, e.sname, e.ddir, e.dname, e.srcPath, e.dstPath)
	if tc.o.Preserve&PreserveTimestamps != 0 {
		ts := statTimes(&e.st)
		if err := unix.UtimesNanoAt(e.ddir, e.dname, ts[:], unix.AT_SYMLINK_NOFOLLOW); err != nil && err != unix.EOPNOTSUPP {
			tc.fail(&Error{Op: "preserving times for", Path: e.dstPath, Err: err})
		}
	}
	linkTarget = e.dstPath
	tc.report(&rep)
}

func readlinkat(dirfd int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		var n int
		err := eintr.Retry(func() (err error) {
			n, err = unix.Readlinkat(dirfd, name, buf)
			return err
		})
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

// special recreates a FIFO, socket or device node; it is never opened.
func (tc *treeCopy) special(e *entry) {
	claim, linked := tc.linkPrior(e)
	if linked {
		return
	}
	var linkTarget string // what later names of the source link to: only a node made here
	defer func() { claim.finish(linkTarget) }()
	kind := KindDevice
	op := "cannot create special file"
	switch e.st.Mode & unix.S_IFMT {
	case unix.S_IFIFO:
		kind, op = KindFIFO, "cannot create fifo"
	case unix.S_IFSOCK:
		kind = KindSocket
	}
	// mknod(2) keeps the set-id bits (minus the umask), as GNU's copy shows.
	perm := tc.defaultPerm(&e.st, 0o7777)
	if tc.o.Preserve&(PreserveOwnership|PreserveMode) != 0 {
		perm &= 0o600
	}
	mk := func(name string) error {
		return unix.Mknodat(e.ddir, name, e.st.Mode&unix.S_IFMT|perm, int(e.st.Rdev))
	}
	rep := FileReport{Src: e.srcPath, Dst: e.dstPath, Kind: kind}
	created := tc.createOrReplace(e, &rep, op, mk)
	if !created {
		return
	}
	p := tc.o.Preserve
	owned := true
	if p&PreserveOwnership != 0 {
		owned = tc.chown(-1, e.dname, e.ddir, e.dstPath, &e.st, false)
	}
	tc.xattrsByName(e.sdir, e.sname, e.ddir, e.dname, e.srcPath, e.dstPath)
	if p&(PreserveOwnership|PreserveMode) != 0 {
		mode := uint32(e.st.Mode) & 0o7777
		if p&PreserveMode == 0 {
			mode = tc.defaultPerm(&e.st, 0o7777) &^ umask()
		}
		if !owned {
			mode &^= setIDBits // GNU: no set-id bits on a node that is not the source owner's
		}
		if err := unix.Fchmodat(e.ddir, e.dname, mode, 0); err != nil {
			tc.fail(&Error{Op: "preserving permissions for", Path: e.dstPath, Err: err})
		}
	}
	if p&PreserveTimestamps != 0 {
		ts := statTimes(&e.st)
		if err := unix.UtimesNanoAt(e.ddir, e.dname, ts[:], unix.AT_SYMLINK_NOFOLLOW); err != nil {
			tc.fail(&Error{Op: "preserving times for", Path: e.dstPath, Err: err})
		}
	}
	linkTarget = e.dstPath
	tc.report(&rep)
}
