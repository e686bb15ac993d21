package copytree

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/internal/eintr"
)

// batchSize is how many directory entries one task handles. A larger
// directory is split into several tasks so that workers share a flat
// directory (parallel-by-directory loses on one flat directory).
const batchSize = 256

// Test hooks: called before each listed entry with its source path, and
// after a file's data is written with its destination path.
var testHookBeforeEntry, testHookAfterData func(path string)

// treeState is what a Copier keeps between Copy calls: hard links seen
// and, when asked, the files it created.
type treeState struct {
	links   map[fileID]*linkEntry
	created map[fileID]string // dst files created, when RefuseJustCreated
}

func (t *treeState) refuseJustCreated() {
	if t.created == nil {
		t.created = map[fileID]string{}
	}
}

// fileID names a file by device and inode.
type fileID struct{ dev, ino uint64 }

// linkEntry is the first copy of a multiply-linked source file; later names
// wait for done and link to path.
type linkEntry struct {
	done chan struct{}
	path string // the copy, "" if it failed
}

// umask is the process's file mode creation mask, read once.
var umask = sync.OnceValue(func() uint32 {
	m := unix.Umask(0)
	unix.Umask(m)
	return uint32(m)
})

// treeCopy is one copy in progress: a source (tree or file) to its
// destination, as Copier.copy runs it.
type treeCopy struct {
	c    *Copier
	o    *Options
	ctx  context.Context
	sink errorSink
	s    *sched
	work sync.WaitGroup // this copy's tasks queued or running on s

	srcBase, dstBase int    // the operands' root directories (trees) or AT_FDCWD
	follow           bool   // DerefAlways
	rootDev          uint64 // for OneFileSystem
	dstRoot          fileID // never copied into itself
	euid, egid       int
	pendingChunks    atomic.Int64
	prog             *progress
	opts             []zcopy.Option // for every file
	wantReport       bool           // ask the engine how it copied (costs an fstat or two)
	followOperand    bool           // a -H operand that is not a directory: its hard links are recorded
}

// dirNode is a directory being copied. pending counts the work still to
// finish below it (its own listing, queued chunks, subdirectories); the
// last to finish applies the directory's mode and times, after its
// children, so read-only source directories copy.
type dirNode struct {
	parent           *dirNode
	srcRel, dstRel   string // relative to srcBase, dstBase
	srcPath, dstPath string // as the user sees them
	st               unix.Stat_t
	created          bool // we made it: its mode is ours to set
	parentSetgid     bool // the destination parent has set-group-ID
	pending          atomic.Int64
	skip             bool // OneFileSystem: created but not descended
	// xattrs were read from the source directory before its children
	// were copied; finishDir sets them after.
	xattrs     []xattr
	xattrsRead bool
	notOwned   bool // its owner could not be set: no set-id bits
}

// entry is one name to copy: sname in the source directory sdir to dname
// in the destination directory ddir, srcPath and dstPath as the user sees
// them. h holds the directories of a non-root entry (nil for an operand,
// whose names are paths relative to the working directory); top marks an
// operand. st is held by value: a pointer in a struct that also holds the
// names (which reach the heap in errors and reports) would move every
// file's stat buffer to the heap too.
type entry struct {
	h                *dirHandle
	sdir, ddir       int
	sname, dname     string
	srcPath, dstPath string
	st               unix.Stat_t
	hasStat          bool // st is filled in: false when only the listing was read
	top              bool
}

// entry is the entry name in h's directories.
func (h *dirHandle) entry(name, srcPath, dstPath string) entry {
	return entry{h: h, sdir: h.sfd, ddir: h.dfd, sname: name, dname: name, srcPath: srcPath, dstPath: dstPath}
}

// dirHandle holds a directory's two descriptors while its entries are
// copied; chunks of a large directory share it.
type dirHandle struct {
	node   *dirNode
	src    *os.File
	sfd    int
	dfd    int
	setgid bool // the destination directory gives new files its group
	refs   atomic.Int32
}

func (h *dirHandle) put() {
	if h.refs.Add(-1) == 0 {
		h.src.Close()
		unix.Close(h.dfd)
	}
}

