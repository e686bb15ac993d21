package wasi

import (
	"errors"
	"io"
	"io/fs"
	"sync"
	"syscall"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/sys"

	"github.com/zcopy/zcopy/memfs"
)

// File is an open memfs file as wazero's experimental/sys.File (and
// PollableFile: memfs files are always ready, and O_NONBLOCK changes
// nothing for them, as for regular files on Linux).
type File struct {
	experimentalsys.UnimplementedFile

	fs    *FS
	f     *memfs.File
	ino   uint64
	isDir bool

	mu   sync.Mutex // flag
	flag experimentalsys.Oflag
	// wmu makes the seek and write of an append-mode write SetAppend
	// turned on one step for this handle.
	wmu sync.Mutex
	// appendAtOpen: the memfs handle was opened O_APPEND, so memfs
	// itself places every write at the end, atomically.
	appendAtOpen bool
}

// Dev returns the FS's device ID.
func (f *File) Dev() (uint64, experimentalsys.Errno) { return f.fs.dev, 0 }

// Ino returns the file's memfs inode number, fixed at open.
func (f *File) Ino() (sys.Inode, experimentalsys.Errno) { return f.ino, 0 }

// IsDir reports whether the file is a directory.
func (f *File) IsDir() (bool, experimentalsys.Errno) { return f.isDir, 0 }

func (f *File) flags() experimentalsys.Oflag {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.flag
}

func (f *File) setFlag(bit experimentalsys.Oflag, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if on {
		f.flag |= bit
	} else {
		f.flag &^= bit
	}
}

// IsAppend reports whether writes go to the end of the file.
func (f *File) IsAppend() bool { return f.flags()&experimentalsys.O_APPEND != 0 }

// SetAppend turns append mode on or off (fd_fdstat_set_flags). A memfs
// handle keeps the flags it was opened with: append mode turned on later
// is placed by the adapter (a seek to the end and a write, atomic with
// respect to this handle, not to other writers), and turning off the
// O_APPEND a file was opened with is ENOTSUP.
func (f *File) SetAppend(enable bool) experimentalsys.Errno {
	if f.isDir {
		return experimentalsys.EISDIR
	}
	if _, err := f.f.Stat(); err != nil {
		return errnoOf(err)
	}
	if f.appendAtOpen && !enable {
		return experimentalsys.ENOTSUP
	}
	f.setFlag(experimentalsys.O_APPEND, enable)
	return 0
}

// IsNonblock reports whether O_NONBLOCK was set.
func (f *File) IsNonblock() bool { return f.flags()&experimentalsys.O_NONBLOCK != 0 }

// SetNonblock records O_NONBLOCK, which changes nothing for memfs files.
func (f *File) SetNonblock(enable bool) experimentalsys.Errno {
	if _, err := f.f.Stat(); err != nil {
		return errnoOf(err)
	}
	f.setFlag(experimentalsys.O_NONBLOCK, enable)
	return 0
}

// Poll reports the file ready: memfs reads and writes never block.
func (f *File) Poll(experimentalsys.Pflag, int32) (bool, experimentalsys.Errno) {
	if _, err := f.f.Stat(); err != nil {
		return false, errnoOf(err)
	}
	return true, 0
}

// fileErrno is the errno of a failed operation on file data (read,
// write, seek, truncate), checked as wazero's DirFS checks it: a closed
// handle is EBADF and a directory EISDIR (where Linux says EBADF for a
// write and EINVAL for ftruncate), before the error itself.
func (f *File) fileErrno(err error) experimentalsys.Errno {
	errno := errnoOf(err)
	switch {
	case errno == 0:
		return 0
	case f.closed():
		return experimentalsys.EBADF
	case f.isDir:
		return experimentalsys.EISDIR
	}
	return errno
}

// rwErrno is the errno of a failed Read or Write. DirFS answers those of
// a non-blocking handle with read(2)'s and write(2)'s own errno (EBADF
// for a write to a directory), and Go's wasip1 runtime makes every file
// it opens non-blocking; of a blocking handle, as fileErrno.
func (f *File) rwErrno(err error) experimentalsys.Errno {
	if f.IsNonblock() {
		return errnoOf(err)
	}
	return f.fileErrno(err)
}

// closed reports whether the handle was closed.
func (f *File) closed() bool {
	_, err := f.f.Stat()
	return err != nil
}

// Stat is fstat(2).
func (f *File) Stat() (sys.Stat_t, experimentalsys.Errno) {
	fi, err := f.f.Stat()
	if err != nil {
		return sys.Stat_t{}, errnoOf(err)
	}
	return f.fs.stat(fi), 0
}

