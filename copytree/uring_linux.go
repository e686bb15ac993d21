package copytree

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/internal/eintr"
	"github.com/zcopy/zcopy/internal/uring"
)

const (
	// ringMinFiles: a ring's setup (io_uring_setup, its mmaps) costs about
	// as much as copying a few small files one by one.
	ringMinFiles = 4
	// ringMaxSize: larger files go the per-file way, where
	// copy_file_range or a clone moves them without a trip through user
	// memory; the ring's chains read and write 64 KiB at a time.
	ringMaxSize = 1 << 20
	// ringChunk bounds the files of one CopyFiles call: each copied file
	// comes back with its descriptors open (two, with xattrs) until its
	// metadata is applied, and a batch of 256 would hold 512 per worker.
	ringChunk = 64
)

// testHookRingBatch, when set, sees the size of each batch handed to
// io_uring.
var testHookRingBatch func(n int)

// testHookRingStat, when set, may change what the ring's statx saw of a
// file before it is checked against the opened source.
var testHookRingStat func(srcPath string, st *unix.Stat_t)

// ringAllowed says whether this copy's options leave the regular files of a
// new directory simple enough for the ring: no links to make, no
// temporary names, no clone required, no holes to make, no symlinks to
// follow.
func (tc *treeCopy) ringAllowed() bool {
	o := tc.o
	return o.Engine != EngineSync && !tc.follow && !o.HardLink && !o.SymbolicLink && !o.AttributesOnly &&
		!o.CopyContents && !o.Atomic && o.Reflink != Always && o.Sparse != Always && uring.Available() == nil
}

// cloningFS lists filesystems (statfs f_type) where the per-file path
// clones or offloads a copy, which beats moving the bytes through a ring.
var cloningFS = map[int64]bool{
	0x9123683e: true, // btrfs
	0x58465342: true, // XFS (reflink)
	0xca451a4e: true, // bcachefs
	0x2fc12fc1: true, // ZFS
	0x6969:     true, // NFS (server-side copy)
	0xff534d42: true, // CIFS
	0xfe534d42: true, // SMB2
	0x00c36400: true, // Ceph
}

// splitRing takes out of ents the regular files that io_uring copies
// (returned in ring): those of a directory this copy created, so that
// O_EXCL cannot meet an existing file and the overwrite policy has nothing
// to decide. The rest stays for the per-file path.
func (tc *treeCopy) splitRing(h *dirHandle, ents []os.DirEntry) (rest, ring []os.DirEntry) {
	if tc.o.Engine == EngineSync || !h.node.created || len(ents) < ringMinFiles || !tc.ringAllowed() {
		return ents, nil
	}
	if tc.o.Reflink != Never {
		var fs unix.Statfs_t
		if err := unix.Fstatfs(h.dfd, &fs); err != nil || cloningFS[int64(fs.Type)] {
			return ents, nil
		}
	}
	n := 0
	for _, e := range ents {
		if e.Type().IsRegular() {
			n++
		}
	}
	if n < ringMinFiles {
		return ents, nil
	}
	if tc.o.Engine == EngineAuto && !tc.looksCold(h, ents) {
		return ents, nil
	}
	rest = make([]os.DirEntry, 0, len(ents)-n)
	ring = make([]os.DirEntry, 0, n)
	for _, e := range ents {
		if e.Type().IsRegular() {
			ring = append(ring, e)
		} else {
			rest = append(rest, e)
		}
	}
	return rest, ring
}

