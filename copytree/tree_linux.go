package copytree

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy"
)

// This file walks the tree: an operand's top, the directory listings
// handed to the scheduler's workers, and each entry's dispatch by type to
// regular_linux.go, links_linux.go and attrs_linux.go. A directory's mode
// and times are applied when the last work below it is done.

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
	tally            *tally // where the copied file is counted; nil: at once in the Summary
}

// entry is the entry name in h's directories.
func (h *dirHandle) entry(name, srcPath, dstPath string) entry {
	return entry{h: h, sdir: h.sfd, ddir: h.dfd, sname: name, dname: name, srcPath: srcPath, dstPath: dstPath}
}

// dirHandle holds a directory's two descriptors while its entries are
// copied; chunks of a large directory share it.
type dirHandle struct {
	node   *dirNode
	list   lister // reads sfd; only the task listing the directory uses it
	sfd    int
	dfd    int
	setgid bool // the destination directory gives new files its group
	refs   atomic.Int32
}

func (h *dirHandle) put() {
	if h.refs.Add(-1) == 0 {
		h.list.release()
		unix.Close(h.sfd)
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
	created, err := tc.mkdir(unix.AT_FDCWD, dst, src, dst)
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
func (tc *treeCopy) mkdir(ddir int, dname, srcPath, dstPath string) (created bool, err error) {
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
	defer func() {
		if out := tc.sink.out; out != nil {
			fd := -1
			if h != nil {
				fd = h.sfd
			}
			out.listed(n.srcRel, fd) // before the last release's lines
		}
		tc.releaseHeld(n, h)
	}()
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
	h = &dirHandle{node: n, list: lister{fd: sfd, path: n.srcPath}, sfd: sfd, dfd: dfd}
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
		ents, err := h.list.read(batchSize)
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
	// OrderedOutput: the order is told of each entry's end.
	out := tc.sink.out
	ents, ring := tc.splitRing(h, ents) // regular files io_uring copies (uring_linux.go)
	if out != nil && len(ring) > 0 {
		defer out.entriesDone(n.srcRel, ring) // after copyRing
	}
	defer tc.copyRing(h, ring)
	var t tally
	defer tc.c.sum.merge(&t)
	for _, de := range ents {
		if tc.stopped() {
			return
		}
		name := de.Name()
		if testHookBeforeEntry != nil {
			testHookBeforeEntry(join(n.srcPath, name))
		}
		srcPath, dstPath := joinPair(n.srcPath, n.dstPath, name)
		e := h.entry(name, srcPath, dstPath)
		e.tally = &t
		if de.Type().IsRegular() && !tc.follow {
			// The listing says regular: open and fstat it, no lstat first.
			tc.regular(&e)
		} else {
			tc.copyEntry(&e)
		}
		if out != nil {
			out.entryDone(n.srcRel, name)
		}
	}
}

func join(dir, name string) string {
	if strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
}

// joinPair is join(src, name), join(dst, name) in one allocation: every
// listed entry needs both.
func joinPair(src, dst, name string) (srcPath, dstPath string) {
	sep1, sep2 := "/", "/"
	if strings.HasSuffix(src, "/") {
		sep1 = ""
	}
	if strings.HasSuffix(dst, "/") {
		sep2 = ""
	}
	both := src + sep1 + name + dst + sep2 + name
	k := len(src) + len(sep1) + len(name)
	return both[:k], both[k:]
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
	created, err := tc.mkdir(e.h.dfd, e.dname, e.srcPath, e.dstPath)
	if err != nil {
		tc.fail(err)
		return
	}
	if out := tc.sink.out; out != nil {
		out.openDir(rel(parent.srcRel, e.sname)) // its lines and its entries' go together
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

func (tc *treeCopy) report(fr *FileReport) {
	tc.c.reportIn(tc.sink.out, fr)
	if tc.prog != nil {
		tc.prog.reported(fr)
	}
}

// reportEntry is report for the copy of e, counted in e's tally when it
// has one.
func (tc *treeCopy) reportEntry(e *entry, fr *FileReport) {
	if e.tally == nil {
		tc.report(fr)
		return
	}
	e.tally.add(fr)
	tc.c.output(tc.sink.out, fr)
	if tc.prog != nil {
		tc.prog.reported(fr)
	}
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
