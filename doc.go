// Package zcopy is a drop-in replacement for [io.Copy] that moves bytes
// with the fastest correct Linux system call for the pair of descriptors
// under dst and src.
//
//	n, err := zcopy.Copy(dst, src)                     // io.Copy's contract
//	n, err = zcopy.CopyN(dst, src, 1<<20)              // io.CopyN's contract
//	n, err = zcopy.CopyContext(ctx, dst, src, opts...) // cancellable, with options
//
// # Paths
//
// Both sides are unwrapped ([*io.LimitedReader], [*io.SectionReader],
// [*bufio.Reader], [*bufio.Writer]) down to a type whose descriptor zcopy
// may use in place of its methods: [*os.File], [*net.TCPConn],
// [*net.UnixConn], [*net.UDPConn], [*net.IPConn], or a type that opts in by
// implementing [Descriptor]. A user type that merely embeds one of these is
// copied through its own methods, exactly as io.Copy copies it. Each
// descriptor is classified once with fstat(2), and the pair picks its
// methods:
//
//	regular file -> regular file     copy_file_range for the first MiB, then clone
//	                                 (FICLONERANGE), copy_file_range, sendfile
//	file, block or char device ->
//	    tcp/unix socket              sendfile, splice through a pooled pipe
//	    pipe                         splice, sendfile
//	    block/char device            sendfile
//	pipe -> anything                 splice
//	tcp/unix socket -> pipe          splice
//	tcp/unix socket -> other         splice through a pooled pipe
//	everything else                  read/write loop with a buffer sized for the pair
//
// A method that cannot serve the pair (EXDEV, EINVAL, EOPNOTSUPP, a 0-byte
// first call on a procfs file, ...) falls back to the next one. A method
// that refuses to go on after it moved bytes (an O_DIRECT source's
// unaligned tail, a file-size limit, a sealed memfd) hands the rest to the
// next method or the read/write loop, which meets the real error: such a
// refusal never ends a copy as if at EOF. Errors such as ENOSPC, EIO or
// EPIPE end the copy. Datagram and seqpacket destinations get the 32 KiB
// messages io.Copy sends; a copy to a stdout or stderr pipe whose reader
// went away dies of SIGPIPE as io.Copy's os.File.Write makes it.
// Fallbacks that are properties of the filesystem pair are cached, so the
// next copy does not probe again. Small copies skip what only pays off on
// large ones. Types without a descriptor (bytes.Buffer, a gzip.Writer, ...)
// go through io.Copy unchanged, as they do on other systems.
//
// A copy that splices into or out of a caller's pipe raises the pipe's
// capacity to 1 MiB (F_SETPIPE_SZ) once it has moved 256 KiB, and sets it
// back afterwards where the pipe's contents allow: with 64 KiB the two
// processes hand over sixteen times as often.
//
// The destination's offset moves as io.Copy would move it; O_APPEND
// destinations are written with write(2). A *bufio.Reader's buffered bytes
// are written first; a *bufio.Writer is flushed first.
//
// # Semantics of the fast mode
//
// sendfile and splice from a regular file into a socket or pipe leave
// references to the file's pages in the socket or pipe buffer: if the file
// is overwritten after Copy returns but before the peer has read the bytes,
// the peer may see the new bytes. Go's io.Copy already does this for file ->
// TCP and file -> Unix socket. [Strict] forbids such paths.
//
// # Small copies
//
// For the pairs Go's own types make most often (two *os.File, an *os.File
// and a TCP or Unix conn) zcopy first tries the likely method without
// classifying the descriptors, so a small copy makes the same system calls
// as io.Copy; a wrong guess costs one failed call.
//
// # Extending
//
// Methods are a table (see fast_linux.go): another engine is a further
// [Method] with a slot in that table and a place in the per-pair order;
// callers do not change. The io_uring engine is one: [Uring]. By default
// it copies only large ext4 files that are mostly not in the page cache,
// the one case where it measured faster than copy_file_range (sendfile
// beats it into sockets); Only(Uring) forces it and [WithUring] tunes it
// (see BENCHMARKS.md, io_uring). Endpoints without a
// descriptor, such as in-memory files, take part through io.WriterTo and
// io.ReaderFrom, which Copy honours exactly as io.Copy does; one whose bytes
// live in a host file can hand Copy an [*io.SectionReader] over that file to
// stay on the fast path.
//
// # Reports
//
// [WithReport] tells which method moved the bytes and why others were
// skipped, printable in one line like cp --debug. [Only] and [Without]
// force or forbid methods, for benchmarks and for testing the fallbacks.
// [WithProgress] reports progress without leaving the fast path.
package zcopy
