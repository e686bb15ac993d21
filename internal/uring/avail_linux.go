package uring

import (
	"sync"
)

// availability caches the answer of [Available]; tests reset it.
var availability struct {
	sync.Mutex
	done bool
	err  error
	ops  [opLast + 1]bool
}

// Available reports whether this process can use io_uring, probing once
// (a ring of two entries, set up and closed) and caching the answer. The
// error matches [ErrUnavailable] and says why: ENOSYS, EPERM from seccomp
// or kernel.io_uring_disabled, no IORING_REGISTER_PROBE.
func Available() error {
	availability.Lock()
	defer availability.Unlock()
	if !availability.done {
		availability.err = probeOnce()
		availability.done = true
	}
	return availability.err
}

// Supported reports whether the kernel offers opcode op; false when
// io_uring is unavailable.
func Supported(op uint8) bool {
	if Available() != nil || int(op) >= len(availability.ops) {
		return false
	}
	availability.Lock()
	defer availability.Unlock()
	return availability.ops[op]
}

func probeOnce() error {
	r, err := NewRing(2)
	if err != nil {
		return err
	}
	availability.ops = r.ops
	return r.Close()
}

// resetAvailability forgets the cached probe (tests).
func resetAvailability() {
	availability.Lock()
	availability.done, availability.err = false, nil
	availability.Unlock()
}

// Disable makes [Available] report err (wrapped as an [UnavailableError])
// until restore is called: tests use it to check that callers fall back.
func Disable(err error) (restore func()) {
	availability.Lock()
	oldDone, oldErr := availability.done, availability.err
	availability.done, availability.err = true, &UnavailableError{Reason: "disabled: " + err.Error(), Err: err}
	availability.Unlock()
	return func() {
		availability.Lock()
		availability.done, availability.err = oldDone, oldErr
		availability.Unlock()
	}
}
