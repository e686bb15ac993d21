package copytree

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// This file applies attributes: ownership, mode, times and extended
// attributes of files and directories, in the order that keeps each
// (chown clears set-id bits and security.capability).

// umask is the process's file mode creation mask, read once.
var umask = sync.OnceValue(func() uint32 {
	m := unix.Umask(0)
	unix.Umask(m)
	return uint32(m)
})

// defaultPerm is the permission bits (of bits) a new copy of st starts
// from before the umask: the source's, or with NoPreserveMode those of any
// new file, 0666, and of a new directory or socket, 0777, sticky bit kept
// (GNU's --no-preserve=mode).
func (tc *treeCopy) defaultPerm(st *unix.Stat_t, bits uint32) uint32 {
	if tc.o.NoPreserveMode {
		// GNU keeps the sticky bit (cp -r --no-preserve=mode of a 1777
		// directory gives 1755 under umask 022).
		sticky := st.Mode & bits & unix.S_ISVTX
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR, unix.S_IFSOCK:
			return 0o777 | sticky
		}
		return 0o666 | sticky
	}
	return st.Mode & bits
}

// dirAttrs applies ownership and xattrs to a directory as soon as its
// descriptors are open (before its children, as cp does).
func (tc *treeCopy) dirAttrs(h *dirHandle) {
	n := h.node
	if tc.o.Preserve&PreserveOwnership != 0 {
		// force: an existing directory, or one in a setgid parent, may
		// not have our ids; a directory is one chown among its files.
		n.notOwned = !tc.chown(h.dfd, "", 0, n.dstPath, &n.st, true)
	}
	if tc.o.Preserve&(PreserveXattr|PreserveMode) != 0 {
		// Read now, set in finishDir after the children: a default ACL
		// set before them would be inherited by every file created in
		// the copy, which its source does not have (GNU cp, too, sets
		// a directory's attributes after its contents).
		n.xattrs = tc.readXattrs(h.sfd, "", n.srcPath)
		n.xattrsRead = true
	}
}

// finishDir applies a directory's mode and times once its children are done.
// fd is the destination directory's descriptor if the caller holds one,
// else -1.
func (tc *treeCopy) finishDir(n *dirNode, fd int) {
	if out := tc.sink.out; out != nil {
		defer out.dirDone(n.srcRel) // after its lines
	}
	mode := tc.o.Preserve&PreserveMode != 0
	times := tc.o.Preserve&PreserveTimestamps != 0
	if !mode && !times && !n.created && len(n.xattrs) == 0 {
		return
	}
	if tc.ctx.Err() != nil {
		return
	}
	if fd < 0 {
		var err error
		fd, err = openBeneath(tc.dstBase, n.dstRel, !tc.o.KeepDirectorySymlink)
		if err != nil {
			tc.fail(&Error{Op: "cannot access", Path: n.dstPath, Err: err})
			return
		}
		defer unix.Close(fd)
	}
	if n.xattrsRead {
		tc.writeXattrs(fd, "", n.dstPath, n.xattrs)
		n.xattrs = nil
	}
	perm := uint32(n.st.Mode) & 0o7777
	if !mode {
		// As mkdir(2) would have made it: no set-id bits, sticky kept.
		perm = tc.defaultPerm(&n.st, 0o1777) &^ umask()
	}
	if n.notOwned {
		perm &^= setIDBits
	}
	if mode || n.created {
		if err := unix.Fchmod(fd, perm); err != nil {
			tc.fail(&Error{Op: "preserving permissions for", Path: n.dstPath, Err: err})
		}
	}
	if times {
		ts := statTimes(&n.st)
		if err := futimens(fd, &ts); err != nil {
			tc.fail(&Error{Op: "preserving times for", Path: n.dstPath, Err: err})
		}
	}
}

// setIDBits are what GNU clears from the mode of a copy whose owner could
// not be set to the source's: a set-user-ID program must never change
// owner and keep its bit (the sticky bit goes with them, as in GNU).
const setIDBits = unix.S_ISUID | unix.S_ISGID | unix.S_ISVTX

// fileAttrs applies ownership, xattrs, mode and times, in that order:
// chown clears security.capability, so xattrs come after it; chmod comes
// after chown, which clears set-id bits.
func (tc *treeCopy) fileAttrs(dfd, sfd int, st *unix.Stat_t, srcPath, dstPath string, created, setgidDir bool) {
	p := tc.o.Preserve
	owned := true
	if p&PreserveOwnership != 0 {
		owned = tc.chown(dfd, "", 0, dstPath, st, setgidDir || !created)
	}
	if p&(PreserveXattr|PreserveMode) != 0 {
		tc.xattrs(sfd, dfd, srcPath, dstPath)
	}
	perm := uint32(st.Mode) & 0o7777
	if !owned {
		perm &^= setIDBits
	}
	switch {
	case p&PreserveMode != 0:
		if err := unix.Fchmod(dfd, perm); err != nil {
			tc.fail(&Error{Op: "preserving permissions for", Path: dstPath, Err: err})
		}
	case created && p&(PreserveOwnership|PreserveXattr) != 0:
		// Created with permissions withheld: give the default mode now.
		unix.Fchmod(dfd, tc.defaultPerm(st, 0o777)&^umask())
	}
	if p&PreserveTimestamps != 0 {
		ts := statTimes(st)
		if err := futimens(dfd, &ts); err != nil {
			tc.fail(&Error{Op: "preserving times for", Path: dstPath, Err: err})
		}
	}
}

