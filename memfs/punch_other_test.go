//go:build !linux

package memfs_test

import "os"

// osPunchHole: only Linux has fallocate(2).
func osPunchHole(f *os.File, off, n int64) (ok bool, err error) { return false, nil }
