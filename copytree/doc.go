// Package copytree copies files and directory trees the way GNU cp does,
// moving every file's bytes with zcopy's fastest system call and copying
// trees in parallel. It is the library under the zcp command.
//
//	sum, err := copytree.Copy(ctx, "src", "dst", copytree.Options{Preserve: copytree.PreserveAll}) // cp -a src dst (dst new)
//	c := copytree.New(opts); c.Copy(ctx, "a", "t/a"); c.Copy(ctx, "b", "t/b")                  // several operands
//	errs := c.CopyOperands(ctx, []copytree.Operand{{"a", "t/a"}, {"b", "t/b"}})                  // the same, at once where it cannot show
//	sum, err := copytree.CopyFS(ctx, "dst", fsys, opts)                                          // an fs.FS, like os.CopyFS
//
// Copy's destination is the name the copy gets (cp -T): working out
// "dir/base(src)" for a destination directory is the caller's business,
// as it is cp's.
//
// # What is kept
//
// [Options.Preserve] selects mode (with POSIX ACLs), ownership, timestamps
// in nanoseconds, extended attributes (ACLs and security.capability
// included) and hard links (by device and inode, also across the operands
// of one [Copier]). Symbolic links are copied as links unless
// [Options.Deref] says to follow them; a followed loop is reported as
// cp reports it. FIFOs, sockets and device nodes are recreated with
// mknod(2), never opened, unless [Options.CopyContents] is set. Sparse
// files keep their holes (SEEK_DATA/SEEK_HOLE, a trailing hole by
// ftruncate); [Always] also turns zero runs into holes.
//
// # Order and safety
//
// The walk and every creation work relative to directory descriptors:
// directories are opened with openat2(RESOLVE_NO_SYMLINKS) and files with
// O_NOFOLLOW|O_EXCL, so a symbolic link planted in the destination during
// the copy is never written through below the destination root (the
// destination of a file operand, DEST or DIR/NAME, is followed where cp
// follows it). New files are created with permissions
// withheld (0600 at most) until their owner and mode are set; ownership
// is set before extended attributes, which chown would clear
// (security.capability), and mode after ownership, which clears set-id
// bits. A directory's mode and times are applied after its children, so
// read-only source directories copy. A copy whose owner could not be set
// to the source's loses its set-id and sticky bits (GNU). A source that
// vanishes during the walk fails that entry only; one that shrinks while
// it is copied gives a prefix of what was read. With [Options.Atomic] each
// file is written to a temporary name (.zcp-tmp.PID.N.NAME) in its
// directory and renamed over the destination, so the old file survives
// any failure, ENOSPC or kill -9 included.
//
// # Existing destinations
//
// Nothing is removed that the options did not ask to replace. The rules,
// GNU cp 9.1's (copy_internal, copy_reg), for every path that unlinks,
// renames or truncates a destination (overwrite_linux.go decides):
//
//   - A free name is created with O_CREAT|O_EXCL|O_NOFOLLOW: nothing
//     existing is touched, and nothing but that open is paid.
//   - An existing non-directory goes through the overwrite policy first:
//     [Options.Update], [Options.Interactive], same file, and a file (or
//     symlink) an earlier operand created ([Copier.RefuseJustCreated]). A
//     skipped name is left alone and is never a hard-link target.
//   - [Options.Backup] renames it to the backup name ([Options.Atomic]
//     hard-links it there instead, and the rename at the end replaces it).
//   - It is unlinked before the copy is created only for
//     [Options.RemoveDestination]; with [PreserveLinks] when it has other
//     names; when the source is not a regular file and is not
//     dereferenced (a symlink, FIFO or device is recreated); and, zcp's
//     rule, when it is a symlink below the destination root where a file
//     goes (replaced, never written through). Not with AttributesOnly.
//   - Otherwise it is opened O_WRONLY|O_TRUNC (O_WRONLY with
//     AttributesOnly) and written into, never unlinked: regular files
//     are truncated and rewritten; devices, FIFOs and pipes get a plain
//     write loop (no holes, no truncation). A symlink that is an operand's
//     destination is followed, as cp follows it.
//   - [Options.Force] unlinks it only after that open failed, then creates.
//   - [Options.Atomic] writes a regular file to .zcp-tmp.PID.N.NAME in the
//     directory of the file it replaces (a symlink operand's target) and
//     renames it over the name at the end; an existing file is replaced
//     only if it could be opened for writing (or with Force), and the
//     copy keeps its mode, owner, extended attributes. A failure removes
//     the temporary file only.
//   - HardLink and SymbolicLink keep an existing name ("File exists")
//     unless a backup, the unlink cases above, Force (or, for HardLink,
//     Interactive answering yes) replace it; the link is then made under
//     a temporary name and renamed over, so a failed link leaves the old
//     name. HardLink onto the source itself changes nothing.
//   - A further name of a hard-linked source ([PreserveLinks]) replaces an
//     existing name the policy lets go, by link and rename (under
//     [UpdateOlder] even a newer one, as GNU's copy.c does "even if it
//     was a newer separate file"); symlinks and
//     special files replace one only by the unlink cases, or a symlink with
//     Force by link and rename; otherwise "File exists".
//   - ftruncate only sets the length of the regular file being written: a
//     sparse copy's end, never beyond what the source still holds.
//   - Cleanup unlinks only what this copy created: the empty file a failed
//     [Always] reflink left, the partial files io_uring made in a
//     directory the copy created, a ring copy that must become a hard link
//     or be redone.
//   - [CopyFS] follows the same rules: written into, removed only for
//     RemoveDestination, a symlink, or Force after a failed open.
//
// # Parallelism and resources
//
// [Options.Jobs] workers take tasks newest first: a directory's entries
// are handled in batches of 256, and the batches of a large directory are
// shared between workers, so a single flat directory is copied in
// parallel too. The walk streams: memory and open descriptors are bounded
// by the number of workers (two descriptors per directory being copied,
// a few batches queued per worker), whatever the depth or width of the tree.
//
// # Reports
//
// [Options.OnFile] receives a [FileReport] per entry: the zcopy method
// that moved the bytes and the reflink, offload and sparse outcomes that
// GNU cp --debug prints ([FileReport.Debug]). [Options.Progress] receives
// files and bytes done and the totals, counted by a walk that runs beside
// the copy. Errors are [*Error] values whose text is GNU cp's message
// without the program name, and which match the sentinels ([ErrSameFile],
// [ErrIntoItself], ...) and the errno with errors.Is.
//
// # Engines
//
// The bytes of each regular file go through a [DataCopier]; [SyncCopier]
// calls zcopy.CopyFD on the two descriptors, which picks the method as
// zcopy.CopyContext does without wrapping each file in an *os.File.
// [Options.Engine] = [EngineUring] instead copies the small regular files of
// each directory the copy creates through io_uring chains, many at a time,
// and applies their metadata afterwards; everything else takes the per-file
// path.
//
// The tree copier needs Linux; elsewhere Copy returns an error matching
// errors.ErrUnsupported, and CopyFS works with the os package.
package copytree