// chown sets ownership by descriptor (name == "") or by name in dir,
// without following a link. Failures to give a file away are silent
// unless root, as with cp -a. owned is false when the owner could not be
// set: the caller then leaves out the set-id bits (GNU's set_owner).
func (tc *treeCopy) chown(fd int, name string, dirfd int, dstPath string, st *unix.Stat_t, force bool) (owned bool) {
	if !force && int(st.Uid) == tc.euid && int(st.Gid) == tc.egid {
		return true // a new file is already ours
	}
	var err error
	if name == "" {
		err = unix.Fchown(fd, int(st.Uid), int(st.Gid))
	} else {
		err = unix.Fchownat(dirfd, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW)
	}
	if err == nil {
		return true
	}
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EINVAL) {
		// Not root: keep at least the group where we belong to it (GNU).
		if name == "" {
			unix.Fchown(fd, -1, int(st.Gid))
		} else {
			unix.Fchownat(dirfd, name, -1, int(st.Gid), unix.AT_SYMLINK_NOFOLLOW)
		}
		if tc.euid != 0 {
			return false
		}
	}
	tc.fail(&Error{Op: "failed to preserve ownership for", Path: dstPath, Err: err})
	return false
}

// xattrs copies extended attributes from sfd to dfd: all of them with
// PreserveXattr, only the POSIX ACLs with PreserveMode alone. Filesystems
// that take none are skipped silently, as with cp -a.
func (tc *treeCopy) xattrs(sfd, dfd int, srcPath, dstPath string) {
	tc.copyXattrs(sfd, "", dfd, "", srcPath, dstPath)
}

// xattrsByName is xattrs for entries that are never opened (symbolic
// links, FIFOs, devices): the l*xattr calls on /proc/self/fd/DIR/NAME,
// which reach the directory through its descriptor and do not follow NAME.
func (tc *treeCopy) xattrsByName(sdir int, sname string, ddir int, dname, srcPath, dstPath string) {
	if tc.o.Preserve&PreserveXattr == 0 {
		return
	}
	tc.copyXattrs(-1, fdPath(sdir, sname), -1, fdPath(ddir, dname), srcPath, dstPath)
}

func fdPath(dir int, name string) string {
	if dir == unix.AT_FDCWD || strings.HasPrefix(name, "/") {
		return name
	}
	return "/proc/self/fd/" + strconv.Itoa(dir) + "/" + name
}

// copyXattrs copies by descriptor (fd >= 0) or by path (fd < 0). With
// RequireXattr every failure is an error with libattr's words, as cp
// --preserve=xattr prints them: one "setting attributes for" for all the
// attributes the destination does not support. Otherwise failures are
// silent, as with cp -a.
func (tc *treeCopy) copyXattrs(sfd int, spath string, dfd int, dpath string, srcPath, dstPath string) {
	tc.writeXattrs(dfd, dpath, dstPath, tc.readXattrs(sfd, spath, srcPath))
}

// xattr is one extended attribute read from a source.
type xattr struct {
	name  string
	value []byte
}

// readXattrs reads the attributes copyXattrs copies: the POSIX ACLs with
// PreserveMode, the others with PreserveXattr.
func (tc *treeCopy) readXattrs(sfd int, spath string, srcPath string) []xattr {
	all := tc.o.Preserve&PreserveXattr != 0
	report := all && tc.o.RequireXattr
	var buf [1024]byte
	names, _, err := listXattrs(sfd, spath, buf[:])
	if err != nil {
		if report && err != unix.ENOTSUP && err != unix.ENOSYS {
			tc.fail(&Error{Op: "listing attributes of", Path: srcPath, Err: err})
		}
		return nil
	}
	var attrs []xattr
	var val []byte
	for _, name := range names {
		acl := strings.HasPrefix(name, "system.posix_acl_")
		if !all && !acl || acl && tc.o.Preserve&PreserveMode == 0 {
			continue // ACLs go with the mode (GNU's copy_acl), not with xattr
		}
		if val == nil {
			val = make([]byte, 256)
		}
		var v []byte
		v, val, err = getXattr(sfd, spath, name, val)
		if err != nil {
			if report && !acl {
				tc.fail(&Error{Op: "getting attribute " + Quote(name) + " of", Path: srcPath, Err: err})
			}
			continue
		}
		attrs = append(attrs, xattr{name, bytes.Clone(v)})
	}
	return attrs
}

// writeXattrs sets what readXattrs read.
func (tc *treeCopy) writeXattrs(dfd int, dpath string, dstPath string, attrs []xattr) {
	report := tc.o.Preserve&PreserveXattr != 0 && tc.o.RequireXattr
	unsupported := false
	for _, a := range attrs {
		err := setXattr(dfd, dpath, a.name, a.value)
		switch {
		case err == nil || !report || strings.HasPrefix(a.name, "system.posix_acl_"):
			// ACLs go with the mode, as GNU's copy_acl does; its
			// attr_copy leaves them out.
		case err == unix.ENOTSUP:
			unsupported = true
		case err == unix.ENOSYS:
			tc.fail(&Error{Op: "setting attributes for", Path: dstPath, Err: err})
			return
		default:
			tc.fail(&Error{Op: "setting attribute " + Quote(a.name) + " for", Path: dstPath, Err: err})
		}
	}
	if unsupported {
		tc.fail(&Error{Op: "setting attributes for", Path: dstPath, Err: unix.ENOTSUP})
	}
}