func (c *Copier) copy(ctx context.Context, src, dst string) error {
	tc := &treeCopy{c: c, o: &c.opts, ctx: ctx, srcBase: unix.AT_FDCWD, dstBase: unix.AT_FDCWD,
		follow: c.opts.Deref == DerefAlways, euid: os.Geteuid(), egid: os.Getegid()}
	tc.opts = append(tc.opts, c.opts.CopyOptions...)
	tc.wantReport = c.opts.OnFile != nil || c.opts.Report
	tc.sink.out = outputOf(ctx)
	if c.opts.Reflink == Never {
		tc.opts = append(tc.opts, zcopy.Without(zcopy.Clone, zcopy.CopyFileRange))
	}
	if c.opts.Progress != nil {
		tc.prog = startProgress(ctx, c.opts, src)
	}
	tc.top(src, dst)
	if err := ctx.Err(); err != nil && !tc.sink.has(err) {
		tc.fail(err)
	}
	if tc.prog != nil {
		tc.prog.stop(!tc.stopped())
	}
	return tc.sink.err()
}

func (tc *treeCopy) fail(err error) { tc.c.fail(&tc.sink, err) }

// stopped reports whether the copy must stop: cancelled, or failed
// without ContinueOnError.
func (tc *treeCopy) stopped() bool {
	if tc.ctx.Err() != nil {
		return true
	}
	if tc.o.ContinueOnError {
		return false
	}
	return tc.sink.failed.Load()
}

// top copies one operand.
func (tc *treeCopy) top(src, dst string) {
	if err := tc.ctx.Err(); err != nil {
		tc.fail(err)
		return
	}
	var st unix.Stat_t
	statFlags := unix.AT_SYMLINK_NOFOLLOW
	if tc.o.Deref != DerefNever {
		statFlags = 0
	}
	if err := fstatat(unix.AT_FDCWD, src, &st, statFlags); err != nil {
		tc.fail(&Error{Op: "cannot stat", Path: src, Err: err})
		return
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		if strings.HasSuffix(dst, "/") {
			// A file cannot be named "x/": GNU says ENOTDIR, where
			// open(2) would say EISDIR.
			tc.fail(&Error{Op: "cannot create regular file", Path: dst, Err: unix.ENOTDIR})
			return
		}
		tc.followOperand = tc.o.Deref == DerefCommandLine
		tc.copyEntry(&entry{sdir: unix.AT_FDCWD, ddir: unix.AT_FDCWD, sname: src, dname: dst, srcPath: src, dstPath: dst, st: st, hasStat: true, top: true})
		tc.finishRun()
		return
	}
	if tc.o.NoRecursion {
		tc.fail(&Error{Path: src, Err: ErrOmitDir})
		return
	}
	// Into itself: is the source among the destination's ancestors?
	// GNU cp reports it and still copies the tree once, leaving out the
	// destination itself; so do we.
	if err := tc.intoItself(&st, src, dst); err != nil {
		// GNU looks at the destination first: "cannot stat 'd/f/'"
		// when a file stands where a directory of its name would be.
		var dst0 unix.Stat_t
		if serr := fstatat(unix.AT_FDCWD, dst, &dst0, unix.AT_SYMLINK_NOFOLLOW); serr != nil && serr != unix.ENOENT {
			tc.fail(&Error{Op: "cannot stat", Path: dst, Err: serr})
			return
		}
		tc.fail(err)
	}
	created, err := tc.mkdir(unix.AT_FDCWD, dst, src, dst, true)
	if err != nil {
		tc.fail(err)
		return
	}
	sfd, err := openat(unix.AT_FDCWD, src, unix.O_RDONLY|unix.O_DIRECTORY|tc.nofollowTop(), 0)
	if err != nil {
		tc.fail(&Error{Op: "cannot access", Path: src, Err: err})
		return
	}
	dflags := unix.O_RDONLY | unix.O_DIRECTORY
	if !tc.o.KeepDirectorySymlink {
		dflags |= unix.O_NOFOLLOW
	}
	dfd, err := openat(unix.AT_FDCWD, dst, dflags, 0)
	if err != nil {
		unix.Close(sfd)
		tc.fail(&Error{Op: "cannot access", Path: dst, Err: err})
		return
	}
	var dstSt unix.Stat_t
	if err := fstat(dfd, &dstSt); err == nil {
		tc.dstRoot = fileID{dstSt.Dev, dstSt.Ino}
		if dstSt.Dev == st.Dev && dstSt.Ino == st.Ino {
			unix.Close(sfd)
			unix.Close(dfd)
			tc.fail(&Error{Path: src, Path2: dst, Err: ErrSameFile})
			return
		}
	}
	tc.srcBase, tc.dstBase, tc.rootDev = sfd, dfd, st.Dev
	defer func() {
		unix.Close(sfd)
		unix.Close(dfd)
		tc.srcBase, tc.dstBase = unix.AT_FDCWD, unix.AT_FDCWD
	}()
	if created {
		// cp -v names a directory it creates, not one it merges into.
		tc.report(&FileReport{Src: src, Dst: dst, Kind: KindDir})
	}
	// parentSetgid: the root's parent was not looked at; fstat the root.
	root := &dirNode{srcRel: ".", dstRel: ".", srcPath: src, dstPath: dst, st: st, created: created, parentSetgid: true}
	root.pending.Store(1)
	tc.walk(func() { tc.listDir(root) })
	tc.finishRun()
}

