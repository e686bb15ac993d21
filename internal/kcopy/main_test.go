package kcopy

import (
	"os"
	"testing"

	"zcopy/internal/testutil"
)

func TestMain(m *testing.M) {
	os.Exit(testutil.RunWithLeakCheck(m, ClosePipes))
}
