package zcopy_test

import (
	"os"
	"testing"

	"zcopy/internal/kcopy"
	"zcopy/internal/testutil"
)

func TestMain(m *testing.M) {
	code := testutil.RunWithLeakCheck(m, kcopy.ClosePipes)
	testutil.ReleaseShared() // loop mounts and devices shared by tests
	os.Exit(code)
}
