//go:build amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64 || mips64 || mips64le

package fuse

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"syscall"
	"time"

	fusefs "github.com/hanwen/go-fuse/v2/fs"
	gofuse "github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/memfs"
)

// path is the node's memfs path ("." for the root). A node whose last
// link is gone has none that memfs knows; requests on it fail with ENOENT
// unless they come with an open handle.
func (n *node) path() string {
	p := n.Path(nil)
	if p == "" {
		return "."
	}
	return p
}

// child is the memfs path of the entry name in directory n.
func (n *node) child(name string) string {
	if p := n.Path(nil); p != "" {
		return path.Join(p, name)
	}
	return name
}

// toErrno is the errno a memfs error stands for. memfs wraps the errno
// Linux would give; the io/fs sentinels cover the rest.
func toErrno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return syscall.ENOENT
	case errors.Is(err, fs.ErrExist):
		return syscall.EEXIST
	case errors.Is(err, fs.ErrPermission):
		return syscall.EACCES
	case errors.Is(err, fs.ErrInvalid):
		return syscall.EINVAL
	}
	// memfs.ErrClosed, io.ErrUnexpectedEOF from a shrunk host file and
	// anything unforeseen: the data could not be had.
	return syscall.EIO
}

func statOf(fi fs.FileInfo) *memfs.Stat { return fi.Sys().(*memfs.Stat) }

// unixMode is the st_mode of an fs.FileMode.
func unixMode(m fs.FileMode) uint32 {
	mode := uint32(m.Perm())
	switch {
	case m.IsDir():
		mode |= syscall.S_IFDIR
	case m&fs.ModeSymlink != 0:
		mode |= syscall.S_IFLNK
	default:
		mode |= syscall.S_IFREG
	}
	if m&fs.ModeSetuid != 0 {
		mode |= syscall.S_ISUID
	}
	if m&fs.ModeSetgid != 0 {
		mode |= syscall.S_ISGID
	}
	if m&fs.ModeSticky != 0 {
		mode |= syscall.S_ISVTX
	}
	return mode
}