// finishRun flushes with syncfs for FsyncEnd.
func (tc *treeCopy) finishRun() {
	if tc.o.Fsync != FsyncEnd || tc.stopped() && !tc.o.ContinueOnError {
		return
	}
	fd := tc.dstBase
	if fd == unix.AT_FDCWD {
		fd = -1
	}
	if fd >= 0 {
		if err := unix.Syncfs(fd); err != nil {
			tc.fail(&Error{Op: "cannot sync", Path: ".", Err: err})
		}
		return
	}
	unix.Sync()
}

func (tc *treeCopy) nofollowTop() int {
	if tc.o.Deref == DerefNever {
		return unix.O_NOFOLLOW
	}
	return 0
}

// intoItself refuses to copy a directory into itself or below itself, by
// (dev, ino) of the destination's ancestors, as GNU cp does.
func (tc *treeCopy) intoItself(src *unix.Stat_t, srcPath, dst string) error {
	fd, err := openat(unix.AT_FDCWD, filepath.Dir(filepath.Clean(dst)), unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil // mkdir reports it
	}
	// Bounded by the path's depth; two descriptors at a time.
	for range 4096 {
		var st unix.Stat_t
		if err := fstat(fd, &st); err != nil {
			break
		}
		if st.Dev == src.Dev && st.Ino == src.Ino {
			unix.Close(fd)
			return &Error{Path: srcPath, Path2: dst, Err: ErrIntoItself}
		}
		up, err := openat(fd, "..", unix.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			break
		}
		var upSt unix.Stat_t
		if fstat(up, &upSt) == nil && upSt.Dev == st.Dev && upSt.Ino == st.Ino {
			unix.Close(up)
			break // the root
		}
		unix.Close(fd)
		fd = up
	}
	unix.Close(fd)
	return nil
}

// mkdir creates the destination directory dname in ddir, or accepts an
// existing one; created says whether it is new.
func (tc *treeCopy) mkdir(ddir int, dname, srcPath, dstPath string, top bool) (created bool, err error) {
	mode := uint32(0o700)
	if err := unix.Mkdirat(ddir, dname, mode); err == nil {
		return true, nil
	} else if err != unix.EEXIST {
		return false, &Error{Op: "cannot create directory", Path: dstPath, Err: err}
	}
	var st unix.Stat_t
	if err := fstatat(ddir, dname, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return false, &Error{Op: "cannot stat", Path: dstPath, Err: err}
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return false, nil
	case unix.S_IFLNK:
		if tc.o.KeepDirectorySymlink && fstatat(ddir, dname, &st, 0) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
			return false, nil
		}
	}
	return false, &Error{Path: dstPath, Path2: srcPath, Err: ErrDirOverFile}
}

