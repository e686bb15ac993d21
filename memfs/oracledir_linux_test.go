package memfs_test

import (
	"testing"

	"github.com/zcopy/zcopy/internal/testutil"
)

// oracleDir is where differential tests keep Linux's side: a directory on
// the tmpfs at /dev/shm, which memfs mirrors (sizes up to MaxInt64 too).
func oracleDir(t *testing.T) string { return testutil.ShmDir(t) }
