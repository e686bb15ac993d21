package memfs

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// FS is an in-memory filesystem. Its methods take slash-separated paths
// relative to its root. The zero value is not usable; call [New].
//
// Open, ReadFile, ReadDir, ReadLink and Sub, the io/fs methods, take only
// paths valid under [fs.ValidPath]. The others, named and shaped like
// [os.Root]'s (Stat and Lstat too), also take "..", "." and doubled or
// trailing slashes, as long as the path stays inside the root; a path that
// would leave it (an absolute path, ".." at the root, an absolute symlink)
// fails like os.Root's: "path escapes from parent".
type FS struct {
	s    *state
	root *inode // the root of this view: [FS.Sub] shares s
}

// state is what the views of one filesystem share.
type state struct {
	mu      sync.RWMutex // the namespace: children, parent, nlink; see the package doc
	lim     limiter
	cache   mapCache
	nextIno atomic.Uint64
	// snapshots counts the bytes of sealed memfd snapshots, charged to
	// lim until Close.
	snapshots atomic.Int64
	umask     fs.FileMode
	uid       int
	gid       int
}

// An inode is a directory, regular file or symlink.
type inode struct {
	ino uint64
	typ fs.FileMode // type bits, fixed at creation (so read without a lock)

	// mu protects the fields from mode to released: metadata and data.
	mu       sync.RWMutex
	mode     fs.FileMode // permission, setuid, setgid and sticky bits
	uid, gid int
	atime    int64 // ns since the epoch
	mtime    int64
	ctime    int64
	data     *content // regular files
	target   string   // symlinks
	released bool     // data dropped: unlinked and closed

	// Protected by state.mu.
	nlink    atomic.Int32
	children map[string]*inode // directories
	parent   *inode            // directories

	opens atomic.Int32 // open handles
}

func (n *inode) isDir() bool     { return n.typ.IsDir() }
func (n *inode) isSymlink() bool { return n.typ&fs.ModeSymlink != 0 }
func (n *inode) isRegular() bool { return n.typ.IsRegular() }

// An Option configures a filesystem made by [New].
type Option func(*state)

// WithMemoryLimit bounds the heap memory file data may use, in bytes; 0
// (the default) means no limit. A write or import that would go over it
// fails with an error matching syscall.ENOSPC and changes nothing. Holes
// and host extents cost nothing against it.
func WithMemoryLimit(bytes int64) Option {
	return func(s *state) { s.lim.budget = max(bytes, 0) }
}

// WithUmask sets the bits cleared from the permissions of files and
// directories created by OpenFile, Create, Mkdir, MkdirAll and WriteFile
// (default 0o022, like most processes' umask).
func WithUmask(mask fs.FileMode) Option {
	return func(s *state) { s.umask = mask & fs.ModePerm }
}

// WithOwner sets the owner of new files (default: the process's uid and gid).
func WithOwner(uid, gid int) Option {
	return func(s *state) { s.uid, s.gid = uid, gid }
}

// New returns an empty filesystem whose root is a directory with mode 0o755.
func New(opts ...Option) *FS {
	s := &state{umask: 0o022, uid: os.Getuid(), gid: os.Getgid()}
	for _, o := range opts {
		o(s)
	}
	root := s.newInode(fs.ModeDir | 0o755)
	root.children = map[string]*inode{}
	root.nlink.Store(2)
	root.parent = root
	return &FS{s: s, root: root}
}

func now() int64 { return time.Now().UnixNano() }

func (s *state) newInode(mode fs.FileMode) *inode {
	t := now()
	n := &inode{ino: s.nextIno.Add(1), typ: mode.Type(), mode: mode &^ fs.ModeType, uid: s.uid, gid: s.gid, atime: t, mtime: t, ctime: t}
	if mode.IsRegular() {
		n.data = newContent()
	}
	return n
}

// Close releases the host files the filesystem reads from: their
// mappings and descriptors. Later reads of imported data fail with
// [ErrClosed]; data in memory stays readable.
func (fsys *FS) Close() error {
	if fsys.s.cache.close() {
		fsys.s.lim.refund(fsys.s.snapshots.Swap(0))
	}
	return nil
}

