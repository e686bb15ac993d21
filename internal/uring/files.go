package uring

import (
	"fmt"
	"os"
	"time"
)

// Job is one regular file for [CopyFiles] to copy.
type Job struct {
	// SrcDir and DstDir are directory descriptors the paths are relative
	// to (AT_FDCWD, -100 on Linux, for the working directory; ignored
	// for absolute paths). The caller keeps them open until CopyFiles
	// returns.
	SrcDir, DstDir int
	Src, Dst       string
	// Mode is the permission the destination is created with; 0 means
	// 0600. The destination is created with O_CREAT|O_EXCL|O_NOFOLLOW:
	// an existing file or a planted symlink is never written through.
	// Apply the final mode after the data is written (KeepDst).
	Mode uint32
	// KeepDst leaves the destination open and returns it in
	// Result.DstFile, so that the caller can set metadata on the
	// descriptor (fchmod, fchown, futimens, fsetxattr: what io_uring
	// cannot do) and must then close it.
	KeepDst bool
	// KeepSrc leaves the source open too (Result.SrcFile), for metadata
	// read by descriptor (flistxattr); the caller closes it.
	KeepSrc bool
}

// Result is what became of one [Job].
type Result struct {
	Written int64
	// Stat is the source as statx(2) saw it (by path, without following
	// a symlink) just before it was opened.
	Stat Stat
	// DstFile is the open destination when Job.KeepDst was set and the
	// copy succeeded; the caller closes it.
	DstFile *os.File
	// SrcFile is the open source when Job.KeepSrc was set and the copy
	// succeeded; the caller closes it.
	SrcFile *os.File
	// Err is nil or an *fs.PathError (Op "statx", "open", "read",
	// "write", "close") naming the file it concerns; ErrDeclined (in a
	// PathError) when FilesConfig.Accept refused the file, before its
	// destination was created. When a copy fails
	// after creating its destination, the destination is removed;
	// Removed says so, and a failure to remove it is joined to Err.
	Err     error
	Removed bool
}

// Stat is the part of statx(2) a tree copy needs.
type Stat struct {
	Mode                uint32 // type and permission bits (S_IFMT | 07777)
	Uid, Gid            uint32
	Size                int64
	Blocks              int64 // 512-byte blocks allocated
	Nlink               uint32
	Dev, Ino            uint64
	Atime, Mtime, Btime time.Time
}

// Engine selects how [CopyFiles] makes its system calls.
type Engine uint8

const (
	// EngineAuto uses the engine that measured faster for this workload
	// on this kind of machine (see BENCHMARKS.md): Sync today.
	EngineAuto Engine = iota
	// EngineSync is a pool of goroutines making plain system calls.
	EngineSync
	// EngineUring batches chains of io_uring operations, many files in
	// flight; it falls back to EngineSync where io_uring is unavailable.
	EngineUring
)

// FilesConfig tunes [CopyFiles]; the zero value means the defaults.
type FilesConfig struct {
	Engine Engine
	// InFlight is how many files are copied at once: chains in the
	// ring, or goroutines of the sync pool (default 32 for the ring,
	// 4 x GOMAXPROCS for the pool).
	InFlight int
	// BufSize is the bytes one read moves (default 64 KiB); a larger
	// file takes several read/write rounds.
	BufSize int
	// Workers caps the ring's io-wq threads (EngineUring; 0: the
	// kernel's default, one per operation waiting up to RLIMIT_NPROC).
	Workers int
	// Accept, when set, sees each source's statx before its destination
	// is created; a file it refuses fails with ErrDeclined and nothing is
	// created, so that the caller can copy it another way (a large file
	// that copy_file_range or a clone moves better, a sparse file). It
	// runs on the goroutine that drives the copy: keep it quick.
	Accept func(*Stat) bool
	// FixedFiles says whether the ring's chains open their descriptors
	// as fixed files (a table registered with the ring: openat direct,
	// read and write on the slot, close of the slot) instead of in the
	// process's descriptor table. A descriptor the caller keeps
	// (KeepSrc, KeepDst) is always a plain one.
	FixedFiles FixedMode
	// OpenFirst opens each source before it looks at it, and reads its
	// status with a plain statx(2) on the descriptor, instead of a statx
	// by path linked before the open in the ring. io_uring hands every
	// statx to a kernel worker thread, where an open of a cached name
	// completes inline. The source may then be opened before it is
	// known to be a regular file (O_NONBLOCK|O_NOFOLLOW: a FIFO does not
	// block, a symlink fails), as the per-file path of a tree copy does.
	OpenFirst bool
}

// FixedMode is FilesConfig.FixedFiles.
type FixedMode uint8

const (
	// FixedAuto uses what measured faster (BENCHMARKS.md, io_uring):
	// plain descriptors today.
	FixedAuto FixedMode = iota
	// FixedOff uses plain descriptors.
	FixedOff
	// FixedOn uses fixed files where the kernel takes them (a ring
	// that cannot register a file table runs with plain descriptors).
	FixedOn
)

// String names the engine ("auto", "sync", "uring").
func (e Engine) String() string {
	switch e {
	case EngineSync:
		return "sync"
	case EngineUring:
		return "uring"
	}
	return "auto"
}

// ParseEngine parses the value of zcp's --engine flag: "auto", "sync" or
// "uring".
func ParseEngine(s string) (Engine, error) {
	for _, e := range []Engine{EngineAuto, EngineSync, EngineUring} {
		if s == e.String() {
			return e, nil
		}
	}
	return 0, fmt.Errorf("invalid engine %q (want auto, sync or uring)", s)
}
