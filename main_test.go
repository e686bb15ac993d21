package zcopy_test

import (
	"os"
	"testing"

	"zcopy/internal/kcopy"
	"zcopy/internal/testutil"
)

func TestMain(m *testing.M) {
	os.Exit(testutil.RunWithLeakCheck(m, kcopy.ClosePipes))
}
