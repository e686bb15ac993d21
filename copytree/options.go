package copytree

import (
	"context"
	"time"

	"github.com/zcopy/zcopy"
)

// Deref says which symbolic links in the source are followed.
type Deref uint8

const (
	// DerefNever copies symbolic links as links (cp -P, the default with -r).
	DerefNever Deref = iota
	// DerefCommandLine follows a link given as the source operand only (cp -H).
	DerefCommandLine
	// DerefAlways follows every link in the source (cp -L).
	DerefAlways
)

// When is a three-way policy: reflink and sparse handling.
type When uint8

const (
	// Auto tries the optimisation and falls back silently.
	Auto When = iota
	// Always insists: reflink=always fails where cloning is not supported;
	// sparse=always also turns runs of zero bytes into holes.
	Always
	// Never turns the optimisation off: reflink=never also avoids
	// copy_file_range, which may clone (GNU cp 9.4).
	Never
)

func (w When) String() string {
	switch w {
	case Always:
		return "always"
	case Never:
		return "never"
	}
	return "auto"
}

// Preserve is a set of attributes carried from source to destination.
type Preserve uint8

const (
	PreserveMode       Preserve = 1 << iota // permission bits and POSIX ACLs
	PreserveOwnership                       // uid and gid (silently kept only where allowed, as cp does)
	PreserveTimestamps                      // atime and mtime, in nanoseconds
	PreserveLinks                           // hard links inside the copy, by (dev, ino)
	PreserveXattr                           // extended attributes, ACLs and capabilities included
	PreserveAll        = PreserveMode | PreserveOwnership | PreserveTimestamps | PreserveLinks | PreserveXattr
)

// Update decides what happens to a destination file that already exists.
type Update uint8

const (
	UpdateAll      Update = iota // replace it (cp's default)
	UpdateNone                   // keep it silently (cp -n, --update=none)
	UpdateNoneFail               // keep it and report an error (--update=none-fail)
	UpdateOlder                  // replace it only if it is older than the source (cp -u)
)

// Backup is how an existing destination is kept before it is replaced.
type Backup uint8

const (
	BackupNone     Backup = iota
	BackupSimple          // name + Suffix
	BackupNumbered        // name.~N~
	BackupExisting        // numbered if numbered backups exist, else simple
)

// Fsync is when written data is flushed to stable storage.
type Fsync uint8

const (
	FsyncNone Fsync = iota // leave it to the kernel (cp's behaviour)
	FsyncFile              // fsync each file before it is closed or renamed
	FsyncEnd               // one syncfs per destination filesystem at the end
)

