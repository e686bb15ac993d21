package memfs

import (
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// The read side: io/fs.
var (
	_ fs.FS         = (*FS)(nil)
	_ fs.ReadFileFS = (*FS)(nil)
	_ fs.ReadDirFS  = (*FS)(nil)
	_ fs.StatFS     = (*FS)(nil)
	_ fs.SubFS      = (*FS)(nil)
	_ fs.ReadLinkFS = (*FS)(nil)

	_ fs.ReadDirFile = (*File)(nil)
	_ io.ReaderAt    = (*File)(nil)
	_ io.WriterAt    = (*File)(nil)
	_ io.Seeker      = (*File)(nil)
	_ io.ReaderFrom  = (*File)(nil)
	_ io.WriterTo    = (*File)(nil)
)

// Stat is the [fs.FileInfo.Sys] of memfs files: what stat(2) would add.
type Stat struct {
	Ino                 uint64
	Nlink               int
	Uid, Gid            int
	Atime, Mtime, Ctime time.Time
	// Extents is the number of extents of a regular file's data.
	Extents int
}

type fileInfo struct {
	name string
	size int64
	mode fs.FileMode
	sys  Stat
}

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return fi.size }
func (fi *fileInfo) Mode() fs.FileMode  { return fi.mode }
func (fi *fileInfo) ModTime() time.Time { return fi.sys.Mtime }
func (fi *fileInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi *fileInfo) Sys() any           { return &fi.sys }
func (fi *fileInfo) String() string     { return fs.FormatFileInfo(fi) }

// statNode describes n under the name name.
func statNode(n *inode, name string) *fileInfo {
	n.mu.RLock()
	defer n.mu.RUnlock()
	fi := &fileInfo{name: name, mode: n.typ | n.mode, sys: Stat{
		Ino: n.ino, Nlink: int(n.nlink.Load()), Uid: n.uid, Gid: n.gid,
		Atime: time.Unix(0, n.atime), Mtime: time.Unix(0, n.mtime), Ctime: time.Unix(0, n.ctime),
	}}
	switch {
	case n.isRegular():
		fi.size = n.data.size
		fi.sys.Extents = n.data.extents()
	case n.isSymlink():
		fi.size = int64(len(n.target))
	}
	return fi
}

type dirEntry struct {
	name string
	node *inode
}

func (d dirEntry) Name() string               { return d.name }
func (d dirEntry) IsDir() bool                { return d.node.isDir() }
func (d dirEntry) Type() fs.FileMode          { return d.node.typ }
func (d dirEntry) Info() (fs.FileInfo, error) { return statNode(d.node, d.name), nil }
func (d dirEntry) String() string             { return fs.FormatDirEntry(d) }

// resolve looks up an io/fs path.
func (fsys *FS) resolve(op, name string, follow bool) (*inode, error) {
	if !fs.ValidPath(name) {
		return nil, pathErr(op, name, fs.ErrInvalid)
	}
	return fsys.node(op, name, follow)
}

// Open opens the named file or directory for reading (io/fs).
func (fsys *FS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, pathErr("open", name, fs.ErrInvalid)
	}
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Stat describes the named file, following symlinks. Like os.Root's, it
// takes "..", "." and a trailing slash.
func (fsys *FS) Stat(name string) (fs.FileInfo, error) {
	n, err := fsys.node("statat", name, true)
	if err != nil {
		return nil, err
	}
	return statNode(n, baseName(name)), nil
}

// Lstat describes the named file without following a final symlink. Like
// os.Root's, it takes "..", "." and a trailing slash.
func (fsys *FS) Lstat(name string) (fs.FileInfo, error) {
	n, err := fsys.node("statat", name, false)
	if err != nil {
		return nil, err
	}
	return statNode(n, baseName(name)), nil
}

// ReadLink returns the target of the named symlink (io/fs.ReadLinkFS).
func (fsys *FS) ReadLink(name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", pathErr("readlinkat", name, fs.ErrInvalid)
	}
	return fsys.Readlink(name)
}

// ReadFile returns the content of the named file in a new slice.
func (fsys *FS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, pathErr("open", name, fs.ErrInvalid)
	}
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if f.node.isDir() {
		return nil, pathErr("read", name, syscall.EISDIR)
	}
	f.node.mu.RLock()
	size := f.node.data.size
	f.node.mu.RUnlock()
	buf := make([]byte, size)
	n, err := f.ReadAt(buf, 0)
	if err == io.EOF {
		err = nil
	}
	return buf[:n], err
}

// ReadDir returns the named directory's entries sorted by name.
func (fsys *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := fsys.resolve("readdirent", name, true)
	if err != nil {
		return nil, err
	}
	if !n.isDir() {
		return nil, pathErr("readdirent", name, syscall.ENOTDIR)
	}
	return fsys.list(n), nil
}

// Sub returns a view of the subtree at dir, sharing the filesystem: its
// paths are relative to dir, and ".." cannot leave it.
func (fsys *FS) Sub(dir string) (fs.FS, error) {
	n, err := fsys.resolve("sub", dir, true)
	if err != nil {
		return nil, err
	}
	if !n.isDir() {
		return nil, pathErr("sub", dir, syscall.ENOTDIR)
	}
	return &FS{s: fsys.s, root: n}, nil
}

// SubTree is Sub returning the *FS, with the write methods.
func (fsys *FS) SubTree(dir string) (*FS, error) {
	sub, err := fsys.Sub(dir)
	if err != nil {
		return nil, err
	}
	return sub.(*FS), nil
}
