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
// user_data is a slot index, never a Go pointer. The arena is unmapped only
// after every submitted operation has completed: Close cancels what is in
// flight and waits for its completions first.
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
