// Package memfs is an in-memory filesystem whose files are lists of
// extents, so that large files cost memory only for the bytes written to
// them: a file can be a zero-copy view of host files, holes cost nothing,
// and a memory limit bounds the rest. It is meant for sandboxes and test
// filesystems that hold large files without copying them (WASM runtimes,
// build systems, test suites).
//
// # Files
//
// A regular file's data is a set of extents in a B-tree keyed by file
// offset (O(log n) to reach any offset):
//
//   - host extents: a range of a host file, read through a read-only
//     shared mapping made on first read, or with pread(2) on tmpfs (see
//     Host files);
//   - fills: a run of one byte; holes (writes past the end, growing
//     Truncate, [File.PunchHole]) are fills of zero and read as zeros;
//   - heap extents: bytes in memory, written in place; a write over host
//     or fill ranges allocates heap memory for exactly the bytes written,
//     appending to a heap neighbour when it can (up to 1 MiB), so that a
//     sequentially written file stays one extent per MiB, or merging with
//     a small heap neighbour on the right (up to 64 KiB).
//
// Adjacent fills of one byte and contiguous ranges of one host file merge.
// [File.ImportRange], [FS.ImportFile], [File.ReadFrom] of an *os.File and
// [FS.Import] of a whole tree make host extents in O(1) per file, reading
// no data.
//
// # The filesystem
//
// [FS] has directories, regular files, symlinks and hard links, stores
// permissions, owners and nanosecond timestamps (but enforces none: open
// flags decide what a handle may do), renames atomically (whole subtrees
// too), and keeps the data of a file unlinked while open until its last
// handle closes. The read side is io/fs (FS, ReadFileFS, ReadDirFS,
// StatFS, SubFS, ReadLinkFS; checked with testing/fstest.TestFS); the
// write side has the method set of [os.Root] and its errors: an
// *fs.PathError (or *os.LinkError) around the errno Linux gives, so
// errors.Is(err, fs.ErrNotExist) and the rest work; see Differences from
// Linux for where it departs on purpose.
//
// # Differences from Linux
//
// Path resolution, errors, modes (the umask, mkdir(2) dropping S_ISGID, a
// set-gid directory passing on its group and, to directories, its bit),
// times and the memory limit follow Linux on a tmpfs opened with
// os.OpenRoot; the tests compare them with it. memfs differs on purpose
// here:
//
//   - Permissions, owners and groups are stored, never enforced: no
//     EACCES or EPERM from modes, no S_ISUID/S_ISGID cleared by a write,
//     a chown or a creator outside the group. memfs knows no caller
//     identity per call; a sandbox in front of it enforces its policy.
//   - Reads do not update access times (like a noatime mount): they take
//     only read locks.
//   - A write the memory limit refuses writes nothing (ENOSPC), where a
//     full tmpfs writes what fits and returns a short count: a refused
//     write leaves the file as it was.
//   - Where os.Root answers differently from the kernel, memfs answers
//     like os.Root, whose method set it has (memfs/wasi turns these into
//     the kernel's answers for WASI guests):
//     Rename never replaces a directory (EEXIST, as os.Rename checks; the
//     kernel: EISDIR for a file onto a directory, or replaces an empty
//     one, as [FS.Rename2] does, which has rename(2)'s rules); a name ending in "/" given to OpenFile with O_CREATE, Link or
//     Symlink is looked at first, following a symlink: ENOENT if missing
//     or dangling, ENOTDIR for a file, EISDIR or EEXIST for a directory
//     (open(2) says EISDIR, also through a final symlink to a "name/";
//     link(2) and symlink(2) EEXIST for any existing entry, else
//     ENOENT; nothing is created either way); Link and Rename resolve the
//     new name's parent before looking at the old name (link(2) and
//     rename(2) first find the old name: ENOENT if missing); Rename
//     follows a final symlink named with a trailing slash (rename(2) says
//     ENOTDIR); a NUL byte is EINVAL once the walk reaches its component
//     (a system call refuses the whole path); absolute symlinks and ".."
//     above the root fail with "path escapes from parent".
//   - OpenFile and Mkdir take set-uid, set-gid and sticky bits in perm
//     and apply open(2)'s and mkdir(2)'s rules to them, where os.Root
//     refuses any bit beyond 0o777.
//   - Up to 40 symlinks are followed in one lookup, as the kernel does
//     (os.Root stops at 8).
//   - Directories have size 0 and a listing in name order; Seek on a
//     directory only restarts the listing (at offset 0). There are no
//     device files, FIFOs or sockets; inode numbers are memfs's own.
//   - Host extents are a live view of their host files (see Host files),
//     not a copy.
//   - Holes are exact to the byte for SEEK_DATA and SEEK_HOLE, where
//     tmpfs keeps whole pages: there a page holding any byte written is
//     data, also when [File.PunchHole] (fallocate(2) there) has zeroed
//     the rest of it; the bytes read the same.
//
// # Memory limit
//
// [WithMemoryLimit] sets a budget for heap data: the file bytes held in
// memory, counted like a tmpfs of that size counts its pages, so that a
// 64 KiB budget holds 64 KiB of data however it is written. They are
// charged before any memory is allocated and refunded when overwritten by
// a host range, truncated or punched away, or dropped with the last link
// and last handle (see [Usage] for the buffers' spare capacity). A write that
// would exceed the budget fails with an error matching syscall.ENOSPC and
// changes nothing. Holes and host extents are free;
// [FS.Usage] reports heap, offloaded and hole bytes separately.
//
// # Host files
//
// Host extents are a live view of their host file, not a snapshot: if
// another process changes the host bytes after the import, reads of the
// memfs file see the new bytes (until they are overwritten in memfs;
// memfs never writes to host files). If the host file grows, the memfs
// file keeps the size it had at import. If it shrinks, every read of the
// lost range (Read, ReadAt, WriteTo, io.Copy, zcopy.CopySegments, Export,
// copytree.CopyFS) returns an error wrapping syscall.EIO (a
// [*BackingError]) after the bytes before it, never zeros in their
// place, and never crashes the process with SIGBUS: every copy out of a
// mapping runs with runtime/debug.SetPanicOnFault on the reading
// goroutine and recovers the fault, the host file's size is checked after
// the copy (the page it now ends in reads as zeros past its end without a
// fault), and no slice of a mapping is ever handed to callers. Reading
// never allocates a host file's holes: files on tmpfs (and ramfs,
// hugetlbfs), where a fault on a shared mapping would allocate the page,
// are read with pread(2) instead, which reads holes as zeros. If the path
// of a tree import names a different file when it is first opened
// (replaced by a rename), reads fail with syscall.ESTALE.
// [FS.ImportSnapshot] (Linux) takes a snapshot instead: a kernel copy into
// a memfd sealed against shrinking, growing and writing, so later host
// changes never show and no read can fault; it costs memory, charged to
// the limit.
//
// Imported trees open no host file until it is read: a bounded cache
// (128 entries) keeps the most recently read host files open and mapped;
// [FS.Close] unmaps and closes them all.
//
// # Copying out
//
// [File] implements zcopy.SegmentReader and io.WriterTo, so io.Copy and
// zcopy.Copy from a memfs file to a host file move host extents with
// copy_file_range (sendfile to a socket), leave holes as holes and write
// only heap bytes. [FS.Export] writes a whole tree that way, and so does
// copytree.CopyFS with a memfs as its source fs.FS.
//
// # Concurrency and lock order
//
// All methods are safe for concurrent use. The locks, in the order they
// are taken:
//
//  1. File.mu: a handle's offset and directory listing;
//  2. the filesystem's namespace RWMutex: directory entries, parents and
//     link counts; read-locked for lookups, write-locked for changes, so
//     every namespace change is atomic;
//  3. an inode's RWMutex: its metadata and data; read-locked for reads,
//     write-locked for writes; at most one inode lock is held at a time;
//  4. the host-file cache's mutex, a leaf: no system call runs under it.
//
// The memory limiter is lock-free. No lock of memfs is held while a
// SegmentReader's emit runs.
package memfs
