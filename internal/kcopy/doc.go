// Package kcopy moves bytes between two file descriptors with the Linux copy
// system calls: FICLONERANGE, copy_file_range(2), sendfile(2) and splice(2),
// plus an mmap+write loop.
//
// It is the mechanism under package zcopy and holds no policy: the caller
// classifies both descriptors ([Classify]), decides which methods to try and
// in what order, and falls back to a read/write loop. Every method has the
// shape
//
//	func(p *Pair, remain int64) (written int64, handled bool, err error)
//
// where remain < 0 means "until end of file". handled == false means that no
// byte moved and err, when set, says why the method does not apply (usually a
// bare [syscall.Errno]); the caller may then try the next method.
// handled == true with a non-nil err is a real failure after written bytes,
// except for [ErrContinue], which asks the caller to finish the copy with
// another method.
//
// Blocking follows Go's rules: descriptors registered with the runtime
// poller wait through [syscall.RawConn]; descriptors that are non-blocking but
// not registered are waited on with poll(2). No method ever spins on EAGAIN.
// EINTR is retried in one place, package internal/eintr.
//
// On systems other than Linux this package only declares its types.
package kcopy