// fileMode is the fs.FileMode of the permission bits of a st_mode.
func fileMode(mode uint32) fs.FileMode {
	m := fs.FileMode(mode & 0o777)
	if mode&syscall.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if mode&syscall.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if mode&syscall.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// fillAttr describes fi to the kernel. st_blocks is the size in 512-byte
// units: memfs does not say how much of a file is holes.
func fillAttr(fi fs.FileInfo, a *gofuse.Attr) {
	st := statOf(fi)
	a.Ino = st.Ino
	a.Size = uint64(fi.Size())
	a.Blocks = (a.Size + 511) / 512
	a.Blksize = 4096
	a.Mode = unixMode(fi.Mode())
	a.Nlink = uint32(st.Nlink)
	a.Uid = uint32(st.Uid)
	a.Gid = uint32(st.Gid)
	atime, mtime, ctime := st.Atime, st.Mtime, st.Ctime
	a.SetTimes(&atime, &mtime, &ctime)
}

// newChild makes the go-fuse inode for the memfs file fi (go-fuse reuses
// the inode of a known inode number: hard links share one).
func (n *node) newChild(ctx context.Context, fi fs.FileInfo, out *gofuse.EntryOut) *fusefs.Inode {
	fillAttr(fi, &out.Attr)
	st := fusefs.StableAttr{Mode: out.Attr.Mode & syscall.S_IFMT, Ino: out.Attr.Ino}
	return n.NewInode(ctx, &node{srv: n.srv}, st)
}

// entry looks up the memfs path p and makes its inode.
func (n *node) entry(ctx context.Context, p string, out *gofuse.EntryOut) (*fusefs.Inode, syscall.Errno) {
	fi, err := n.srv.fsys.Lstat(p)
	if err != nil {
		return nil, toErrno(err)
	}
	return n.newChild(ctx, fi, out), 0
}

func (n *node) Lookup(ctx context.Context, name string, out *gofuse.EntryOut) (*fusefs.Inode, syscall.Errno) {
	n.srv.ns.RLock()
	defer n.srv.ns.RUnlock()
	return n.entry(ctx, n.child(name), out)
}

func (n *node) Getattr(ctx context.Context, fh fusefs.FileHandle, out *gofuse.AttrOut) syscall.Errno {
	var fi fs.FileInfo
	var err error
	if h := handleOf(fh); h != nil {
		fi, err = h.f.Stat()
	} else {
		n.srv.ns.RLock()
		fi, err = n.srv.fsys.Lstat(n.path())
		n.srv.ns.RUnlock()
	}
	if err != nil {
		return toErrno(err)
	}
	fillAttr(fi, &out.Attr)
	return 0
}

func (n *node) Setattr(ctx context.Context, fh fusefs.FileHandle, in *gofuse.SetAttrIn, out *gofuse.AttrOut) syscall.Errno {
	if _, ok := in.GetSize(); ok {
		n.srv.awaitChange(n.StableAttr().Ino, 0, true)
	}
	n.srv.ns.RLock()
	defer n.srv.ns.RUnlock()
	fsys := n.srv.fsys
	p := n.path()
	h := handleOf(fh)
	if mode, ok := in.GetMode(); ok {
		if err := fsys.Chmod(p, fileMode(mode)); err != nil {
			return toErrno(err)
		}
	}
	uid, uok := in.GetUID()
	gid, gok := in.GetGID()
	if uok || gok {
		u, g := -1, -1
		if uok {
			u = int(uid)
		}
		if gok {
			g = int(gid)
		}
		if err := fsys.Lchown(p, u, g); err != nil {
			return toErrno(err)
		}
	}
	if size, ok := in.GetSize(); ok {
		if size > 1<<63-1 {
			return syscall.EFBIG
		}
		errno := n.srv.changeSize(n.StableAttr().Ino, func() error {
			if h != nil {
				return h.f.Truncate(int64(size))
			}
			return fsys.Truncate(p, int64(size))
		})
		if errno != 0 {
			return errno
		}
	}
	atime, aok := in.GetATime()
	mtime, mok := in.GetMTime()
	if aok || mok {
		// A zero time keeps the value: that is UTIME_OMIT.
		if !aok {
			atime = time.Time{}
		}
		if !mok {
			mtime = time.Time{}
		}
		if err := fsys.Lchtimes(p, atime, mtime); err != nil {
			return toErrno(err)
		}
	}
	var fi fs.FileInfo
	var err error
	if h != nil {
		fi, err = h.f.Stat()
	} else {
		fi, err = fsys.Lstat(p)
	}
	if err != nil {
		return toErrno(err)
	}
	fillAttr(fi, &out.Attr)
	return 0
}

// settle gives a new file or directory the mode the kernel asked for (the
// caller's umask is applied already) and the caller's owner, with the
// group of a setgid parent directory, which a new directory inherits the
// setgid bit of, as on Linux.
func (n *node) settle(ctx context.Context, p string, mode uint32, dir bool) error {
	fsys := n.srv.fsys
	m := fileMode(mode)
	uid, gid := -1, -1
	if c, ok := ctx.(*gofuse.Context); ok {
		uid, gid = int(c.Uid), int(c.Gid)
	}
	if parent, err := fsys.Lstat(n.path()); err == nil && parent.Mode()&fs.ModeSetgid != 0 {
		gid = statOf(parent).Gid
		if dir {
			m |= fs.ModeSetgid
		}
	}
	if err := fsys.Chmod(p, m); err != nil {
		return err
	}
	return fsys.Lchown(p, uid, gid)
}

func (n *node) Create(ctx context.Context, name string, flags uint32, mode uint32, out *gofuse.EntryOut) (*fusefs.Inode, fusefs.FileHandle, uint32, syscall.Errno) {
	n.srv.ns.RLock()
	defer n.srv.ns.RUnlock()
	p := n.child(name)
	access := int(flags) & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR | os.O_TRUNC)
	f, err := n.srv.fsys.OpenFile(p, access|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) && flags&syscall.O_EXCL == 0 {
		// Created by another request since the kernel's lookup: an
		// open of an existing file.
		fi, err := n.srv.fsys.Lstat(p)
		if err != nil {
			return nil, nil, 0, toErrno(err)
		}
		fh, errno := n.srv.openFile(p, statOf(fi).Ino, access)
		if errno != 0 {
			return nil, nil, 0, errno
		}
		return n.newChild(ctx, fi, out), fh, fuseOpenFlags, 0
	}
	if err != nil {
		return nil, nil, 0, toErrno(err)
	}
	if err := n.settle(ctx, p, mode, false); err != nil {
		f.Close()
		return nil, nil, 0, toErrno(err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, 0, toErrno(err)
	}
	return n.newChild(ctx, fi, out), n.srv.newCreatedHandle(f, statOf(fi).Ino), fuseOpenFlags, 0
}

func (n *node) Mknod(ctx context.Context, name string, mode uint32, dev uint32, out *gofuse.EntryOut) (*fusefs.Inode, syscall.Errno) {
	if mode&syscall.S_IFMT != syscall.S_IFREG {
		// memfs has no devices, FIFOs or sockets: mknod(2)'s EPERM
		// for a type the filesystem does not support.
		return nil, syscall.EPERM
	}
	n.srv.ns.RLock()
	defer n.srv.ns.RUnlock()
	p := n.child(name)
	f, err := n.srv.fsys.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, toErrno(err)
	}
	f.Close()
	if err := n.settle(ctx, p, mode, false); err != nil {
		return nil, toErrno(err)
	}
	return n.entry(ctx, p, out)
}