// Usage reports the memory use and the layout of the data of the files
// reachable from this view's root.
func (fsys *FS) Usage() Usage {
	u := Usage{Heap: fsys.s.lim.used.Load(), Limit: fsys.s.lim.budget, Snapshots: fsys.s.snapshots.Load()}
	seen := map[*inode]bool{}
	fsys.s.mu.RLock()
	var walk func(d *inode)
	walk = func(d *inode) {
		for _, c := range d.children {
			switch {
			case c.isDir():
				walk(c)
			case c.isRegular() && !seen[c]:
				seen[c] = true
				c.mu.RLock()
				u.Offloaded += c.data.hostBytes
				u.Holes += c.data.fillBytes
				u.InMemory += c.data.heapBytes
				u.Extents += c.data.extents()
				c.mu.RUnlock()
			}
		}
	}
	walk(fsys.root)
	fsys.s.mu.RUnlock()
	return u
}

// Errors that os.Root and os.File give without an errno, with their
// texts; memfs wraps them in an *fs.PathError, so test with errors.Is.
var (
	// ErrPathEscapes is the error of a path that leaves the root: an
	// absolute path, ".." above the root, or a symlink to either.
	ErrPathEscapes = errors.New("path escapes from parent")
	// ErrEmptyPath is the error of the path "".
	ErrEmptyPath = errors.New("empty path")
	// ErrNegativeOffset is the error of ReadAt and WriteAt at an offset
	// below 0.
	ErrNegativeOffset = errors.New("negative offset")
	// ErrWriteAtInAppendMode is returned by WriteAt on a file opened with
	// O_APPEND, as os.File does.
	ErrWriteAtInAppendMode = errors.New("memfs: invalid use of WriteAt on file opened with O_APPEND")
)

// maxSymlinks is Linux's limit on symlinks followed in one lookup (ELOOP).
const maxSymlinks = 40

// lookup is the result of a path walk.
type lookup struct {
	dir   *inode // the directory holding the final component
	base  string // the final component; "" when the path names dir itself
	node  *inode // the final inode, nil if it does not exist
	slash bool   // the path ended in a slash: it must name a directory
}

// walk resolves name from the view's root. follow resolves a symlink in
// the final component. Missing final components are not an error (node is
// nil); missing directories on the way are.
// Preconditions: s.mu is held (read or write).
func (fsys *FS) walk(name string, follow bool) (lookup, error) {
	if name == "" {
		return lookup{}, ErrEmptyPath
	}
	if strings.HasPrefix(name, "/") {
		return lookup{}, ErrPathEscapes
	}
	comps := strings.Split(name, "/")
	slash := strings.HasSuffix(name, "/")
	dir := fsys.root
	links := 0
	for i := 0; i < len(comps); i++ {
		c := comps[i]
		// The final component is the last non-empty one: trailing
		// slashes only say it must be a directory, but a trailing "."
		// is a component of its own, so that the name before it is a
		// directory to enter (following a symlink), as in Linux.
		last := true
		for _, rest := range comps[i+1:] {
			if rest != "" {
				last = false
				break
			}
		}
		if strings.IndexByte(c, 0) >= 0 {
			// No name holds a NUL byte: the system call refuses the
			// path (EINVAL), os.Root when it reaches the component.
			return lookup{}, syscall.EINVAL
		}
		switch c {
		case "", ".":
			if last {
				return lookup{dir: dir, node: dir, slash: slash}, nil
			}
			continue
		case "..":
			if dir == fsys.root {
				return lookup{}, ErrPathEscapes
			}
			dir = dir.parent
			if last {
				return lookup{dir: dir, node: dir, slash: slash}, nil
			}
			continue
		}
		child := dir.children[c]
		if child == nil {
			if last {
				return lookup{dir: dir, base: c, slash: slash}, nil
			}
			return lookup{}, syscall.ENOENT
		}
		if child.isSymlink() && (!last || follow || slash) {
			links++
			if links > maxSymlinks {
				return lookup{}, syscall.ELOOP
			}
			target := child.target
			if strings.HasPrefix(target, "/") {
				return lookup{}, ErrPathEscapes
			}
			if last && strings.HasSuffix(target, "/") {
				// The target of a final symlink ending in a slash
				// names a directory, as if the path ended in one.
				slash = true
			}
			comps, i = append(strings.Split(target, "/"), comps[i+1:]...), -1
			continue
		}
		if last {
			if slash && !child.isDir() {
				return lookup{}, syscall.ENOTDIR
			}
			return lookup{dir: dir, base: c, node: child, slash: slash}, nil
		}
		if !child.isDir() {
			return lookup{}, syscall.ENOTDIR
		}
		dir = child
	}
	return lookup{dir: dir, node: dir, slash: slash}, nil
}

