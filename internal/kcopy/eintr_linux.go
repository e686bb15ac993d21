package kcopy

import "golang.org/x/sys/unix"

// ignoringEINTR calls fn until it returns something other than EINTR. Go
// installs its signal handlers with SA_RESTART, yet some system calls still
// report EINTR (golang/go#22838, #38033, #38836, #40846); x/sys/unix does
// not retry, so this is the one place in zcopy that does.
func ignoringEINTR(fn func() error) error {
	for {
		if err := fn(); err != unix.EINTR {
			return err
		}
	}
}

// ignoringEINTR2 is [ignoringEINTR] for calls that also return a value.
func ignoringEINTR2[T any](fn func() (T, error)) (T, error) {
	for {
		v, err := fn()
		if err != unix.EINTR {
			return v, err
		}
	}
}