func (n *node) Mkdir(ctx context.Context, name string, mode uint32, out *gofuse.EntryOut) (*fusefs.Inode, syscall.Errno) {
	n.srv.ns.RLock()
	defer n.srv.ns.RUnlock()
	p := n.child(name)
	if err := n.srv.fsys.Mkdir(p, 0o700); err != nil {
		return nil, toErrno(err)
	}
	if err := n.settle(ctx, p, mode, true); err != nil {
		return nil, toErrno(err)
	}
	return n.entry(ctx, p, out)
}

func (n *node) Symlink(ctx context.Context, target, name string, out *gofuse.EntryOut) (*fusefs.Inode, syscall.Errno) {
	n.srv.ns.RLock()
	defer n.srv.ns.RUnlock()
	p := n.child(name)
	if err := n.srv.fsys.Symlink(target, p); err != nil {
		return nil, toErrno(err)
	}
	if c, ok := ctx.(*gofuse.Context); ok {
		gid := int(c.Gid)
		if parent, err := n.srv.fsys.Lstat(n.path()); err == nil && parent.Mode()&fs.ModeSetgid != 0 {
			gid = statOf(parent).Gid
		}
		if err := n.srv.fsys.Lchown(p, int(c.Uid), gid); err != nil {
			return nil, toErrno(err)
		}
	}
	return n.entry(ctx, p, out)
}

func (n *node) Readlink(ctx context.Context) ([]byte, syscall.Errno) {
	n.srv.ns.RLock()
	defer n.srv.ns.RUnlock()
	target, err := n.srv.fsys.Readlink(n.path())
	if err != nil {
		return nil, toErrno(err)
	}
	return []byte(target), 0
}

func (n *node) Link(ctx context.Context, target fusefs.InodeEmbedder, name string, out *gofuse.EntryOut) (*fusefs.Inode, syscall.Errno) {
	n.srv.ns.RLock()
	defer n.srv.ns.RUnlock()
	t, ok := target.(*node)
	if !ok {
		return nil, syscall.EXDEV
	}
	p := n.child(name)
	if err := n.srv.fsys.Link(t.path(), p); err != nil {
		return nil, toErrno(err)
	}
	return n.entry(ctx, p, out)
}

// remove unlinks the entry name; the extended attributes of a file whose
// last link goes stay while the kernel knows the inode (a process may
// hold it open) and go when it forgets it.
func (n *node) remove(name string) syscall.Errno {
	n.srv.ns.RLock()
	defer n.srv.ns.RUnlock()
	p := n.child(name)
	fi, err := n.srv.fsys.Lstat(p)
	if err != nil {
		return toErrno(err)
	}
	if err := n.srv.fsys.Remove(p); err != nil {
		return toErrno(err)
	}
	if st := statOf(fi); st.Nlink <= 1 || fi.IsDir() {
		n.srv.xattrs.unlinked(st.Ino)
	}
	return 0
}

func (n *node) Unlink(ctx context.Context, name string) syscall.Errno { return n.remove(name) }
func (n *node) Rmdir(ctx context.Context, name string) syscall.Errno  { return n.remove(name) }

func (n *node) Rename(ctx context.Context, name string, newParent fusefs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	np, ok := newParent.(*node)
	if !ok {
		return syscall.EXDEV
	}
	if flags&^(unix.RENAME_NOREPLACE|unix.RENAME_EXCHANGE) != 0 {
		// RENAME_WHITEOUT is for overlay filesystems' own use.
		return syscall.EINVAL
	}
	var mflags memfs.RenameFlags
	if flags&unix.RENAME_NOREPLACE != 0 {
		mflags |= memfs.RenameNoReplace
	}
	if flags&unix.RENAME_EXCHANGE != 0 {
		mflags |= memfs.RenameExchange
	}
	s := n.srv
	s.ns.Lock()
	defer s.ns.Unlock()
	oldPath, newPath := n.child(name), np.child(newName)
	dst, dstErr := s.fsys.Lstat(newPath)
	if err := s.fsys.Rename2(oldPath, newPath, mflags); err != nil {
		return toErrno(err)
	}
	if dstErr == nil && mflags&memfs.RenameExchange == 0 && (dst.IsDir() || statOf(dst).Nlink <= 1) {
		if after, err := s.fsys.Lstat(newPath); err != nil || statOf(after).Ino != statOf(dst).Ino {
			// The target's last link is gone (not a rename between
			// two links of one file, which changes nothing).
			s.xattrs.unlinked(statOf(dst).Ino)
		}
	}
	return 0
}