// Read is read(2): 0 bytes and no error at the end of the file.
func (f *File) Read(buf []byte) (int, experimentalsys.Errno) {
	if len(buf) == 0 {
		return 0, 0
	}
	n, err := f.f.Read(buf)
	return n, f.rwErrno(err)
}

// Pread is pread(2).
func (f *File) Pread(buf []byte, off int64) (int, experimentalsys.Errno) {
	if len(buf) == 0 {
		return 0, 0
	}
	n, err := f.f.ReadAt(buf, off)
	return n, f.fileErrno(err)
}

// fileOffset is int64; the alias keeps go vet's stdmethods check, which
// wants io.Seeker's signature for any method named Seek, off wazero's
// Seek, which returns an Errno.
type fileOffset = int64

// Seek is lseek(2). On a directory, Seek(0, io.SeekStart) rewinds Readdir.
func (f *File) Seek(offset fileOffset, whence int) (int64, experimentalsys.Errno) {
	if uint(whence) > io.SeekEnd {
		return 0, experimentalsys.EINVAL
	}
	off, err := f.f.Seek(offset, whence)
	return off, f.fileErrno(err)
}

// Readdir returns up to n entries (all the rest if n <= 0), without "."
// and "..", which wazero adds. The listing is taken at the first call
// after open or rewind, so concurrent changes never make it skip or
// repeat an entry.
func (f *File) Readdir(n int) ([]experimentalsys.Dirent, experimentalsys.Errno) {
	if !f.isDir {
		if _, err := f.f.Stat(); err != nil {
			return nil, errnoOf(err)
		}
		return nil, experimentalsys.EBADF // as DirFS: not a directory
	}
	entries, err := f.f.ReadDir(n)
	if err != nil && err != io.EOF {
		if errnoOf(err) == experimentalsys.ENOTDIR {
			return nil, experimentalsys.EBADF
		}
		return nil, errnoOf(err)
	}
	out := make([]experimentalsys.Dirent, 0, len(entries))
	for _, e := range entries {
		d := experimentalsys.Dirent{Name: e.Name(), Type: e.Type()}
		if fi, err := e.Info(); err == nil {
			d.Ino = fi.Sys().(*memfs.Stat).Ino
		}
		out = append(out, d)
	}
	return out, 0
}

// Write is write(2). A write memfs's memory limit refuses writes nothing
// and fails with EIO (wazero has no ENOSPC).
func (f *File) Write(buf []byte) (int, experimentalsys.Errno) {
	if len(buf) == 0 {
		return 0, 0
	}
	if f.flags()&experimentalsys.O_APPEND != 0 && !f.appendAtOpen {
		// Append mode set after open: write at the end.
		f.wmu.Lock()
		defer f.wmu.Unlock()
		if _, err := f.f.Seek(0, io.SeekEnd); err != nil {
			return 0, f.rwErrno(err)
		}
	}
	n, err := f.f.Write(buf)
	return n, f.rwErrno(err)
}

// Pwrite is pwrite(2).
func (f *File) Pwrite(buf []byte, off int64) (int, experimentalsys.Errno) {
	if len(buf) == 0 {
		return 0, 0
	}
	if f.isDir {
		return 0, f.fileErrno(syscall.EBADF)
	}
	n, err := f.f.WriteAt(buf, off)
	return n, f.fileErrno(err)
}

// Truncate is ftruncate(2).
func (f *File) Truncate(size int64) experimentalsys.Errno {
	if size < 0 {
		return experimentalsys.EINVAL
	}
	return f.fileErrno(f.f.Truncate(size))
}

// Sync is fsync(2): memfs's data is already where it stays.
func (f *File) Sync() experimentalsys.Errno { return errnoOf(f.f.Sync()) }

// Datasync is fdatasync(2), as Sync.
func (f *File) Datasync() experimentalsys.Errno { return errnoOf(f.f.Sync()) }

// Utimens is futimens(2); UTIME_OMIT keeps a time.
func (f *File) Utimens(atim, mtim int64) experimentalsys.Errno {
	if atim == experimentalsys.UTIME_OMIT && mtim == experimentalsys.UTIME_OMIT {
		_, err := f.f.Stat()
		return errnoOf(err)
	}
	return errnoOf(f.f.Chtimes(timeOf(atim), timeOf(mtim)))
}

// Close closes the handle; a second Close does nothing, as DirFS's.
func (f *File) Close() experimentalsys.Errno {
	if err := f.f.Close(); err != nil && !errors.Is(err, fs.ErrClosed) {
		return errnoOf(err)
	}
	return 0
}
