package eintr

import (
	"errors"
	"syscall"
	"testing"
)

// TestRetry: EINTR is retried, any other result (nil, another errno, a
// wrapped EINTR) is returned as it is.
func TestRetry(t *testing.T) {
	wrapped := errors.Join(syscall.EINTR)
	for _, final := range []error{nil, syscall.EAGAIN, wrapped} {
		calls := 0
		err := Retry(func() error {
			if calls++; calls < 3 {
				return syscall.EINTR
			}
			return final
		})
		if err != final || calls != 3 {
			t.Errorf("Retry ending in %v: got %v after %d calls, want it after 3", final, err, calls)
		}
		calls = 0
		v, err := RetryValue(func() (int, error) {
			if calls++; calls < 3 {
				return -1, syscall.EINTR
			}
			return 7, final
		})
		if v != 7 || err != final || calls != 3 {
			t.Errorf("RetryValue ending in %v: got (%d, %v) after %d calls", final, v, err, calls)
		}
	}
}