func pathErr(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: name, Err: err}
}

func linkErr(op, oldname, newname string, err error) error {
	return &os.LinkError{Op: op, Old: oldname, New: newname, Err: err}
}

// touch sets a directory's mtime and ctime after a change of its entries.
func touch(n *inode) {
	t := now()
	n.mu.Lock()
	n.mtime, n.ctime = t, t
	n.mu.Unlock()
}

// OpenFile opens the named file with the flags of [os.OpenFile] (O_RDONLY,
// O_WRONLY, O_RDWR, O_APPEND, O_CREATE, O_EXCL, O_TRUNC); perm, less the
// umask, is the mode of a created file.
func (fsys *FS) OpenFile(name string, flag int, perm fs.FileMode) (*File, error) {
	const op = "openat"
	create := flag&os.O_CREATE != 0
	excl := create && flag&os.O_EXCL != 0
	if create {
		fsys.s.mu.Lock()
		defer fsys.s.mu.Unlock()
	} else {
		fsys.s.mu.RLock()
		defer fsys.s.mu.RUnlock()
	}
	l, err := fsys.walk(name, !excl)
	if err != nil {
		return nil, pathErr(op, name, err)
	}
	acc := flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
	n := l.node
	switch {
	case n == nil && !create:
		return nil, pathErr(op, name, syscall.ENOENT)
	case n == nil && l.slash:
		return nil, pathErr(op, name, syscall.ENOENT) // os.Root's answer

	case n == nil:
		n = fsys.s.newInode(perm & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky) &^ fsys.s.umask)
		inheritGroup(l.dir, n)
		n.nlink.Store(1)
		l.dir.children[l.base] = n
		touch(l.dir)
	case excl:
		return nil, pathErr(op, name, syscall.EEXIST)
	case n.isDir() && (create || acc != os.O_RDONLY || flag&os.O_TRUNC != 0):
		// open(2) refuses O_CREAT on an existing directory even
		// read-only, and any write access or O_TRUNC.
		return nil, pathErr(op, name, syscall.EISDIR)
	case n.isSymlink():
		// Only reachable with O_CREATE|O_EXCL, handled above.
		return nil, pathErr(op, name, syscall.ELOOP)
	case flag&os.O_TRUNC != 0 && n.isRegular():
		// open(2) truncates with new times, even an empty file.
		n.mu.Lock()
		n.data.truncate(&fsys.s.lim, 0)
		t := now()
		n.mtime, n.ctime = t, t
		n.mu.Unlock()
	}
	n.opens.Add(1)
	return &File{fsys: fsys, node: n, name: name, flag: flag}, nil
}

