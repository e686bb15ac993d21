// Package eintr holds zcopy's one retry loop for system calls interrupted
// by a signal. Go installs its signal handlers with SA_RESTART, yet some
// system calls still report EINTR (golang/go#22838, #38033, #38836,
// #40846): open(2) of a FIFO, some network filesystems, poll(2). x/sys/unix
// does not retry, so every package of zcopy retries through this one.
// close(2) is never retried: the descriptor is gone whatever it returns.
package eintr

import "syscall"

// Retry calls fn until it returns something other than EINTR.
func Retry(fn func() error) error {
	for {
		if err := fn(); err != syscall.EINTR {
			return err
		}
	}
}

// RetryValue is [Retry] for calls that also return a value.
func RetryValue[T any](fn func() (T, error)) (T, error) {
	for {
		v, err := fn()
		if err != syscall.EINTR {
			return v, err
		}
	}
}
