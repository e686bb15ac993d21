package copytree_test

import (
	"os"
	"testing"

	"github.com/zcopy/zcopy/internal/testutil"
)

func TestMain(m *testing.M) {
	code := testutil.RunWithLeakCheck(m, nil)
	testutil.ReleaseShared() // loop mounts shared by the reflink tests
	os.Exit(code)
}
