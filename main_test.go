package zcopy_test

import (
	"os"
	"testing"

	"github.com/zcopy/zcopy/internal/kcopy"
	"github.com/zcopy/zcopy/internal/testutil"
)

func TestMain(m *testing.M) {
	code := testutil.RunWithLeakCheck(m, kcopy.ClosePipes)
	testutil.ReleaseShared() // loop mounts and devices shared by tests
	os.Exit(code)
}