// listDir copies the entries of n, handing batches of a large directory to
// other workers.
func (tc *treeCopy) listDir(n *dirNode) {
	var h *dirHandle
	defer func() { tc.releaseHeld(n, h) }()
	if tc.stopped() || n.skip {
		return
	}
	var sfd int
	var err error
	if tc.follow {
		sfd, err = openat(tc.srcBase, n.srcRel, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	} else {
		sfd, err = openBeneath(tc.srcBase, n.srcRel, true)
	}
	if err != nil {
		tc.fail(&Error{Op: "cannot access", Path: n.srcPath, Err: err})
		return
	}
	dfd, err := openBeneath(tc.dstBase, n.dstRel, !tc.o.KeepDirectorySymlink)
	if err != nil {
		unix.Close(sfd)
		tc.fail(&Error{Op: "cannot access", Path: n.dstPath, Err: err})
		return
	}
	h = &dirHandle{node: n, src: os.NewFile(uintptr(sfd), n.srcPath), sfd: sfd, dfd: dfd}
	h.refs.Store(1)
	// A directory made by mkdir 0700 under a parent without set-group-ID
	// has none itself: no fstat needed.
	if !n.created || n.parentSetgid {
		var dst unix.Stat_t
		if fstat(dfd, &dst) == nil {
			h.setgid = dst.Mode&unix.S_ISGID != 0
		}
	}
	tc.dirAttrs(h)
	jobs := int64(tc.o.Jobs)
	for {
		ents, err := h.src.ReadDir(batchSize)
		if len(ents) > 0 {
			if err == nil && jobs > 1 && tc.pendingChunks.Load() < 2*jobs && tc.s.hungry() {
				// More entries follow: let another worker take this batch.
				h.refs.Add(1)
				n.pending.Add(1)
				tc.pendingChunks.Add(1)
				batch := ents
				tc.push(func() {
					tc.entries(h, batch)
					tc.pendingChunks.Add(-1)
					tc.releaseHeld(n, h)
				})
			} else {
				tc.entries(h, ents)
			}
		}
		if err == io.EOF || len(ents) == 0 {
			return
		}
		if err != nil {
			tc.fail(&Error{Op: "cannot access", Path: n.srcPath, Err: err})
			return
		}
		if tc.stopped() {
			return
		}
	}
}

func (tc *treeCopy) entries(h *dirHandle, ents []os.DirEntry) {
	n := h.node
	ents, ring := tc.splitRing(h, ents) // regular files io_uring copies (uring_linux.go)
	defer tc.copyRing(h, ring)
	for _, de := range ents {
		if tc.stopped() {
			return
		}
		name := de.Name()
		if testHookBeforeEntry != nil {
			testHookBeforeEntry(join(n.srcPath, name))
		}
		e := h.entry(name, join(n.srcPath, name), join(n.dstPath, name))
		if de.Type().IsRegular() && !tc.follow {
			// The listing says regular: open and fstat it, no lstat first.
			tc.regular(&e)
			continue
		}
		tc.copyEntry(&e)
	}
}

func join(dir, name string) string {
	if strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
}

func rel(dir, name string) string {
	if dir == "." {
		return name
	}
	return dir + "/" + name
}

// copyEntry copies one non-root entry (e.h != nil) or a top-level
// non-directory (e.h == nil, e.st given).
func (tc *treeCopy) copyEntry(e *entry) {
	if !e.hasStat {
		flags := unix.AT_SYMLINK_NOFOLLOW
		if tc.follow {
			flags = 0
		}
		if err := fstatat(e.sdir, e.sname, &e.st, flags); err != nil {
			// Under -L a dangling link is "cannot stat" too (GNU), and a
			// chain of links that loops is a cyclic link.
			if tc.follow && err == unix.ELOOP {
				tc.fail(&Error{Path: e.srcPath, Err: ErrSymlinkLoop})
			} else {
				tc.fail(&Error{Op: "cannot stat", Path: e.srcPath, Err: err})
			}
			return
		}
		e.hasStat = true
	}
	if (tc.o.HardLink || tc.o.SymbolicLink) && e.st.Mode&unix.S_IFMT != unix.S_IFDIR {
		// GNU links every non-directory, symlinks (-P) and FIFOs too.
		tc.makeLink(e)
		return
	}
	switch e.st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		tc.subdir(e)
	case unix.S_IFREG:
		tc.regular(e)
	case unix.S_IFLNK:
		tc.symlink(e)
	default:
		if tc.o.CopyContents {
			tc.regular(e)
			return
		}
		if tc.o.NoRecursion && e.st.Mode&unix.S_IFMT == unix.S_IFSOCK {
			// Without -r cp opens its operands as files, and open(2)
			// refuses a socket: "cannot open 'sock' for reading: No
			// such device or address".
			fd, err := openat(e.sdir, e.sname, unix.O_RDONLY|unix.O_NONBLOCK, 0)
			if err != nil {
				tc.fail(&Error{Op: "cannot open %s for reading", Path: e.srcPath, Err: err})
				return
			}
			unix.Close(fd)
		}
		tc.special(e)
	}
}