// Create creates or truncates the named file, like [os.Root.Create]: mode
// 0o666 less the umask, opened O_RDWR.
func (fsys *FS) Create(name string) (*File, error) {
	return fsys.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// Mkdir creates a directory with perm less the umask.
func (fsys *FS) Mkdir(name string, perm fs.FileMode) error {
	fsys.s.mu.Lock()
	defer fsys.s.mu.Unlock()
	return fsys.mkdirLocked(name, perm)
}

// Preconditions: s.mu is held for writing.
func (fsys *FS) mkdirLocked(name string, perm fs.FileMode) error {
	const op = "mkdirat"
	// mkdir(2) treats "a/" as "a": an existing entry, even a file or a
	// symlink, is EEXIST.
	l, err := fsys.walk(trimSlashes(name), false)
	if err != nil {
		return pathErr(op, name, err)
	}
	if l.node != nil {
		return pathErr(op, name, syscall.EEXIST)
	}
	fsys.newDir(l.dir, l.base, perm)
	return nil
}

// newDir makes the directory base in dir with mkdir(2)'s mode rules: perm
// less the umask, with the sticky bit but not set-gid, which only a
// set-gid parent passes on (with its group, as to every new inode).
// Preconditions: s.mu is held for writing; base does not exist in dir.
func (fsys *FS) newDir(dir *inode, base string, perm fs.FileMode) *inode {
	d := fsys.s.newInode(fs.ModeDir | perm&(fs.ModePerm|fs.ModeSticky)&^fsys.s.umask)
	if inheritGroup(dir, d) {
		d.mode |= fs.ModeSetgid
	}
	d.children = map[string]*inode{}
	d.nlink.Store(2)
	d.parent = dir
	dir.children[base] = d
	dir.nlink.Add(1)
	touch(dir)
	return d
}

// inheritGroup gives n, new in dir, dir's group if dir is set-gid (the
// BSD rule Linux applies to set-gid directories), and reports whether it
// did. n is not yet reachable, so its fields are set without its lock.
func inheritGroup(dir, n *inode) bool {
	dir.mu.RLock()
	defer dir.mu.RUnlock()
	if dir.mode&fs.ModeSetgid == 0 {
		return false
	}
	n.gid = dir.gid
	return true
}

// MkdirAll creates a directory and the parents it needs, like
// [os.Root.MkdirAll]; an existing directory is not an error. It resolves
// the path as os.Root does (symlinks on the way are followed, even to a
// directory it then creates), and fails as it does: EEXIST when the final
// name exists and is not a directory (or a symlink to one), ENOTDIR with
// Op "openat" for a file on the way.
func (fsys *FS) MkdirAll(name string, perm fs.FileMode) error {
	const op = "mkdirat"
	fsys.s.mu.Lock()
	defer fsys.s.mu.Unlock()
	parts, err := splitPath(name, nil, nil)
	if err != nil {
		return pathErr(op, name, err)
	}
	dir := fsys.root
	links := 0
	for i := 0; ; {
		c := parts[i]
		if c == ".." {
			// Drop the ".."s and as many components before them, and
			// start again from the root, as os.Root does.
			end := i + 1
			for end < len(parts) && parts[end] == ".." {
				end++
			}
			if end-i > i {
				return pathErr(op, name, ErrPathEscapes)
			}
			parts = slices.Delete(parts, i-(end-i), end)
			if len(parts) == 0 {
				parts = []string{"."}
			}
			i, dir = 0, fsys.root
			continue
		}
		if strings.IndexByte(c, 0) >= 0 { // as walk; os.Root's Op and path
			if i < len(parts)-1 {
				return pathErr("openat", strings.Join(parts[:i+1], "/"), syscall.EINVAL)
			}
			return pathErr(op, strings.Join(parts, "/"), syscall.EINVAL)
		}
		child := dir
		if c != "." {
			child = dir.children[c]
		}
		if i == len(parts)-1 {
			switch {
			case child == nil:
				fsys.newDir(dir, c, perm)
				return nil
			case child.isDir():
				return nil
			case child.isSymlink():
				// Like os.MkdirAll: fine if it resolves to a directory.
				l, err := fsys.walk(name, true)
				switch {
				case err == nil && l.node != nil && l.node.isDir():
					return nil
				case err == nil && l.node != nil:
					err = syscall.ENOTDIR
				case err == nil || errors.Is(err, fs.ErrNotExist):
					err = syscall.EEXIST
				default:
					err = pathErr("statat", name, err)
				}
				return pathErr(op, strings.Join(parts, "/"), err)
			}
			return pathErr(op, strings.Join(parts, "/"), syscall.EEXIST)
		}
		if child == nil {
			child = fsys.newDir(dir, c, perm)
		}
		if child.isSymlink() {
			links++
			if links > maxSymlinks {
				return pathErr(op, name, syscall.ELOOP)
			}
			if parts, err = splitPath(child.target, parts[:i], parts[i+1:]); err != nil {
				return pathErr(op, name, err)
			}
			continue
		}
		if !child.isDir() {
			return pathErr("openat", strings.Join(parts[:i+1], "/"), syscall.ENOTDIR) // os.Root's Op
		}
		dir = child
		i++
	}
}

// splitPath splits name into components between prefix and suffix the
// way os.Root does: runs of slashes are one separator, a trailing slash
// goes, and "." components go except a final one (unless a suffix
// follows).
func splitPath(name string, prefix, suffix []string) ([]string, error) {
	if name == "" {
		return nil, ErrEmptyPath
	}
	if name[0] == '/' {
		return nil, ErrPathEscapes
	}
	parts := slices.Clone(prefix)
	fields := strings.FieldsFunc(name, func(r rune) bool { return r == '/' })
	for k, c := range fields {
		if c == "." && (k < len(fields)-1 || len(suffix) > 0) {
			continue
		}
		parts = append(parts, c)
	}
	return append(parts, suffix...), nil
}

// unlinkLocked drops one link to n; a file's data goes with the last link
// once no handle has it open.
// Preconditions: s.mu is held for writing.
func (fsys *FS) unlinkLocked(dir *inode, base string, n *inode) {
	delete(dir.children, base)
	touch(dir)
	if n.isDir() {
		dir.nlink.Add(-1)
		n.nlink.Store(0)
		return
	}
	n.nlink.Add(-1)
	n.mu.Lock()
	n.ctime = now()
	n.mu.Unlock()
	fsys.maybeRelease(n)
}

// maybeRelease frees a file's data once it has no links and no handles.
// Preconditions: s.mu is held for writing.
func (fsys *FS) maybeRelease(n *inode) {
	if n.nlink.Load() > 0 || n.opens.Load() > 0 || !n.isRegular() {
		return
	}
	n.mu.Lock()
	if !n.released {
		n.released = true
		n.data.release(&fsys.s.lim)
	}
	n.mu.Unlock()
}

// Remove removes a file, symlink or empty directory.
func (fsys *FS) Remove(name string) error {
	const op = "removeat"
	fsys.s.mu.Lock()
	defer fsys.s.mu.Unlock()
	l, err := fsys.walk(name, false)
	if err != nil {
		return pathErr(op, name, err)
	}
	switch {
	case l.base == "":
		return pathErr(op, name, syscall.EINVAL)
	case l.node == nil:
		return pathErr(op, name, syscall.ENOENT)
	case l.node.isDir() && len(l.node.children) > 0:
		return pathErr(op, name, syscall.ENOTEMPTY)
	case l.slash && !l.node.isDir():
		return pathErr(op, name, syscall.ENOTDIR)
	}
	fsys.unlinkLocked(l.dir, l.base, l.node)
	return nil
}

// RemoveAll removes name and everything under it, like [os.Root.RemoveAll]:
// a missing name is not an error. Open files keep their data until closed.
func (fsys *FS) RemoveAll(name string) error {
	const op = "RemoveAll" // os.Root's Op
	// Like os.Root: trailing slashes go, and "." is EINVAL.
	name = strings.TrimRight(name, "/")
	if name == "." || strings.HasSuffix(name, "/.") {
		return pathErr(op, name, syscall.EINVAL)
	}
	fsys.s.mu.Lock()
	defer fsys.s.mu.Unlock()
	l, err := fsys.walk(name, false)
	if errors.Is(err, syscall.ENOENT) {
		return nil
	}
	if err != nil {
		return pathErr(op, name, err)
	}
	if l.base == "" {
		return pathErr(op, name, syscall.EINVAL)
	}
	if l.node == nil {
		return nil
	}
	fsys.removeTreeLocked(l.dir, l.base, l.node)
	return nil
}

// Preconditions: s.mu is held for writing.
func (fsys *FS) removeTreeLocked(dir *inode, base string, n *inode) {
	if n.isDir() {
		for name, c := range n.children {
			fsys.removeTreeLocked(n, name, c)
		}
	}
	fsys.unlinkLocked(dir, base, n)
}

// walkPair resolves the two names of a rename or link, as os.Root does:
// both parents before either final component is looked at; the source must
// exist. Errors are *os.LinkError for op.
//
// Preconditions: fsys.s.mu is held.
func (fsys *FS) walkPair(op, oldname, newname string) (src, dst lookup, err error) {
	src, err = fsys.walk(oldname, false)
	if err == syscall.EINVAL && nulInFinal(oldname) {
		// os.Root hands the old final name to renameat(2) or linkat(2)
		// unresolved, after resolving the new name: its errors first.
		// A link's new name ending in a slash must exist (ENOENT), a
		// rename's may be a directory it creates.
		dst, err = fsys.walk(newname, false)
		switch {
		case err != nil:
		case op == "linkat" && dst.slash && dst.node == nil:
			err = syscall.ENOENT
		default:
			err = syscall.EINVAL
		}
		return src, dst, linkErr(op, oldname, newname, err)
	}
	if err == nil && src.slash && src.node == nil {
		err = syscall.ENOENT // os.Root resolves a name ending in a slash at once
	}
	if err != nil {
		return src, dst, linkErr(op, oldname, newname, err)
	}
	dst, err = fsys.walk(newname, false)
	if err != nil {
		return src, dst, linkErr(op, oldname, newname, err)
	}
	if src.node == nil {
		return src, dst, linkErr(op, oldname, newname, syscall.ENOENT)
	}
	return src, dst, nil
}

// nulInFinal reports whether only the final component of name, which
// does not end in a slash, holds a NUL byte.
func nulInFinal(name string) bool {
	i := strings.LastIndexByte(name, '/')
	return !strings.HasSuffix(name, "/") && strings.IndexByte(name[i+1:], 0) >= 0 && strings.IndexByte(name[:i+1], 0) < 0
}

// finalName is the final component of a lookup as os.Root sees it.
func finalName(l lookup) string {
	if l.base == "" {
		return "."
	}
	return l.base
}

// Rename renames (moves) oldname to newname atomically, with the rules of
// [os.Root.Rename]: a file or symlink replaces a file or symlink, an
// existing directory is never replaced (EEXIST, as os.Rename checks), and
// a directory cannot move into itself (EINVAL).
func (fsys *FS) Rename(oldname, newname string) error {
	const op = "renameat"
	fsys.s.mu.Lock()
	defer fsys.s.mu.Unlock()
	src, dst, err := fsys.walkPair(op, oldname, newname)
	if err != nil {
		return err
	}
	n := src.node
	if (src.slash || dst.slash) && !n.isDir() {
		return linkErr(op, oldname, newname, syscall.ENOTDIR)
	}
	if old := dst.node; old != nil && old.isDir() && (old != n || finalName(src) == finalName(dst)) {
		// Like os.Rename, which checks this before rename(2) for
		// portability: a directory is never replaced (unless it is the
		// source under another final name, as os.Root checks).
		return linkErr(op, oldname, newname, syscall.EEXIST)
	}
	if src.base == "" || dst.base == "" {
		return linkErr(op, oldname, newname, syscall.EBUSY)
	}
	if n.isDir() {
		for d := dst.dir; ; d = d.parent {
			if d == n {
				return linkErr(op, oldname, newname, syscall.EINVAL)
			}
			if d == d.parent || d == fsys.root {
				break
			}
		}
	}
	if old := dst.node; old != nil {
		if old == n {
			return nil // rename(2): the same file, nothing happens
		}
		if n.isDir() {
			return linkErr(op, oldname, newname, syscall.ENOTDIR)
		}
		fsys.unlinkLocked(dst.dir, dst.base, old)
	}
	delete(src.dir.children, src.base)
	dst.dir.children[dst.base] = n
	if n.isDir() {
		src.dir.nlink.Add(-1)
		dst.dir.nlink.Add(1)
		n.parent = dst.dir
	}
	touch(src.dir)
	touch(dst.dir)
	n.mu.Lock()
	n.ctime = now()
	n.mu.Unlock()
	return nil
}

// Symlink creates newname as a symbolic link to oldname, which is stored
// as given. Lookups follow relative targets inside the filesystem; an
// absolute target, or one leaving the root, fails like os.Root does.
func (fsys *FS) Symlink(oldname, newname string) error {
	const op = "symlinkat"
	fsys.s.mu.Lock()
	defer fsys.s.mu.Unlock()
	l, err := fsys.walk(newname, false)
	if err != nil {
		return linkErr(op, oldname, newname, err)
	}
	if l.slash && l.node == nil {
		return linkErr(op, oldname, newname, syscall.ENOENT) // os.Root looks at "name/" first
	}
	if strings.IndexByte(oldname, 0) >= 0 {
		// symlinkat(2) cannot take the target; os.Root calls it once
		// newname's parent (and trailing slash) is resolved.
		return linkErr(op, oldname, newname, syscall.EINVAL)
	}
	if l.node != nil {
		return linkErr(op, oldname, newname, syscall.EEXIST)
	}
	if oldname == "" {
		return linkErr(op, oldname, newname, syscall.ENOENT)
	}
	n := fsys.s.newInode(fs.ModeSymlink | 0o777)
	inheritGroup(l.dir, n)
	n.target = oldname
	n.nlink.Store(1)
	l.dir.children[l.base] = n
	touch(l.dir)
	return nil
}

// Link creates newname as a hard link to oldname (not following a final
// symlink, like link(2)). Directories cannot be linked (EPERM).
func (fsys *FS) Link(oldname, newname string) error {
	const op = "linkat"
	fsys.s.mu.Lock()
	defer fsys.s.mu.Unlock()
	src, dst, err := fsys.walkPair(op, oldname, newname)
	if err != nil {
		return err
	}
	switch {
	case dst.node != nil:
		return linkErr(op, oldname, newname, syscall.EEXIST)
	case dst.slash:
		return linkErr(op, oldname, newname, syscall.ENOENT)
	case src.node.isDir():
		return linkErr(op, oldname, newname, syscall.EPERM)
	}
	dst.dir.children[dst.base] = src.node
	src.node.nlink.Add(1)
	touch(dst.dir)
	src.node.mu.Lock()
	src.node.ctime = now()
	src.node.mu.Unlock()
	return nil
}

// node resolves name for a metadata operation.
func (fsys *FS) node(op, name string, follow bool) (*inode, error) {
	fsys.s.mu.RLock()
	defer fsys.s.mu.RUnlock()
	l, err := fsys.walk(name, follow)
	if err != nil {
		return nil, pathErr(op, name, err)
	}
	if l.node == nil {
		return nil, pathErr(op, name, syscall.ENOENT)
	}
	return l.node, nil
}

// Chmod sets the permission bits (and setuid, setgid, sticky) of name,
// following symlinks.
func (fsys *FS) Chmod(name string, mode fs.FileMode) error {
	n, err := fsys.node("chmodat", name, true)
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.mode = mode & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	n.ctime = now()
	n.mu.Unlock()
	return nil
}

func (fsys *FS) chown(op, name string, uid, gid int, follow bool) error {
	n, err := fsys.node(op, name, follow)
	if err != nil {
		return err
	}
	n.mu.Lock()
	if uid != -1 {
		n.uid = uid
	}
	if gid != -1 {
		n.gid = gid
	}
	n.ctime = now()
	n.mu.Unlock()
	return nil
}

// Chown sets the owner of name, following symlinks; -1 keeps a value.
// Ownership is stored, not enforced.
func (fsys *FS) Chown(name string, uid, gid int) error {
	return fsys.chown("chownat", name, uid, gid, true)
}

// Lchown is Chown on a symlink itself.
func (fsys *FS) Lchown(name string, uid, gid int) error {
	return fsys.chown("lchownat", name, uid, gid, false)
}

// Chtimes sets the access and modification times of name, following
// symlinks; a zero time keeps the current value, as in [os.Chtimes].
func (fsys *FS) Chtimes(name string, atime, mtime time.Time) error {
	n, err := fsys.node("chtimesat", name, true)
	if err != nil {
		return err
	}
	n.setTimes(atime, mtime)
	return nil
}

// setTimes sets the times a Chtimes call gives; a zero time keeps the
// current value, and ctime is now.
func (n *inode) setTimes(atime, mtime time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !atime.IsZero() {
		n.atime = atime.UnixNano()
	}
	if !mtime.IsZero() {
		n.mtime = mtime.UnixNano()
	}
	n.ctime = now()
}

// Truncate sets the size of the named file: growth makes a hole, which
// costs no memory; shrinking frees what the cut bytes held.
func (fsys *FS) Truncate(name string, size int64) error {
	const op = "truncate"
	if size < 0 {
		return pathErr(op, name, syscall.EINVAL) // truncate(2) checks it first
	}
	n, err := fsys.node(op, name, true)
	if err != nil {
		return err
	}
	if n.isDir() {
		return pathErr(op, name, syscall.EISDIR)
	}
	n.mu.Lock()
	// truncate(2) to the same size leaves the times alone on tmpfs,
	// unless the file holds data pages (which it then truncates).
	if size != n.data.size || n.data.holdsData() {
		t := now()
		n.mtime, n.ctime = t, t
	}
	n.data.truncate(&fsys.s.lim, size)
	n.mu.Unlock()
	return nil
}

// Readlink returns the target of the named symlink, as stored. Unlike
// ReadLink it takes os.Root-style paths.
func (fsys *FS) Readlink(name string) (string, error) {
	const op = "readlinkat"
	n, err := fsys.node(op, name, false)
	if err != nil {
		return "", err
	}
	if !n.isSymlink() {
		return "", pathErr(op, name, syscall.EINVAL)
	}
	return n.target, nil
}

// WriteFile writes data to the named file, creating it with perm less the
// umask or truncating it, like [os.WriteFile].
func (fsys *FS) WriteFile(name string, data []byte, perm fs.FileMode) error {
	f, err := fsys.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err1 := f.Close(); err == nil {
		err = err1
	}
	return err
}

// trimSlashes drops trailing slashes, keeping a lone "/".
func trimSlashes(name string) string {
	for len(name) > 1 && name[len(name)-1] == '/' {
		name = name[:len(name)-1]
	}
	return name
}
