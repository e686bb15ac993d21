package fuse_test

import (
	"os"
	"testing"

	"github.com/zcopy/zcopy/internal/testutil"
)

// helperMains are the roles the test binary takes when re-executed with
// their name as first argument: a mount server (to be killed), a stress
// worker.
var helperMains = map[string]func(args []string) int{serveArg: serveMain}

func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		if main, ok := helperMains[os.Args[1]]; ok {
			os.Exit(main(os.Args[2:]))
		}
	}
	openSpliceDevNull()
	code := testutil.RunWithLeakCheck(m, releaseSplicePipes)
	removeBenchLower()
	removeZcp()
	os.Exit(code)
}
