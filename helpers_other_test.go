//go:build !linux

package zcopy_test

import (
	"os"
	"testing"
)

func fsType(testing.TB, string) string { return "" }

// allocatedBytes is only asked for on Linux.
func allocatedBytes(t testing.TB, _ *os.File) int64 {
	t.Fatal("allocatedBytes outside Linux")
	return 0
}
