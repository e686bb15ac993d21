package memfs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/zcopy/zcopy"
)

// ImportFile creates (or replaces) the regular file name as a zero-copy
// view of the host file host: its whole current size becomes one host
// extent, in O(1) time and memory whatever the size. Mode, owner and times
// are copied from host. Writes to the memfs file go to heap extents and
// never reach the host file.
func (fsys *FS) ImportFile(name string, host *os.File) error {
	const op = "import"
	fi, err := host.Stat()
	if err != nil {
		return pathErr(op, name, err)
	}
	if !fi.Mode().IsRegular() {
		return pathErr(op, name, syscall.EINVAL)
	}
	var b *backing
	if fi.Size() > 0 {
		if b, err = fsys.s.cache.backingFor("", host, idOf(fi), fi.Size()); err != nil {
			return pathErr(op, name, err)
		}
	}
	return fsys.attachFile(name, fsys.s.fileFromHost(entryOf(fi), b))
}

// attachFile links the new file n at name, replacing a file there.
func (fsys *FS) attachFile(name string, n *inode) error {
	const op = "import"
	fsys.s.mu.Lock()
	defer fsys.s.mu.Unlock()
	l, err := fsys.walk(name, true)
	if err != nil {
		return pathErr(op, name, err)
	}
	if l.base == "" || l.slash {
		return pathErr(op, name, syscall.EISDIR)
	}
	if old := l.node; old != nil {
		if old.isDir() {
			return pathErr(op, name, syscall.EISDIR)
		}
		fsys.unlinkLocked(l.dir, l.base, old)
	}
	l.dir.children[l.base] = n
	touch(l.dir)
	return nil
}

// hostEntry is what an import keeps of a host directory entry.
type hostEntry struct {
	mode fs.FileMode
	size int64
	st   hostStat
}

func entryOf(fi fs.FileInfo) hostEntry {
	return hostEntry{mode: fi.Mode(), size: fi.Size(), st: statOf(fi)}
}

