// Package uring is zcopy's io_uring engine, in pure Go on
// golang.org/x/sys/unix: a ring (setup, feature probe, the submit/complete
// protocol), a pipelined big-file copy in the manner of liburing's
// io_uring-cp ([Copy]), and chains of openat/statx/openat/read/write/close
// for trees of many small files ([CopyFiles]).
//
// # Ownership and memory
//
// A [Ring] belongs to one goroutine, which holds runtime.LockOSThread for
// the ring's whole life: the ring is created with IORING_SETUP_SINGLE_ISSUER
// and IORING_SETUP_DEFER_TASKRUN where the kernel offers them, and both
// require every submission and wait to come from the creating thread. The
// engines here create, use and close their rings inside one call.
//
// Nothing the kernel reads or writes after a submission lives on the Go
// heap: data buffers, paths, statx results and wait arguments are carved
// from an anonymous mmap owned by the ring (an [Arena]), and an SQE's
// user_data is a slot index, never a Go pointer. The arena is released only
// after every submitted operation has completed: Close cancels what is in
// flight and waits for its completions first, then hands the arena to the
// next ring (first-touch page faults of a fresh mapping cost more than a
// small batch's copy) or unmaps it.
//
// # Small-file chains
//
// [CopyFiles] may open its descriptors as fixed files ([FixedOn]: a
// registered file table, opens direct into it, reads and writes with
// IOSQE_FIXED_FILE) and may open each source before looking at it
// ([FilesConfig.OpenFirst]: the source open completes inline, its statx is a
// plain system call on the descriptor, where the ring's statx always goes
// to a kernel worker). Both are measured in BENCHMARKS.md (io_uring) and
// off by default; [FilesConfig.Accept] lets a caller decline a file after
// its statx, before anything is created.
//
// # Availability
//
// io_uring can be missing (ENOSYS), forbidden (EPERM from seccomp, as in
// Docker's default profile, or kernel.io_uring_disabled), or unable to
// register buffers (RLIMIT_MEMLOCK). [Available] probes once and says why,
// as an error matching [ErrUnavailable]; callers then take their other
// paths. Registered buffers that cannot be registered are simply not used.
//
// On systems other than Linux the package only declares its API: every
// entry point reports [ErrUnavailable].
package uring
