// Package fuse serves a [memfs.FS] to every process through a FUSE mount
// (Linux, github.com/hanwen/go-fuse/v2): a copy-on-write memory overlay of
// a host tree imported with [memfs.FS.Import], where a write stores only
// the bytes written and the host tree never changes.
//
// The server is thin: every request becomes a call of memfs's public API on
// the path of the inode (go-fuse keeps the tree of names the kernel knows),
// so namespace semantics, the memory limit (ENOSPC) and holes are memfs's.
// What the kernel asks for and how it is answered:
//
//   - lookup, getattr, setattr (mode, owner, size, atime and mtime, also of
//     symlinks), readdir and readdirplus (a snapshot taken at opendir, so
//     offsets are stable), statfs (blocks: the memory limit, or the
//     machine's RAM without one; free: what the limit leaves);
//   - create, mknod (regular files only: memfs has no device, FIFO or socket
//     files, so other types fail with EPERM), mkdir, unlink, rmdir, rename
//     with RENAME_NOREPLACE and RENAME_EXCHANGE ([memfs.FS.Rename2]:
//     rename(2)'s rules, a directory replaces an empty one atomically),
//     link, symlink, readlink;
//     new files and directories get the caller's uid and gid (the group of
//     a setgid parent directory), as on Linux;
//   - open, read, write, flush, fsync, release; reads of a range that is
//     one untouched host extent are answered with the host file's
//     descriptor, which go-fuse splices to the kernel, so host data is not
//     copied through the server's memory (requests of up to 512 KiB, a 4
//     MiB readahead window);
//   - fallocate: mode 0 and FALLOC_FL_KEEP_SIZE reserve nothing (memfs
//     allocates on write), FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE is
//     [memfs.File.PunchHole], which frees the range's memory; the other
//     modes fail with EOPNOTSUPP, as on tmpfs; lseek SEEK_DATA and
//     SEEK_HOLE (memfs's holes, exact to the byte),
//     copy_file_range inside the mount (host extents are shared, so a copy
//     of imported data costs no memory; heap bytes are copied and charged);
//   - extended attributes in the user, trusted and security namespaces,
//     stored by the server per inode (values up to 64 KiB, 1 MiB per
//     inode) until the last link is gone and the kernel forgets the
//     inode, so a file unlinked while open keeps them for its
//     descriptors, as on tmpfs; POSIX ACLs are refused by the kernel (no
//     FUSE_POSIX_ACL).
//
// The mount uses default_permissions: the kernel checks access against
// the modes and owners memfs stores. As root the server mounts with
// mount(2) itself; otherwise it needs the setuid fusermount3 (Debian
// fuse3) and read and write access to /dev/fuse, which fusermount3 opens
// as the calling user.
//
// With [Options.Passthrough] (FUSE passthrough, Linux 6.9 or later, as
// root), a read-only open of a file whose bytes are all one untouched host
// range (a file imported and not written, truncated or grown since) is
// handed to the kernel with a read-only descriptor of the host file: the
// kernel reads and maps the host file itself and no read reaches the
// server, as fast as kernel overlayfs. A passthrough open would keep
// reading the host file whatever memfs stored later, and the kernel
// allows no other kind of open of the inode beside it, so while one
// exists, whatever would change the file's bytes or size fails with
// ETXTBSY (Linux's errno for writing a running executable): opening it
// for writing, O_TRUNC, truncate. The check waits up to half a second for
// the passthrough opens to be released (FUSE delivers a release after
// close(2) returns). That is the trade-off against tmpfs, which lets a
// file be written while it is read; so passthrough is off by default.
// Files opened while a writer has the file open, files with bytes in
// memory, and files on a stacked host filesystem (overlayfs, FUSE: the
// kernel refuses them as backing files) are read through the server as
// without it.
//
// The server spends its time in system calls (/dev/fuse, the host files):
// with more than one P, the Go scheduler wakes idle threads at every
// request, and a process that does nothing but serve (cmd/zmount) is
// faster with GOMAXPROCS=1 for many small requests (BENCHMARKS.md,
// zmount). The package leaves GOMAXPROCS to its caller.
//
// A process must not map (mmap) files of a mount it serves itself: a page
// fault that waits for the server can wait for ever, as the Go runtime
// waits for the faulting thread to stop the world. Other processes may.
//
// A server that dies leaves its mount point in place, answering ENOTCONN;
// umount (or fusermount3 -u) clears it. On other systems than 64-bit Linux,
// [Mount] returns an error matching [errors.ErrUnsupported] (see
// [Supported]; go-fuse does not build for 32-bit architectures).
package fuse
