package uring

import "errors"

// ErrUnavailable matches every error that means io_uring cannot be used on
// this system, for whatever reason: test with errors.Is and take another
// path.
var ErrUnavailable = errors.New("io_uring unavailable")

// UnavailableError says why io_uring cannot be used. It matches
// [ErrUnavailable] and, through Unwrap, the errno behind it.
type UnavailableError struct {
	Reason string // "io_uring_setup: operation not permitted (...)"
	Err    error  // the errno, if any
}

func (e *UnavailableError) Error() string { return "io_uring unavailable: " + e.Reason }

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

func (e *UnavailableError) Unwrap() error { return e.Err }