// looksCold is EngineAuto's test: the ring measured faster than the
// per-file path only when the files are read from the disk (BENCHMARKS.md,
// io_uring: 1.3-1.9 x on cold ext4 trees, 0.6 x on tmpfs and on warm
// trees), where its many reads in flight keep the disk busy. It asks
// cachestat(2) about the batch's first non-empty regular file: none of it
// in the page cache means cold. Any doubt (no cachestat, an empty file,
// an error) means warm.
func (tc *treeCopy) looksCold(h *dirHandle, ents []os.DirEntry) bool {
	tried := 0
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		if tried++; tried > 3 {
			return false
		}
		fd, err := openat(h.sfd, e.Name(), unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
		if err != nil {
			continue
		}
		var cs unix.Cachestat_t
		err = eintr.Retry(func() error { return unix.Cachestat(uint(fd), &unix.CachestatRange{}, &cs, 0) })
		var st unix.Stat_t
		if err == nil {
			err = fstat(fd, &st)
		}
		unix.Close(fd)
		if err != nil {
			return false
		}
		if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size == 0 {
			continue
		}
		return cs.Cache == 0
	}
	return false
}

// copyRing copies the regular files splitRing chose through io_uring, then
// applies their metadata as the per-file path does. A file the ring did not
// create (it vanished, changed type, exists, is too large or sparse) takes
// the per-file path, which decides and reports; a file that failed after
// its destination was created has been removed and is reported.
func (tc *treeCopy) copyRing(h *dirHandle, ents []os.DirEntry) {
	if len(ents) == 0 || tc.stopped() {
		return
	}
	if testHookRingBatch != nil {
		testHookRingBatch(len(ents))
	}
	n := h.node
	// The source stays open so that ringDone can check, as the per-file
	// path's fstat does, that the file read is the one statx described
	// (xattrs and ACLs are read through it too).
	const keepSrc = true
	jobs := make([]uring.Job, len(ents))
	for i, e := range ents {
		name := e.Name()
		if testHookBeforeEntry != nil {
			testHookBeforeEntry(join(n.srcPath, name))
		}
		// Mode 0: created 0600, the final mode comes once the data and
		// ownership are there.
		jobs[i] = uring.Job{SrcDir: h.sfd, DstDir: h.dfd, Src: name, Dst: name, KeepDst: true, KeepSrc: keepSrc}
	}
	sparse := tc.o.Sparse != Never
	accept := func(st *uring.Stat) bool {
		return st.Size <= ringMaxSize && !(sparse && st.Blocks*512 < st.Size)
	}
	cfg := uring.FilesConfig{Engine: uring.EngineUring, Accept: accept}
	for start := 0; start < len(jobs); start += ringChunk {
		end := min(start+ringChunk, len(jobs))
		res := uring.CopyFiles(tc.ctx, jobs[start:end], cfg)
		for i := range res {
			name := ents[start+i].Name()
			srcPath, dstPath := joinPair(n.srcPath, n.dstPath, name)
			e := h.entry(name, srcPath, dstPath)
			if res[i].Err != nil {
				tc.ringFailed(&e, &res[i])
				continue
			}
			tc.ringDone(&e, &res[i])
		}
		if tc.stopped() {
			return
		}
	}
}

// ringFailed handles the entry e (of a directory held open) the ring did
// not copy.
func (tc *treeCopy) ringFailed(e *entry, res *uring.Result) {
	if tc.ctx.Err() != nil {
		return // Copy reports the cancellation once
	}
	var pe *fs.PathError
	errors.As(res.Err, &pe)
	created := res.Removed
	if pe != nil {
		switch pe.Op {
		case "read", "write", "close", "remove":
			created = true
		}
	}
	if !created {
		if !tc.stopped() {
			tc.regular(e)
		}
		return
	}
	var errno error = res.Err
	if pe != nil {
		errno = pe.Err
	}
	rep := FileReport{Src: e.srcPath, Dst: e.dstPath, Kind: KindFile}
	if pe != nil && pe.Op == "close" {
		tc.failFile(&rep, &Error{Op: "failed to close", Path: e.dstPath, Err: errno})
	} else {
		tc.failFile(&rep, &Error{Op: "error copying %s to %s", Path: e.srcPath, Path2: e.dstPath, Err: errno})
	}
	if !res.Removed {
		// The partial file could not be removed: say so, as rm would.
		var rerr *fs.PathError
		if errs, ok := res.Err.(interface{ Unwrap() []error }); ok {
			for _, err := range errs.Unwrap() {
				if errors.As(err, &rerr) && rerr.Op == "remove" {
					tc.fail(&Error{Op: "cannot remove", Path: e.dstPath, Err: rerr.Err})
				}
			}
		}
	}
}