// subdir creates a destination directory and queues its listing.
func (tc *treeCopy) subdir(e *entry) {
	parent := e.h.node
	id := fileID{e.st.Dev, e.st.Ino}
	if id == tc.dstRoot {
		return // the destination itself, met while copying a tree that holds it
	}
	if tc.follow {
		for p := parent; p != nil; p = p.parent {
			if p.st.Dev == e.st.Dev && p.st.Ino == e.st.Ino {
				tc.fail(&Error{Path: e.srcPath, Err: ErrSymlinkLoop})
				return
			}
		}
	}
	// Directories are always recreated, even with -l and -s.
	created, err := tc.mkdir(e.h.dfd, e.dname, e.srcPath, e.dstPath, false)
	if err != nil {
		tc.fail(err)
		return
	}
	// Reported when created, before its children, as cp -v prints it.
	if created {
		tc.report(&FileReport{Src: e.srcPath, Dst: e.dstPath, Kind: KindDir})
	}
	child := &dirNode{parent: parent, srcRel: rel(parent.srcRel, e.sname), dstRel: rel(parent.dstRel, e.dname),
		srcPath: e.srcPath, dstPath: e.dstPath, st: e.st, created: created, parentSetgid: e.h.setgid,
		skip: tc.o.OneFileSystem && e.st.Dev != tc.rootDev}
	child.pending.Store(1)
	parent.pending.Add(1)
	tc.push(func() { tc.listDir(child) })
}

// release ends one piece of work below n; the last one applies n's
// attributes and releases n's parent.
func (tc *treeCopy) release(n *dirNode) {
	for n != nil && n.pending.Add(-1) == 0 {
		tc.finishDir(n, -1)
		n = n.parent
	}
}