// fileFromHost makes a regular file inode whose data is all of b.
func (s *state) fileFromHost(e hostEntry, b *backing) *inode {
	n := s.newInode(e.mode.Perm() | e.mode&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
	setHostMeta(n, e.st)
	n.nlink.Store(1)
	if b != nil {
		n.data.importRange(&s.lim, b, 0, e.size, 0)
	}
	return n
}

func setHostMeta(n *inode, st hostStat) {
	n.uid, n.gid = st.uid, st.gid
	n.atime, n.mtime, n.ctime = st.atime, st.mtime, st.ctime
	if !st.id.valid {
		n.uid, n.gid = os.Getuid(), os.Getgid()
	}
}

// Import copies the host directory tree hostDir into the filesystem as
// the new directory name (which must not exist, or be an empty directory)
// without reading any file data: every regular file becomes host extents
// of its host file, opened only when first read (see the package doc for
// what later changes to the host files do). Directories, symlinks (targets
// as stored), hard links within the tree, modes, owners and timestamps
// are kept; sockets, devices and FIFOs are skipped. Directories are read
// in parallel. The new tree appears atomically when the walk is done; on
// error nothing appears. Cancelling ctx stops the walk.
func (fsys *FS) Import(ctx context.Context, hostDir, name string) error {
	const op = "import"
	fi, err := os.Lstat(hostDir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return pathErr(op, hostDir, syscall.ENOTDIR)
	}
	im := &importer{ctx: ctx, s: fsys.s, links: map[fileID]*inode{}, sem: make(chan struct{}, importWorkers)}
	root := fsys.s.newInode(fs.ModeDir | fi.Mode().Perm())
	setHostMeta(root, statOf(fi))
	root.children = map[string]*inode{}
	root.nlink.Store(2)
	im.dir(hostDir, root)
	im.wg.Wait()
	if im.err != nil {
		return im.err
	}

	fsys.s.mu.Lock()
	defer fsys.s.mu.Unlock()
	l, err := fsys.walk(name, true)
	if err != nil {
		return pathErr(op, name, err)
	}
	switch {
	case l.node == nil:
		root.parent = l.dir
		l.dir.children[l.base] = root
		l.dir.nlink.Add(1)
		touch(l.dir)
	case !l.node.isDir():
		return pathErr(op, name, syscall.EEXIST)
	case len(l.node.children) > 0:
		return pathErr(op, name, syscall.ENOTEMPTY)
	default:
		// Fill the empty directory, keeping its own inode and metadata.
		d := l.node
		for cname, c := range root.children {
			d.children[cname] = c
			if c.isDir() {
				c.parent = d
			}
		}
		d.nlink.Store(root.nlink.Load())
		touch(d)
	}
	return nil
}

// importWorkers bounds the directories read at once: the walk is bound by
// system-call latency, not CPU.
const importWorkers = 8

type importer struct {
	ctx context.Context
	s   *state
	sem chan struct{}
	wg  sync.WaitGroup

	mu    sync.Mutex
	links map[fileID]*inode // host files with more than one link
	err   error             // the first error
}

func (im *importer) fail(err error) {
	im.mu.Lock()
	if im.err == nil {
		im.err = err
	}
	im.mu.Unlock()
}

func (im *importer) failed() bool {
	im.mu.Lock()
	defer im.mu.Unlock()
	return im.err != nil
}

// linked returns the inode already made for the host file of e, with one
// more link, if e has other links; else nil.
func (im *importer) linked(e hostEntry) *inode {
	if e.st.nlink <= 1 || !e.st.id.valid {
		return nil
	}
	im.mu.Lock()
	defer im.mu.Unlock()
	prev := im.links[e.st.id]
	if prev != nil {
		prev.nlink.Add(1)
	}
	return prev
}

// link records n as the inode of e's host file if it has other links, and
// returns the inode to use: n, or the one another goroutine made first.
func (im *importer) link(e hostEntry, n *inode) *inode {
	if e.st.nlink <= 1 || !e.st.id.valid {
		return n
	}
	im.mu.Lock()
	defer im.mu.Unlock()
	if prev := im.links[e.st.id]; prev != nil {
		prev.nlink.Add(1)
		return prev
	}
	im.links[e.st.id] = n
	return n
}

// dir fills d (not yet reachable, so not locked; only this call writes its
// children) with hostDir's entries, handing subdirectories to other
// goroutines while workers are free.
func (im *importer) dir(hostDir string, d *inode) {
	if err := im.ctx.Err(); err != nil {
		im.fail(err)
		return
	}
	if im.failed() {
		return
	}
	f, err := os.Open(hostDir)
	if err != nil {
		im.fail(err)
		return
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		im.fail(err)
		return
	}
	stats, errs, err := lstatAll(f, hostDir, names)
	if err != nil {
		im.fail(err)
		return
	}
	for i, name := range names {
		e, err := stats[i], errs[i]
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed during the walk
			}
			im.fail(err)
			return
		}
		var n *inode
		switch {
		case e.mode.IsDir():
			n = im.s.newInode(fs.ModeDir | e.mode.Perm() | e.mode&(fs.ModeSetgid|fs.ModeSticky))
			setHostMeta(n, e.st)
			n.children = map[string]*inode{}
			n.nlink.Store(2)
			n.parent = d
			d.nlink.Add(1)
			sub := filepath.Join(hostDir, name)
			select {
			case im.sem <- struct{}{}:
				im.wg.Add(1)
				go func() {
					defer func() { <-im.sem; im.wg.Done() }()
					im.dir(sub, n)
				}()
			default:
				im.dir(sub, n)
			}
		case e.mode&fs.ModeSymlink != 0:
			// Hard links to one symlink stay one inode, as files do.
			if prev := im.linked(e); prev != nil {
				d.children[name] = prev
				continue
			}
			target, err := readlinkAt(f, hostDir, name)
			if err != nil {
				im.fail(err)
				return
			}
			n = im.s.newInode(fs.ModeSymlink | 0o777)
			setHostMeta(n, e.st)
			n.target = filepath.ToSlash(target)
			n.nlink.Store(1)
			n = im.link(e, n)
		case e.mode.IsRegular():
			if prev := im.linked(e); prev != nil {
				d.children[name] = prev
				continue
			}
			var b *backing
			if e.size > 0 {
				if b, err = im.s.cache.backingFor(filepath.Join(hostDir, name), nil, e.st.id, e.size); err != nil {
					im.fail(err)
					return
				}
			}
			n = im.link(e, im.s.fileFromHost(e, b))
		default:
			continue // sockets, devices, FIFOs
		}
		d.children[name] = n
	}
}

