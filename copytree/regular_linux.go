package copytree

import (
	"context"
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/internal/eintr"
)

// This file copies regular files, in steps: open the source, open the
// destination (overwrite_linux.go decides for an existing one), write the
// data (clone, the engine, sparse copies, a write loop for devices and
// FIFOs), apply the attributes (attrs_linux.go).

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
		tc.unreadableSource(e, oflags&unix.O_NOFOLLOW == 0, &Error{Op: "cannot open %s for reading", Path: e.srcPath, Err: err})
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

// unreadableSource reports a source that could not be opened as GNU cp
// does, which decides about an existing destination before it opens the
// source: -n, -u, --update=none or a "no" to -i keep the destination and
// nothing is read, so there is no error; otherwise cp -v names the copy
// and then the open fails. (GNU would also have made the backup by then;
// here the destination stays as it is.)
func (tc *treeCopy) unreadableSource(e *entry, follow bool, openErr *Error) {
	flags := unix.AT_SYMLINK_NOFOLLOW
	if follow {
		flags = 0
	}
	if err := fstatat(e.sdir, e.sname, &e.st, flags); err != nil {
		// GNU stats first: in a directory that can be listed but not
		// searched (or for a name gone since it was listed) that fails.
		tc.fail(&Error{Op: "cannot stat", Path: e.srcPath, Err: err})
		return
	}
	if e.st.Mode&unix.S_IFMT != unix.S_IFREG {
		tc.fail(openErr)
		return
	}
	e.hasStat = true
	rep := FileReport{Src: e.srcPath, Dst: e.dstPath, Kind: KindFile}
	var cur unix.Stat_t
	if fstatat(e.ddir, e.dname, &cur, unix.AT_SYMLINK_NOFOLLOW) == nil {
		dec, err := tc.existing(e, e.top, true)
		if err != nil {
			tc.fail(err)
			return
		}
		if dec.v == vSkip {
			rep.Skipped = true
			tc.report(&rep)
			return
		}
	}
	tc.failFile(&rep, openErr)
}

// failFile reports the failure of a regular file's copy once it was
// decided: cp -v names the copy first (OnFile, with Failed set), then the
// error.
func (tc *treeCopy) failFile(rep *FileReport, err error) {
	if tc.o.OnFile != nil && !rep.Failed {
		rep.Failed = true
		tc.c.onFile(tc.sink.out, rep)
	}
	tc.fail(err)
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
	if !tc.finishFile(e, &d, sfd, &rep) {
		return ""
	}
	ok = true
	tc.reportEntry(e, &rep)
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
		tc.failFile(rep, &Error{Path: e.dstPath, Path2: e.srcPath, Err: err})
		return false
	}
	if tc.ctx.Err() != nil {
		tc.fail(tc.ctx.Err())
		return false
	}
	tc.failFile(rep, dataError(e.srcPath, e.dstPath, err))
	return false
}

// finishFile applies the attributes to the written destination d, closes
// it, and with Atomic renames it into place. false means a step failed
// (reported); d's descriptor is closed either way.
func (tc *treeCopy) finishFile(e *entry, d *dstFile, sfd int, rep *FileReport) bool {
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
		tc.failFile(rep, &Error{Op: "failed to close", Path: e.dstPath, Err: err})
		return false
	}
	if d.tmp != "" {
		if err := unix.Renameat(d.dir, d.tmp, d.dir, d.name); err != nil {
			tc.failFile(rep, &Error{Op: "cannot create regular file", Path: e.dstPath, Err: err})
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
	n, err := tc.o.DataCopier.CopyData(tc.ctx, dst, src, size, opts, zr)
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

// stream copies src into a destination that is not a regular file (a
// device, a FIFO, the pipe behind /dev/stdout), as GNU's plain write
// loop does: from the start, no holes, no truncation (zcopy may still
// splice or sendfile). The descriptors are duplicated into *os.File
// values so that an error names the side that failed: cp says "error
// writing '/dev/full': No space left on device".
func (tc *treeCopy) stream(dst, src int, size int64, rep *FileReport) error {
	df, err := dupFile(dst, rep.Dst)
	if err != nil {
		return err
	}
	defer df.Close()
	sf, err := dupFile(src, rep.Src)
	if err != nil {
		return err
	}
	defer sf.Close()
	var in io.Reader = sf
	if size > 0 {
		in = &io.LimitedReader{R: sf, N: size} // the size fstat saw, as for files
	}
	var zr zcopy.Report
	opts := append(tc.opts[:len(tc.opts):len(tc.opts)], zcopy.WithReport(&zr))
	n, err := zcopy.CopyContext(tc.ctx, df, in, opts...)
	rep.Size = n
	outcomes(&zr, rep, tc.o.Reflink)
	return err
}

func dupFile(fd int, name string) (*os.File, error) {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("fcntl", err)
	}
	return os.NewFile(uintptr(nfd), name), nil
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