// releaseHeld is release for work that holds n's descriptors (h, nil if
// the listing failed): when it is the last, n's attributes are applied
// through h's descriptor instead of opening the directory again. It drops
// the hold on h.
func (tc *treeCopy) releaseHeld(n *dirNode, h *dirHandle) {
	if h == nil {
		tc.release(n)
		return
	}
	if n.pending.Add(-1) == 0 {
		tc.finishDir(n, h.dfd)
		h.put()
		tc.release(n.parent)
		return
	}
	h.put()
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

func (tc *treeCopy) report(fr *FileReport) {
	tc.c.reportIn(tc.sink.out, fr)
	if tc.prog != nil {
		tc.prog.reported(fr)
	}
}

// setIDBits are what GNU clears from the mode of a copy whose owner could
// not be set to the source's: a set-user-ID program must never change
// owner and keep its bit (the sticky bit goes with them, as in GNU).
const setIDBits = unix.S_ISUID | unix.S_ISGID | unix.S_ISVTX

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

// regular copies a regular file (or, with CopyContents, reads a special
// one), in steps: open the source, link it to an earlier copy or claim
// the first, open the destination, write the data, apply the attributes.
func (tc *treeCopy) regular(e *entry) {
	if tc.o.HardLink || tc.o.SymbolicLink {
		if !e.hasStat {
			if err := fstatat(e.sdir, e.sname, &e.st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				tc.fail(&Error{Op: "cannot stat", Path: e.srcPath, Err: err})
				return
			}
			e.hasStat = true
		}
		tc.makeLink(e)
		return
	}
	sfd := tc.openSource(e)
	if sfd < 0 {
		return
	}
	claim, linked := tc.linkPrior(e)
	if linked {
		unix.Close(sfd)
		return
	}
	// Later names link to this copy only if it was made (or, as GNU 9.1
	// does, kept by -u as up to date): never to a file that -n, -i or
	// --update=none left alone.
	var linkTarget string
	defer func() { claim.finish(linkTarget) }()
	// O_NONBLOCK stays: regular files ignore it, and the descriptor is
	// used bare (zcopy.CopyFD), so nothing else looks at it.
	defer unix.Close(sfd)
	linkTarget = tc.copyFile(e, sfd)
}

// openSource opens e's source for reading and fstats it into e.st (what
// was opened, not what was listed). It returns -1 when there is nothing
// to copy here: it failed (reported), or the name is no longer a regular
// file (then recreated as what it is).
func (tc *treeCopy) openSource(e *entry) int {
	oflags := unix.O_RDONLY | unix.O_NONBLOCK
	if !tc.follow && !(e.top && tc.o.Deref != DerefNever) {
		oflags |= unix.O_NOFOLLOW
	}
	if tc.o.CopyContents {
		oflags &^= unix.O_NONBLOCK
	}
	sfd, err := openat(e.sdir, e.sname, oflags, 0)
	if err != nil {
		tc.fail(&Error{Op: "cannot open %s for reading", Path: e.srcPath, Err: err})
		return -1
	}
	st := &e.st
	if err := fstat(sfd, st); err != nil {
		unix.Close(sfd)
		tc.fail(&Error{Op: "cannot fstat", Path: e.srcPath, Err: err})
		return -1
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG && !tc.o.CopyContents {
		// Replaced by something else since it was listed: never read a
		// FIFO or device that was not asked for; recreate it instead.
		unix.Close(sfd)
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			tc.fail(&Error{Op: "cannot open %s for reading", Path: e.srcPath, Err: unix.EISDIR})
			return -1
		}
		e.hasStat = true
		tc.special(e)
		return -1
	}
	e.hasStat = true
	return sfd
}

// copyFile copies the open source sfd to e's destination and reports it.
// It returns what later names of the source link to: the copy, or ""
// where none was made or it was written through a symlink.
func (tc *treeCopy) copyFile(e *entry, sfd int) (linkTarget string) {
	rep := FileReport{Src: e.srcPath, Dst: e.dstPath, Kind: KindFile}
	d, done := tc.openDst(e, tc.createMode(&e.st), &rep)
	if done {
		if rep.Skipped && d.upToDate {
			return e.dstPath
		}
		return ""
	}
	ok := false
	defer func() {
		if !ok && d.tmp != "" {
			unix.Unlinkat(d.dir, d.tmp, 0)
		}
	}()
	if !tc.o.AttributesOnly && !tc.writeData(e, &d, sfd, &rep) {
		return ""
	}
	if testHookAfterData != nil {
		testHookAfterData(e.dstPath)
	}
	if !tc.finishFile(e, &d, sfd) {
		return ""
	}
	ok = true
	tc.report(&rep)
	if d.followed {
		return "" // a link to dstPath would be a link to the symlink
	}
	return e.dstPath
}

// createMode is the mode a copy of st is created with. Without mode
// preservation cp gives the permission bits minus the umask, and no
// set-id or sticky bit (GNU); attributes to preserve withhold all but
// 0600 until ownership and mode are applied.
func (tc *treeCopy) createMode(st *unix.Stat_t) uint32 {
	mode := tc.defaultPerm(st, 0o777)
	if tc.o.Preserve&(PreserveMode|PreserveOwnership|PreserveXattr) != 0 {
		mode &= 0o600
	}
	return mode
}

// writeData writes the source's bytes into the open destination d. false
// means it failed: reported, and d's descriptor closed.
func (tc *treeCopy) writeData(e *entry, d *dstFile, sfd int, rep *FileReport) bool {
	var err error
	if d.regular {
		err = tc.data(d.fd, sfd, &e.st, rep)
	} else {
		err = tc.stream(d.fd, sfd, e.st.Size, rep)
	}
	if err == nil {
		return true
	}
	unix.Close(d.fd)
	if errors.Is(err, ErrCloneRequired) {
		if d.created && d.tmp == "" {
			unix.Unlinkat(e.ddir, e.dname, 0) // GNU 9.2: no empty file left
		}
		tc.fail(&Error{Path: e.dstPath, Path2: e.srcPath, Err: err})
		return false
	}
	if tc.ctx.Err() != nil {
		tc.fail(tc.ctx.Err())
		return false
	}
	tc.fail(dataError(e.srcPath, e.dstPath, err))
	return false
}

// finishFile applies the attributes to the written destination d, closes
// it, and with Atomic renames it into place. false means a step failed
// (reported); d's descriptor is closed either way.
func (tc *treeCopy) finishFile(e *entry, d *dstFile, sfd int) bool {
	dfd := d.fd
	if d.old != nil {
		tc.inherit(dfd, d.old, e.dstPath)
	}
	tc.fileAttrs(dfd, sfd, &e.st, e.srcPath, e.dstPath, d.created && d.old == nil, e.h != nil && e.h.setgid)
	if !tc.settle(dfd, e.dstPath) {
		unix.Close(dfd)
		return false
	}
	// close(2) is not retried on EINTR: the descriptor is gone anyway.
	if err := unix.Close(dfd); err != nil {
		tc.fail(&Error{Op: "failed to close", Path: e.dstPath, Err: err})
		return false
	}
	if d.tmp != "" {
		if err := unix.Renameat(d.dir, d.tmp, d.dir, d.name); err != nil {
			tc.fail(&Error{Op: "cannot create regular file", Path: e.dstPath, Err: err})
			return false
		}
	}
	return true
}

// settle ends a copied file's work on its descriptor: fsync with
// FsyncFile, and a note that this copy created it (cp refuses to overwrite
// such a file with a later operand). false means fsync failed, which is
// reported; the caller closes dfd either way.
func (tc *treeCopy) settle(dfd int, dstPath string) bool {
	if tc.o.Fsync == FsyncFile {
		if err := eintr.Retry(func() error { return unix.Fsync(dfd) }); err != nil {
			tc.fail(&Error{Op: "cannot fsync", Path: dstPath, Err: err})
			return false
		}
	}
	if tc.c.tree.created != nil {
		var dst unix.Stat_t
		if fstat(dfd, &dst) == nil {
			tc.c.mu.Lock()
			tc.c.tree.created[fileID{dst.Dev, dst.Ino}] = dstPath
			tc.c.mu.Unlock()
		}
	}
	return true
}

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

// data copies the bytes of the descriptor src to dst.
func (tc *treeCopy) data(dst, src int, st *unix.Stat_t, rep *FileReport) (err error) {
	size := st.Size
	if tc.o.Reflink == Always {
		if err := eintr.Retry(func() error { return unix.IoctlFileClone(dst, src) }); err != nil {
			if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EXDEV) || errors.Is(err, unix.EINVAL) ||
				errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EBADF) {
				var errno unix.Errno
				errors.As(err, &errno)
				return cloneError{errno} // GNU names the ioctl's errno
			}
			return err
		}
		rep.Reflink, rep.Method, rep.Size = OutcomeYes, zcopy.Clone, size
		return nil
	}
	opts := tc.opts
	if tc.prog != nil {
		var credit func()
		opts, credit = tc.prog.fileData(opts, size, rep)
		defer func() {
			if err == nil {
				credit()
			}
		}()
	}
	sparseScan := tc.o.Sparse != Never && st.Blocks*512 < st.Size
	if tc.o.Sparse == Always {
		n, err := zeroScanCopy(tc.ctx, dst, src, size)
		rep.Size, rep.Method, rep.Sparse = n, zcopy.ReadWrite, OutcomeYes
		return err
	}
	if sparseScan {
		n, handled, err := tc.sparseCopy(dst, src, size, opts, rep)
		if handled {
			rep.Size = n
			return err
		}
	}
	var zr *zcopy.Report
	if tc.wantReport {
		zr = new(zcopy.Report)
	}
	n, err := tc.o.Engine.CopyData(tc.ctx, dst, src, size, opts, zr)
	rep.Size = n
	if zr != nil {
		outcomes(zr, rep, tc.o.Reflink)
	} else {
		outcomes(&zcopy.Report{}, rep, tc.o.Reflink)
	}
	return err
}

