package wasi_test

import (
	"os"
	"testing"

	"github.com/zcopy/zcopy/internal/testutil"
)

func TestMain(m *testing.M) {
	os.Exit(testutil.RunWithLeakCheck(m, nil))
}