// Options configures a copy. The zero value copies like cp -R -P: contents
// only, links as links, no attributes beyond the permission bits of new
// files (minus the umask).
type Options struct {
	Preserve Preserve
	// NoPreserveMode gives new files the default permissions, 0666 (0777
	// for directories and sockets) minus the umask, instead of the
	// source's, as cp --no-preserve=mode does. PreserveMode wins.
	NoPreserveMode bool
	// RequireXattr reports every extended attribute that cannot be
	// copied, as an error, as cp --preserve=xattr does. Without it such
	// failures are silent, as with cp -a (a destination that takes no
	// xattrs, or an attribute class only root may set).
	RequireXattr bool
	Deref        Deref
	Reflink      When
	Sparse       When

	// Update, Force, RemoveDestination and Backup are the overwrite policy.
	// Interactive, when set, is asked before an existing file is replaced;
	// returning false skips it.
	Update            Update
	Interactive       func(dst string) bool
	Force             bool // unlink a destination that cannot be opened, and retry
	RemoveDestination bool // unlink every existing destination file first
	Backup            Backup
	Suffix            string // for BackupSimple; "~" when empty
	// OpenDanglingSymlink writes through a destination symlink that
	// points nowhere, creating its target, where cp otherwise refuses
	// ("not writing through dangling symlink"); cp does so when
	// POSIXLY_CORRECT is set.
	OpenDanglingSymlink bool

	// HardLink and SymbolicLink make links instead of copying contents
	// (cp -l, cp -s).
	HardLink, SymbolicLink bool
	// OneFileSystem skips directories on other filesystems (cp -x).
	OneFileSystem bool
	// AttributesOnly copies no data (cp --attributes-only).
	AttributesOnly bool
	// CopyContents reads FIFOs and devices as files instead of recreating
	// them (cp --copy-contents). Without it they are never read.
	CopyContents bool
	// KeepDirectorySymlink lets an existing symlink to a directory stand in
	// for the destination directory (cp --keep-directory-symlink).
	KeepDirectorySymlink bool
	// NoTargetRecursion refuses to copy a directory (cp without -r);
	// such sources fail with ErrOmitDir.
	NoRecursion bool

	// Atomic writes each regular file to a temporary file in the
	// destination directory and renames it over the destination, so a
	// reader (or a crash) sees the old or the new file, never a mix.
	Atomic bool
	Fsync  Fsync

	// Jobs is how many files are copied at once; <= 0 means the CPU count.
	// The workers spend most of their time in system calls; with
	// GOMAXPROCS above Jobs the runtime leaves each its P during a call
	// (zcp sets GOMAXPROCS to Jobs+1, which measured 10-20 % faster on
	// two CPUs). More than MaxJobs is MaxJobs.
	Jobs int
	// Engine selects how a directory's small files are copied (zcp
	// --engine): one by one, or many at a time through io_uring.
	Engine Engine

	// ContinueOnError copies what it can and returns every error joined;
	// otherwise the first error stops the copy.
	ContinueOnError bool
	// OnError, when set, sees each error as it happens (for a command to
	// print it); the error is still counted and returned.
	OnError func(err error)

	// OnFile is called once for each entry copied, with how it was copied,
	// and for a regular file whose copy failed once decided (Failed set,
	// just before OnError: GNU cp -v names it before the error).
	// It may be called from several goroutines at once.
	OnFile func(FileReport)
	// OrderedOutput makes OnFile and OnError calls come in GNU cp's
	// order (operands in order, each tree depth first, a directory's
	// entries by inode number as GNU's readdir-then-sort gives them),
	// one at a time, whatever the number of jobs. A call is made as
	// soon as everything before it in that order is finished, so only
	// the calls ahead of the slowest unfinished entry are kept. Without
	// Interactive only: the questions come as the walk meets the files.
	OrderedOutput bool
	// Report asks the engine, for every file, how it copied it (method,
	// reflink, offload) even without OnFile, so that Summary.Methods is
	// filled. It costs a few fstat calls per file.
	Report bool
	// Progress is called at most every ProgressInterval (default 100 ms)
	// and once at the end; the totals come from a walk running beside the
	// copy and are final once TotalsKnown is true.
	Progress         func(Progress)
	ProgressInterval time.Duration

	// DataCopier moves the bytes of each regular file copied one by one;
	// nil is SyncCopier (zcopy's system calls).
	DataCopier DataCopier

	// CopyOptions are passed to zcopy.CopyContext for every file.
	CopyOptions []zcopy.Option
}

// DataCopier copies the data of a regular file whose source and destination
// are open: dst and src are their descriptors, at offset 0 unless the
// caller seeked them, and the caller closes them. It is the seam where
// another way of moving one file's bytes plugs in (a test records the
// descriptors through it); the default is [SyncCopier]. How many files
// are copied at once is the [Engine]'s choice, not this.
type DataCopier interface {
	CopyData(ctx context.Context, dst, src int, size int64, opts []zcopy.Option, r *zcopy.Report) (int64, error)
}

// SyncCopier moves bytes with [zcopy.CopyFD]: zcopy's methods on the bare
// descriptors, without an *os.File for each.
type SyncCopier struct{}

// MaxJobs is the most workers a copy runs. Each worker blocked in a
// system call holds an OS thread, and the Go runtime dies past 10,000
// threads ("thread exhaustion"); long before that more workers only queue
// on the same directory, device and memory locks.
const MaxJobs = 1024
