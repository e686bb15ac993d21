package memfs

import (
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// File is an open file or directory of an [FS]. It implements [fs.File],
// [fs.ReadDirFile], io.Reader, io.ReaderAt, io.Writer, io.WriterAt,
// io.Seeker, io.ReaderFrom and io.WriterTo with the semantics of
// [os.File] on Linux. Its methods are safe for concurrent use; Read, Write
// and Seek share the offset.
type File struct {
	fsys *FS
	node *inode
	name string
	flag int

	closed atomic.Bool

	mu      sync.Mutex // offset and directory listing; taken before node.mu
	off     int64
	entries []fs.DirEntry // directory listing, taken at the first ReadDir
	listed  bool
}

func (f *File) readable() bool { return f.flag&(os.O_WRONLY|os.O_RDWR) != os.O_WRONLY }
func (f *File) writable() bool { return f.flag&(os.O_WRONLY|os.O_RDWR) != 0 }

// Name returns the name the file was opened with.
func (f *File) Name() string { return f.name }

func (f *File) check(op string) error {
	if f == nil {
		return os.ErrInvalid
	}
	if f.closed.Load() {
		return pathErr(op, f.name, os.ErrClosed)
	}
	return nil
}

// checkRead checks, in read(2)'s order, that the handle may read n bytes
// at off: EBADF for a handle without read access, EINVAL when the range
// would pass math.MaxInt64, EISDIR for a directory. The caller has
// checked f (check) and off >= 0.
func (f *File) checkRead(op string, off int64, n int) error {
	switch {
	case !f.readable():
		return pathErr(op, f.name, syscall.EBADF)
	case off > math.MaxInt64-int64(n):
		return pathErr(op, f.name, syscall.EINVAL)
	case f.node.isDir():
		return pathErr(op, f.name, syscall.EISDIR)
	}
	return nil
}

// checkWrite is checkRead for write(2): EBADF for a handle without write
// access (directories never have it), EINVAL past math.MaxInt64.
func (f *File) checkWrite(op string, off int64, n int) error {
	switch {
	case !f.writable() || !f.node.isRegular():
		return pathErr(op, f.name, syscall.EBADF)
	case off > math.MaxInt64-int64(n):
		return pathErr(op, f.name, syscall.EINVAL)
	}
	return nil
}

// wrapRead gives a read error its *fs.PathError, leaving io.EOF bare.
func (f *File) wrapRead(err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	return pathErr("read", f.name, err)
}

// Read reads from the offset and advances it; at the end it returns 0,
// io.EOF.
func (f *File) Read(p []byte) (int, error) {
	if err := f.check("read"); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil // os.File makes no read(2) of nothing
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkRead("read", f.off, len(p)); err != nil {
		return 0, err
	}
	f.node.mu.RLock()
	n, err := f.node.data.readAt(p, f.off)
	f.node.mu.RUnlock()
	f.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, f.wrapRead(err)
}

// ReadAt reads len(p) bytes at off without moving the offset; a short
// read returns io.EOF.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	// os.File's order: the offset, then pread(2), which it does not
	// make for nothing, even on a closed file.
	if f == nil {
		return 0, os.ErrInvalid
	}
	if off < 0 {
		return 0, pathErr("readat", f.name, ErrNegativeOffset)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if err := f.check("read"); err != nil {
		return 0, err
	}
	if err := f.checkRead("read", off, len(p)); err != nil {
		return 0, err
	}
	f.node.mu.RLock()
	n, err := f.node.data.readAt(p, off)
	f.node.mu.RUnlock()
	return n, f.wrapRead(err)
}

// write writes p at off (at the end with O_APPEND) under the inode lock
// and returns how much it wrote and where it ended.
func (f *File) write(op string, p []byte, off int64, appendMode bool) (int, int64, error) {
	if len(p) == 0 {
		return 0, off, nil // write(2) of nothing does not seek, even with O_APPEND
	}
	n := f.node
	n.mu.Lock()
	defer n.mu.Unlock()
	if appendMode {
		off = n.data.size
		if off > math.MaxInt64-int64(len(p)) {
			// Like write(2) at the largest file size: EFBIG at it,
			// a short write before it.
			if off == math.MaxInt64 {
				return 0, off, pathErr(op, f.name, syscall.EFBIG)
			}
			p = p[:math.MaxInt64-off]
		}
	}
	if err := n.data.writeAt(&f.fsys.s.lim, p, off); err != nil {
		return 0, off, pathErr(op, f.name, err)
	}
	t := now()
	n.mtime, n.ctime = t, t
	return len(p), off + int64(len(p)), nil
}

// Write writes at the offset (or at the end, atomically, with O_APPEND)
// and advances it. A write the memory limit refuses writes nothing and
// returns an error matching syscall.ENOSPC.
func (f *File) Write(p []byte) (int, error) {
	if err := f.check("write"); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// write(2) checks the range at the handle's offset, even with
	// O_APPEND.
	if err := f.checkWrite("write", f.off, len(p)); err != nil {
		return 0, err
	}
	k, end, err := f.write("write", p, f.off, f.flag&os.O_APPEND != 0)
	if err != nil {
		return 0, err
	}
	f.off = end
	if k < len(p) {
		return k, pathErr("write", f.name, syscall.EFBIG)
	}
	return k, nil
}

// WriteString is Write of a string.
func (f *File) WriteString(s string) (int, error) { return f.Write([]byte(s)) }

// WriteAt writes at off without moving the offset. Writing past the end
// leaves a hole. As with os.File, it is an error on an O_APPEND handle.
func (f *File) WriteAt(p []byte, off int64) (int, error) {
	// os.File's order: O_APPEND, the offset, then pwrite(2), which it
	// does not make for nothing, even on a closed file.
	if f == nil {
		return 0, os.ErrInvalid
	}
	if f.flag&os.O_APPEND != 0 {
		return 0, ErrWriteAtInAppendMode
	}
	if off < 0 {
		return 0, pathErr("writeat", f.name, ErrNegativeOffset)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if err := f.check("write"); err != nil {
		return 0, err
	}
	if err := f.checkWrite("write", off, len(p)); err != nil {
		return 0, err
	}
	if _, _, err := f.write("write", p, off, false); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Seek sets the offset for the next Read or Write. Offsets past the end
// are allowed (a later write leaves a hole); a negative result is EINVAL.
// On Linux, whence may also be SEEK_DATA (3) or SEEK_HOLE (4), which find
// memfs's holes (fills of zero) exactly, with lseek(2)'s rules.
// On a directory, Seek(0, io.SeekStart) restarts ReadDir.
func (f *File) Seek(offset int64, whence int) (int64, error) {
	if err := f.check("seek"); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var base int64
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		base = f.off
	case io.SeekEnd:
		if f.node.isDir() {
			// tmpfs directories seek from the start or the offset only.
			return 0, pathErr("seek", f.name, syscall.EINVAL)
		}
		f.node.mu.RLock()
		if f.node.isRegular() {
			base = f.node.data.size
		}
		f.node.mu.RUnlock()
	case seekData, seekHole:
		if !f.node.isRegular() {
			return 0, pathErr("seek", f.name, syscall.EINVAL)
		}
		f.node.mu.RLock()
		pos, ok := f.node.data.seekHole(offset, whence == seekData)
		f.node.mu.RUnlock()
		if !ok {
			return 0, pathErr("seek", f.name, syscall.ENXIO)
		}
		f.off = pos
		return pos, nil
	default:
		return 0, pathErr("seek", f.name, syscall.EINVAL)
	}
	pos := base + offset
	if pos < 0 || (offset > 0 && pos < base) {
		return 0, pathErr("seek", f.name, syscall.EINVAL)
	}
	f.off = pos
	if f.node.isDir() && pos == 0 {
		f.entries, f.listed = nil, false
	}
	return pos, nil
}

// Truncate changes the file's size, like [FS.Truncate].
func (f *File) Truncate(size int64) error {
	const op = "truncate"
	if err := f.check(op); err != nil {
		return err
	}
	if !f.writable() || !f.node.isRegular() || size < 0 {
		return pathErr(op, f.name, syscall.EINVAL)
	}
	n := f.node
	n.mu.Lock()
	n.data.truncate(&f.fsys.s.lim, size)
	t := now()
	n.mtime, n.ctime = t, t
	n.mu.Unlock()
	return nil
}

// PunchHole makes the n bytes at off a hole, like fallocate(2) with
// FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE on tmpfs: the range reads as
// zeros, its heap bytes are freed and refunded to the memory limit, host
// ranges in it are dropped from the file (the host file is untouched),
// and the size does not change: bytes past the end are ignored. It sets
// the modification and change times, even when no byte is in the range.
// The offset does not move. Errors are fallocate(2)'s, in its order:
// EINVAL for off < 0 or n <= 0, EBADF for a handle without write access
// (or a directory), EFBIG when off+n passes math.MaxInt64.
//
// Holes are exact to the byte, where tmpfs frees whole pages and zeroes
// the parts of pages at the ends of the range, which SEEK_DATA still
// reports as data.
func (f *File) PunchHole(off, n int64) error {
	const op = "fallocate"
	if err := f.check(op); err != nil {
		return err
	}
	switch {
	case off < 0 || n <= 0:
		return pathErr(op, f.name, syscall.EINVAL)
	case !f.writable() || !f.node.isRegular():
		return pathErr(op, f.name, syscall.EBADF)
	case off > math.MaxInt64-n:
		return pathErr(op, f.name, syscall.EFBIG)
	}
	node := f.node
	node.mu.Lock()
	node.data.punch(&f.fsys.s.lim, off, off+n)
	t := now()
	node.mtime, node.ctime = t, t
	node.mu.Unlock()
	return nil
}

// Sync does nothing but check the handle: the data is already where it
// will stay.
func (f *File) Sync() error { return f.check("sync") }

// Stat describes the file.
func (f *File) Stat() (fs.FileInfo, error) {
	if err := f.check("stat"); err != nil {
		return nil, err
	}
	return statNode(f.node, baseName(f.name)), nil
}

// Close closes the handle. The data of a file unlinked while open goes
// with the last handle.
func (f *File) Close() error {
	if f == nil {
		return os.ErrInvalid
	}
	if f.closed.Swap(true) {
		return pathErr("close", f.name, os.ErrClosed)
	}
	if f.node.opens.Add(-1) == 0 {
		f.fsys.s.mu.Lock()
		f.fsys.maybeRelease(f.node)
		f.fsys.s.mu.Unlock()
	}
	return nil
}

// ReadDir reads the directory's entries in name order, n at a time like
// [os.File.ReadDir]: with n > 0 it returns io.EOF at the end.
func (f *File) ReadDir(n int) ([]fs.DirEntry, error) {
	const op = "readdirent"
	if err := f.check(op); err != nil {
		return nil, err
	}
	if !f.node.isDir() {
		return nil, pathErr(op, f.name, syscall.ENOTDIR)
	}
	if f.node.nlink.Load() == 0 {
		// getdents(2) of a removed directory.
		return []fs.DirEntry{}, pathErr(op, f.name, syscall.ENOENT)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.listed {
		f.entries = f.fsys.list(f.node)
		f.listed = true
	}
	if n <= 0 {
		out := f.entries
		f.entries = nil
		if out == nil {
			out = []fs.DirEntry{}
		}
		return out, nil
	}
	if len(f.entries) == 0 {
		return nil, io.EOF
	}
	k := min(n, len(f.entries))
	out := f.entries[:k:k]
	f.entries = f.entries[k:]
	return out, nil
}

// list returns a directory's entries sorted by name.
func (fsys *FS) list(d *inode) []fs.DirEntry {
	fsys.s.mu.RLock()
	defer fsys.s.mu.RUnlock()
	out := make([]fs.DirEntry, 0, len(d.children))
	for name, c := range d.children {
		out = append(out, dirEntry{name: name, node: c})
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out
}

// ReadFrom copies r into the file at the offset (io.ReaderFrom). A regular
// *os.File source is not read: its remaining range is imported as host
// extents in O(1) (see [File.ImportRange]) and r's offset moves to its end,
// as if it had been read. Other readers are copied.
func (f *File) ReadFrom(r io.Reader) (int64, error) {
	if err := f.check("write"); err != nil {
		return 0, err
	}
	if err := f.checkWrite("write", 0, 0); err != nil {
		return 0, err
	}
	switch r := r.(type) {
	case hostFile:
		// An *os.File, or what os.File.WriteTo hands io.Copy: the
		// same file with WriteTo hidden.
		if n, handled, err := f.importFrom(r, r); handled {
			return n, err
		}
	case *io.SectionReader:
		// What zcopy.CopySegments hands over for a host extent.
		if ra, _, _ := r.Outer(); ra != nil {
			if hf, ok := ra.(*os.File); ok {
				if n, handled, err := f.importFrom(hf, r); handled {
					return n, err
				}
			}
		}
	}
	return io.Copy(writerOnly{f}, r)
}

// importFrom imports the rest of a regular host file at the offset; r is
// hf itself or a SectionReader of it, whose offset moves to its end.
func (f *File) importFrom(hf hostFile, r io.Seeker) (int64, bool, error) {
	fi, err := hf.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return 0, false, nil
	}
	cur, err := r.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, false, nil
	}
	end := fi.Size()
	pos := cur // offset in hf
	if sr, ok := r.(*io.SectionReader); ok {
		_, base, size := sr.Outer()
		pos, end = base+cur, min(base+size, fi.Size())
	}
	if pos >= end {
		return 0, false, nil
	}
	n := end - pos
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.fsys.s.cache.backingFor("", hf, idOf(fi), fi.Size())
	if err != nil {
		return 0, false, nil
	}
	node := f.node
	node.mu.Lock()
	off := f.off
	if f.flag&os.O_APPEND != 0 {
		off = node.data.size
	}
	node.data.importRange(&f.fsys.s.lim, b, pos, n, off)
	t := now()
	node.mtime, node.ctime = t, t
	node.mu.Unlock()
	f.off = off + n
	if _, err := r.Seek(cur+n, io.SeekStart); err != nil {
		return n, true, err
	}
	return n, true, nil
}

// ImportRange makes [off, off+n) of the file a zero-copy view of the host
// file's bytes [hostOff, hostOff+n), in O(log extents) time and no memory
// for the data, growing the file if needed. The host file must be a
// regular file holding those bytes now; later changes to them show
// through (see the package doc). The offset does not move.
func (f *File) ImportRange(off int64, host *os.File, hostOff, n int64) error {
	const op = "import"
	if err := f.check(op); err != nil {
		return err
	}
	if err := f.checkWrite(op, 0, 0); err != nil {
		return err
	}
	if off < 0 || hostOff < 0 || n < 0 || off > math.MaxInt64-n || hostOff > math.MaxInt64-n {
		return pathErr(op, f.name, syscall.EINVAL)
	}
	fi, err := host.Stat()
	if err != nil {
		return pathErr(op, f.name, err)
	}
	if !fi.Mode().IsRegular() {
		return pathErr(op, f.name, syscall.EINVAL)
	}
	if hostOff+n > fi.Size() {
		return pathErr(op, f.name, io.ErrUnexpectedEOF)
	}
	if n == 0 {
		return nil
	}
	b, err := f.fsys.s.cache.backingFor("", host, idOf(fi), hostOff+n)
	if err != nil {
		return pathErr(op, f.name, err)
	}
	node := f.node
	node.mu.Lock()
	node.data.importRange(&f.fsys.s.lim, b, hostOff, n, off)
	t := now()
	node.mtime, node.ctime = t, t
	node.mu.Unlock()
	return nil
}

// hostFile is what an import needs of an *os.File.
type hostFile interface {
	Name() string
	Stat() (fs.FileInfo, error)
	Seek(offset int64, whence int) (int64, error)
	SyscallConn() (syscall.RawConn, error)
}

// writerOnly hides File's ReadFrom from io.Copy.
type writerOnly struct{ io.Writer }

// baseName is the last element of a slash path.
func baseName(name string) string {
	name = strings.TrimRight(name, "/")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[i+1:]
	}
	if name == "" {
		return "."
	}
	return name
}