// outcomes turns the engine's report into cp --debug's words.
func outcomes(zr *zcopy.Report, rep *FileReport, reflink When) {
	rep.Method = zr.Method
	rep.Reflink, rep.Offload = OutcomeNo, OutcomeNo
	if reflink == Never {
		rep.Reflink = OutcomeAvoided
	}
	for _, a := range zr.Attempts {
		switch a.Method {
		case zcopy.Clone:
			if a.Used {
				rep.Reflink = OutcomeYes
			} else if a.Reason != "" && reflink != Never {
				rep.Reflink = OutcomeUnsupported
			}
		case zcopy.CopyFileRange, zcopy.Sendfile, zcopy.Splice:
			if a.Used {
				rep.Offload = OutcomeYes
			} else if a.Reason != "" && rep.Offload == OutcomeNo {
				rep.Offload = OutcomeUnsupported
			}
		}
	}
	if rep.Reflink == OutcomeNo && reflink != Never && zr.Method == zcopy.CopyFileRange {
		rep.Reflink = OutcomeUnsupported
	}
	if reflink == Never && rep.Offload == OutcomeNo {
		rep.Offload = OutcomeAvoided
	}
}

// sparseCopy copies the data segments SEEK_DATA/SEEK_HOLE find and leaves
// the holes; handled is false (nothing written) where the filesystem cannot
// seek holes.
func (tc *treeCopy) sparseCopy(dst, src int, size int64, opts []zcopy.Option, rep *FileReport) (written int64, handled bool, err error) {
	sfd := src
	off := int64(0)
	for off < size {
		data, err := unix.Seek(sfd, off, unix.SEEK_DATA)
		if err == unix.ENXIO {
			break // only a hole remains
		}
		if err != nil {
			if off == 0 && (err == unix.EINVAL || err == unix.EOPNOTSUPP) {
				return 0, false, nil
			}
			return written, true, err
		}
		if data >= size {
			break
		}
		hole, err := unix.Seek(sfd, data, unix.SEEK_HOLE)
		if err != nil {
			return written, true, err
		}
		if hole > size {
			hole = size // the file grew: copy what stat saw
		}
		if off == 0 && data == 0 && hole >= size {
			// No hole after all (compressed or preallocated): plain copy.
			if _, err := unix.Seek(sfd, 0, io.SeekStart); err != nil {
				return 0, true, err
			}
			return 0, false, nil
		}
		// SEEK_HOLE moved the source's offset to the hole: both
		// descriptors go to where the data starts.
		if _, err := unix.Seek(sfd, data, io.SeekStart); err != nil {
			return written, true, err
		}
		if _, err := unix.Seek(dst, data, io.SeekStart); err != nil {
			return written, true, err
		}
		var zr zcopy.Report
		o := opts
		if tc.wantReport {
			o = append(o[:len(o):len(o)], zcopy.WithReport(&zr))
		}
		if testHookSparseData != nil {
			testHookSparseData(data)
		}
		n, err := zcopy.CopyFD(tc.ctx, dst, sfd, hole-data, o...)
		written += n
		outcomes(&zr, rep, tc.o.Reflink)
		if err != nil {
			return written, true, err
		}
		if n < hole-data {
			// The source shrank: the copy ends where its data did (GNU's
			// lseek_copy), not at the size fstat saw, which would invent
			// a hole where data was.
			size = data + n
			break
		}
		off = hole
	}
	// The source may also have shrunk while its holes were skipped: the
	// copy is never longer than the source now is.
	var now unix.Stat_t
	if err := fstat(sfd, &now); err == nil && now.Size < size {
		size = now.Size
	}
	rep.Sparse = OutcomeYes
	return written, true, eintr.Retry(func() error { return unix.Ftruncate(dst, size) })
}