// Export writes the tree at name to the host directory hostDir, which
// must not exist, with the copy engine: host extents go with
// copy_file_range from their host files (reflinks where the filesystem
// can), holes stay holes, heap extents are written. Modes, timestamps,
// symlinks and hard links within the tree are recreated; owners too when
// the process may set them. Files are created with mode 0600 until their
// data and metadata are in place.
func (fsys *FS) Export(ctx context.Context, name, hostDir string) error {
	fi, err := fsys.Lstat(name)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return pathErr("export", name, syscall.ENOTDIR)
	}
	ex := exporter{ctx: ctx, fsys: fsys, links: map[uint64]string{}}
	return ex.dir(name, hostDir, fi)
}

type exporter struct {
	ctx   context.Context
	fsys  *FS
	links map[uint64]string // inode -> host path, for hard links
}

func (ex *exporter) dir(name, hostDir string, fi fs.FileInfo) error {
	if err := ex.ctx.Err(); err != nil {
		return err
	}
	if err := os.Mkdir(hostDir, 0o700); err != nil {
		return err
	}
	entries, err := ex.fsys.ReadDir(name)
	if err != nil {
		return err
	}
	for _, de := range entries {
		src := de.Name()
		if name != "." {
			src = name + "/" + de.Name()
		}
		dst := filepath.Join(hostDir, de.Name())
		cfi, err := de.Info()
		if err != nil {
			return err
		}
		switch {
		case de.IsDir():
			err = ex.dir(src, dst, cfi)
		case de.Type()&fs.ModeSymlink != 0:
			err = ex.symlink(src, dst, cfi)
		default:
			err = ex.file(src, dst, cfi)
		}
		if err != nil {
			return err
		}
	}
	return ex.meta(hostDir, fi, false)
}

// linked makes dst a hard link to the copy of fi's inode already
// exported, if any, and reports whether it did (or failed).
func (ex *exporter) linked(dst string, fi fs.FileInfo) (bool, error) {
	st := fi.Sys().(*Stat)
	if st.Nlink <= 1 {
		return false, nil
	}
	if first, ok := ex.links[st.Ino]; ok {
		return true, os.Link(first, dst) // link(2) does not follow a symlink
	}
	ex.links[st.Ino] = dst
	return false, nil
}

func (ex *exporter) symlink(src, dst string, fi fs.FileInfo) error {
	if done, err := ex.linked(dst, fi); done {
		return err
	}
	target, err := ex.fsys.Readlink(src)
	if err != nil {
		return err
	}
	if err := os.Symlink(target, dst); err != nil {
		return err
	}
	return ex.meta(dst, fi, true)
}

func (ex *exporter) file(src, dst string, fi fs.FileInfo) error {
	if done, err := ex.linked(dst, fi); done {
		return err
	}
	in, err := ex.fsys.OpenFile(src, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = zcopy.CopySegments(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return ex.meta(dst, fi, false)
}

// meta applies owner, mode and times; owners only where allowed.
func (ex *exporter) meta(path string, fi fs.FileInfo, symlink bool) error {
	st := fi.Sys().(*Stat)
	if symlink {
		if err := os.Lchown(path, st.Uid, st.Gid); err != nil && !errors.Is(err, fs.ErrPermission) {
			return err
		}
		return lchtimes(path, st.Atime, st.Mtime)
	}
	if err := os.Chown(path, st.Uid, st.Gid); err != nil && !errors.Is(err, fs.ErrPermission) {
		return err
	}
	mode := fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	if err := os.Chmod(path, mode); err != nil {
		return err
	}
	return os.Chtimes(path, st.Atime, st.Mtime)
}
