package fuse_test

import (
	"os"
	"testing"

	"github.com/zcopy/zcopy/internal/testutil"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == serveArg {
		// The test binary re-executed as a mount server (kill -9 test).
		os.Exit(serveMain(os.Args[2:]))
	}
	openSpliceDevNull()
	os.Exit(testutil.RunWithLeakCheck(m, releaseSplicePipes))
}