// testHookSparseData, when set, is called before each data segment of a
// sparse copy with the segment's offset.
var testHookSparseData func(off int64)

// zeroScanCopy is --sparse=always: it reads the file and seeks over every
// all-zero block, so runs of zeros become holes.
func zeroScanCopy(ctx context.Context, dst, src int, size int64) (int64, error) {
	const block = 4096
	buf := make([]byte, 128<<10)
	var off int64
	for {
		if err := ctx.Err(); err != nil {
			return off, err
		}
		n, err := preadFull(src, buf, off)
		for i := 0; i < n; i += block {
			b := buf[i:min(i+block, n)]
			if allZero(b) {
				continue
			}
			if werr := pwriteAll(dst, b, off+int64(i)); werr != nil {
				return off, werr
			}
		}
		off += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return off, err
		}
	}
	return off, eintr.Retry(func() error { return unix.Ftruncate(dst, off) })
}

// preadFull reads len(buf) bytes at off, or fewer with io.EOF at the end
// of the file (os.File.ReadAt's contract).
func preadFull(fd int, buf []byte, off int64) (int, error) {
	n := 0
	for n < len(buf) {
		var k int
		err := eintr.Retry(func() (err error) {
			k, err = unix.Pread(fd, buf[n:], off+int64(n))
			return err
		})
		if err != nil {
			return n, os.NewSyscallError("pread64", err)
		}
		if k == 0 {
			return n, io.EOF
		}
		n += k
	}
	return n, nil
}

// pwriteAll writes b at off.
func pwriteAll(fd int, b []byte, off int64) error {
	for len(b) > 0 {
		var k int
		err := eintr.Retry(func() (err error) {
			k, err = unix.Pwrite(fd, b, off)
			return err
		})
		if err != nil {
			return os.NewSyscallError("pwrite64", err)
		}
		b, off = b[k:], off+int64(k)
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
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

// has reports whether err was recorded already.
func (s *errorSink) has(err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.errs {
		if errors.Is(e, err) {
			return true
		}
	}
	return false
}
