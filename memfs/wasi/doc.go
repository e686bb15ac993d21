// Package wasi gives WebAssembly guests run by wazero a memfs filesystem:
// [New] wraps a [memfs.FS] as wazero's writable filesystem interface,
// experimental/sys.FS, whose files are experimental/sys.File. Mounted at
// "/" with [FS.Mount] (or wazero's own sysfs.FSConfig.WithSysFSMount), the
// guest's WASI calls (path_open, fd_read, fd_write, fd_readdir,
// path_filestat_get, path_rename, ...) reach memfs without a system call.
//
// Over an overlay of a host tree ([memfs.FS.Import]) a guest gets a
// copy-on-write view of it: it reads the host's bytes through host extents,
// writes freely into memory, and the host tree never changes. What the
// guest changed can then be exported with [memfs.FS.Export] or
// copytree.CopyFS.
//
// # Semantics
//
// The adapter answers with the errno Linux (and wazero's sysfs.DirFS over
// a host directory, the oracle its tests run against) would give:
//
//   - inode numbers are memfs's, stable for the life of a file; the device
//     ID is one per [FS] (so os.SameFile works in the guest);
//   - timestamps have nanoseconds, and Utimens sets them exactly;
//   - a directory listing is taken when first read, so files created or
//     removed while a guest lists a directory never make fd_readdir skip
//     or repeat an entry; rewinding (cookie 0) takes a new listing;
//   - rename(2)'s rules where memfs's Rename has os.Rename's (memfs's
//     Rename2): a directory replaces an empty directory atomically, a
//     file onto a directory is EISDIR, a directory onto a non-empty one
//     ENOTEMPTY;
//   - the kernel's path rules where memfs has os.Root's (see memfs's
//     Differences from Linux): O_CREAT on a name ending in "/", or
//     through a final symlink to one, is EISDIR once the parent
//     resolves; link(2) and symlink(2) onto a name ending in "/" give
//     EEXIST for any existing entry, else ENOENT; link(2) looks the old
//     name up first; rename(2) resolves both parents, then the old name,
//     and a trailing slash on either name only requires the old name, not
//     followed, to be a directory (ENOTDIR);
//   - errors wazero has no Errno for (ENOSPC from memfs's memory limit,
//     EFBIG, ESTALE) reach the guest as EIO, as they do through DirFS.
//
// Symlinks with absolute targets cannot be created (EPERM, as DirFS), and
// memfs resolves no symlink out of its root.
//
// memfs has no unlink-only or rmdir-only call and no O_NOFOLLOW, and
// checks paths in os.Root's order, so Unlink, Rmdir, Rename, Link,
// Symlink and OpenFile with O_NOFOLLOW (or O_CREAT on a name ending in
// "/") look at the names (Lstat, Stat) before acting on them: a file
// replaced between the two by another guest or the host is not noticed. The renames that replace a directory take
// three memfs calls, serialized by the FS (not against other users of the
// memfs.FS).
package wasi