// OpendirHandle lists the directory once, at opendir: the listing's
// offsets stay valid however the directory changes while it is read.
func (n *node) OpendirHandle(ctx context.Context, flags uint32) (fusefs.FileHandle, uint32, syscall.Errno) {
	n.srv.ns.RLock()
	defer n.srv.ns.RUnlock()
	p := n.path()
	self, err := n.srv.fsys.Lstat(p)
	if err != nil {
		return nil, 0, toErrno(err)
	}
	parent, err := n.srv.fsys.Lstat(path.Join(p, ".."))
	if err != nil {
		parent = self
	}
	entries, err := n.srv.fsys.ReadDir(p)
	if err != nil {
		return nil, 0, toErrno(err)
	}
	list := make([]gofuse.DirEntry, 0, len(entries)+2)
	list = append(list,
		gofuse.DirEntry{Name: ".", Mode: syscall.S_IFDIR, Ino: statOf(self).Ino, Off: 1},
		gofuse.DirEntry{Name: "..", Mode: syscall.S_IFDIR, Ino: statOf(parent).Ino, Off: 2})
	for i, e := range entries {
		fi, err := e.Info()
		if err != nil {
			continue
		}
		list = append(list, gofuse.DirEntry{Name: e.Name(), Mode: unixMode(fi.Mode()) & syscall.S_IFMT, Ino: statOf(fi).Ino, Off: uint64(i + 3)})
	}
	return &dirHandle{entries: list}, 0, 0
}

// Readdir serves a directory stream where no opendir handle exists.
func (n *node) Readdir(ctx context.Context) (fusefs.DirStream, syscall.Errno) {
	h, _, errno := n.OpendirHandle(ctx, 0)
	if errno != 0 {
		return nil, errno
	}
	return fusefs.NewListDirStream(h.(*dirHandle).entries), 0
}

// dirHandle is an open directory: the listing made at opendir and the
// position in it (entry i has offset i+1).
type dirHandle struct {
	entries []gofuse.DirEntry
	pos     int
}

var (
	_ fusefs.FileReaddirenter = (*dirHandle)(nil)
	_ fusefs.FileSeekdirer    = (*dirHandle)(nil)
)

func (d *dirHandle) Readdirent(ctx context.Context) (*gofuse.DirEntry, syscall.Errno) {
	if d.pos >= len(d.entries) {
		return nil, 0
	}
	e := d.entries[d.pos]
	d.pos++
	return &e, 0
}

func (d *dirHandle) Seekdir(ctx context.Context, off uint64) syscall.Errno {
	d.pos = int(min(off, uint64(len(d.entries))))
	return 0
}

func (n *node) Statfs(ctx context.Context, out *gofuse.StatfsOut) syscall.Errno {
	const bsize = 4096
	u := n.srv.fsys.Usage()
	total := u.Limit
	if total == 0 {
		var si unix.Sysinfo_t
		if err := unix.Sysinfo(&si); err == nil {
			total = int64(si.Totalram) * int64(si.Unit)
		}
	}
	free := max(total-u.Heap, 0)
	out.Bsize = bsize
	out.Frsize = bsize
	out.Blocks = uint64(total / bsize)
	out.Bfree = uint64(free / bsize)
	out.Bavail = out.Bfree
	// memfs has no inode table: report a large, fixed count.
	out.Files = 1 << 32
	out.Ffree = 1 << 32
	out.NameLen = 255
	return 0
}

// fuseOpenFlags keeps the kernel's page cache across opens: every change
// comes through the mount, which the kernel sees. And no FLUSH request at
// every close(2): writes reach memfs when written (no writeback cache)
// and there are no locks to drop, so Flush has nothing to do, and a
// round trip less per open file counts when a program reads many small
// files.
const fuseOpenFlags = gofuse.FOPEN_KEEP_CACHE | gofuse.FOPEN_NOFLUSH

