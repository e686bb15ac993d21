package memfs_test

import (
	"os"
	"testing"

	"github.com/zcopy/zcopy/internal/testutil"
)

func TestMain(m *testing.M) {
	code := testutil.RunWithLeakCheck(m, nil)
	removeBenchFiles()
	os.Exit(code)
}