// ringDone applies the metadata of e's copy through its open descriptors
// (ownership, xattrs, mode, times, in fileAttrs' order), closes them and
// reports the file.
func (tc *treeCopy) ringDone(e *entry, res *uring.Result) {
	srcPath, dstPath := e.srcPath, e.dstPath
	dstF, srcF := res.DstFile, res.SrcFile
	if srcF != nil {
		defer srcF.Close()
	}
	st := statOf(&res.Stat)
	if testHookRingStat != nil {
		testHookRingStat(srcPath, &st)
	}
	if srcF != nil {
		var opened unix.Stat_t
		if err := fstat(int(srcF.Fd()), &opened); err != nil || opened.Dev != st.Dev || opened.Ino != st.Ino {
			// Replaced between the ring's statx and its open: the bytes
			// came from another file than the metadata. Start over on the
			// per-file path, which stats what it opened.
			dstF.Close()
			if err := unix.Unlinkat(e.ddir, e.dname, 0); err != nil {
				tc.fail(&Error{Op: "cannot remove", Path: dstPath, Err: err})
				return
			}
			tc.regular(e)
			return
		}
	}
	var linkTarget string // set once the copy is complete
	if prior, claim := tc.hardlinked(&st); prior != "" {
		// A further name of a file copied earlier: the ring's copy
		// (in a directory this copy made) gives way to a link.
		dstF.Close()
		if err := unix.Unlinkat(e.ddir, e.dname, 0); err != nil {
			tc.fail(&Error{Op: "cannot remove", Path: dstPath, Err: err})
			return
		}
		e.st, e.hasStat = st, true
		tc.linkTo(prior, e)
		return
	} else if claim != nil {
		defer func() { claim.finish(linkTarget) }()
	}
	dfd, sfd := int(dstF.Fd()), -1
	if srcF != nil {
		sfd = int(srcF.Fd())
	}
	if testHookAfterData != nil {
		testHookAfterData(dstPath)
	}
	tc.fileAttrs(dfd, sfd, &st, srcPath, dstPath, true, e.h.setgid)
	if p := tc.o.Preserve; p&(PreserveMode|PreserveOwnership|PreserveXattr) == 0 {
		// The per-file path creates the file with the source's mode
		// minus the umask; the ring created it 0600.
		if err := unix.Fchmod(dfd, tc.defaultPerm(&st, 0o777)&^umask()); err != nil {
			tc.fail(&Error{Op: "setting permissions for", Path: dstPath, Err: err})
		}
	}
	if !tc.settle(dfd, dstPath) {
		dstF.Close()
		return
	}
	if err := dstF.Close(); err != nil {
		tc.fail(&Error{Op: "failed to close", Path: dstPath, Err: err})
		return
	}
	linkTarget = dstPath
	rep := FileReport{Src: srcPath, Dst: dstPath, Kind: KindFile, Size: res.Written, Method: zcopy.Uring}
	if tc.o.Reflink == Never {
		rep.Reflink, rep.Offload = OutcomeAvoided, OutcomeAvoided
	}
	tc.report(&rep)
}

// statOf is the part of a stat(2) result the metadata code reads.
func statOf(s *uring.Stat) unix.Stat_t {
	st := unix.Stat_t{Mode: s.Mode, Uid: s.Uid, Gid: s.Gid, Size: s.Size, Blocks: s.Blocks}
	setUint(&st.Dev, s.Dev) // field widths differ between architectures
	setUint(&st.Ino, s.Ino)
	setUint(&st.Nlink, uint64(s.Nlink))
	st.Atim, _ = unix.TimeToTimespec(s.Atime)
	st.Mtim, _ = unix.TimeToTimespec(s.Mtime)
	return st
}

func setUint[T ~uint32 | ~uint64](dst *T, v uint64) { *dst = T(v) }