func (n *node) Open(ctx context.Context, flags uint32) (fusefs.FileHandle, uint32, syscall.Errno) {
	// The kernel applies O_APPEND itself (it sends the end as the
	// offset) and has done O_CREAT and O_EXCL.
	access := int(flags) & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR | os.O_TRUNC)
	n.srv.awaitChange(n.StableAttr().Ino, access, false)
	n.srv.ns.RLock()
	defer n.srv.ns.RUnlock()
	fh, errno := n.srv.openFile(n.path(), n.StableAttr().Ino, access)
	if errno != 0 {
		return nil, 0, errno
	}
	return fh, fuseOpenFlags, 0
}

func (n *node) Read(ctx context.Context, fh fusefs.FileHandle, dest []byte, off int64) (gofuse.ReadResult, syscall.Errno) {
	h := handleOf(fh)
	if h == nil {
		return nil, syscall.EBADF
	}
	n.srv.reads.Add(1)
	return h.read(dest, off)
}

func (n *node) Write(ctx context.Context, fh fusefs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	h := handleOf(fh)
	if h == nil {
		return 0, syscall.EBADF
	}
	k, err := h.f.WriteAt(data, off)
	if err != nil && k == 0 {
		return 0, toErrno(err)
	}
	return uint32(k), 0
}

func (n *node) Flush(ctx context.Context, fh fusefs.FileHandle) syscall.Errno { return 0 }

func (n *node) Fsync(ctx context.Context, fh fusefs.FileHandle, flags uint32) syscall.Errno {
	if h := handleOf(fh); h != nil {
		return toErrno(h.f.Sync())
	}
	return 0
}

func (n *node) Release(ctx context.Context, fh fusefs.FileHandle) syscall.Errno {
	return n.srv.releaseHandle(fh)
}

func (n *node) Allocate(ctx context.Context, fh fusefs.FileHandle, off uint64, size uint64, mode uint32) syscall.Errno {
	h := handleOf(fh)
	if h == nil {
		return syscall.EBADF
	}
	// The kernel has checked the range (EINVAL, EFBIG) and refused
	// the modes it does not pass on (collapse, insert, unshare).
	end := off + size
	if end > 1<<63-1 || end < off {
		return syscall.EFBIG
	}
	switch mode {
	case unix.FALLOC_FL_PUNCH_HOLE | unix.FALLOC_FL_KEEP_SIZE:
		return toErrno(h.f.PunchHole(int64(off), int64(size)))
	case 0, unix.FALLOC_FL_KEEP_SIZE:
	default:
		// FALLOC_FL_ZERO_RANGE: tmpfs refuses it too.
		return syscall.EOPNOTSUPP
	}
	fi, err := h.f.Stat()
	if err != nil {
		return toErrno(err)
	}
	if mode == 0 && int64(end) > fi.Size() {
		// The new range is a hole: it reads as zeros and costs nothing
		// until written (a later write may still meet the limit).
		return toErrno(h.f.Truncate(int64(end)))
	}
	// memfs allocates on write: nothing to reserve. tmpfs still sets
	// the modification time.
	return toErrno(h.f.Chtimes(time.Time{}, time.Now()))
}

func (n *node) Lseek(ctx context.Context, fh fusefs.FileHandle, off uint64, whence uint32) (uint64, syscall.Errno) {
	h := handleOf(fh)
	if h == nil {
		return 0, syscall.EBADF
	}
	if off > 1<<63-1 {
		return 0, syscall.ENXIO
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	pos, err := h.f.Seek(int64(off), int(whence))
	if err != nil {
		return 0, toErrno(err)
	}
	return uint64(pos), 0
}

func (n *node) CopyFileRange(ctx context.Context, fhIn fusefs.FileHandle, offIn uint64, out *fusefs.Inode, fhOut fusefs.FileHandle, offOut uint64, length uint64, flags uint64) (uint32, syscall.Errno) {
	in, dst := handleOf(fhIn), handleOf(fhOut)
	if in == nil || dst == nil {
		return 0, syscall.EBADF
	}
	if flags != 0 {
		return 0, syscall.EINVAL
	}
	if offIn > 1<<63-1 || offOut > 1<<63-1 {
		return 0, syscall.EINVAL
	}
	// The reply is a uint32 count; the kernel asks again for the rest.
	length = min(length, 1<<30)
	k, err := in.copyTo(dst, int64(offIn), int64(offOut), int64(length))
	if err != nil && k == 0 {
		return 0, toErrno(err)
	}
	return uint32(k), 0
}
