//go:build !linux

package memfs_test

import "testing"

// oracleDir is where differential tests keep the host's side.
func oracleDir(t *testing.T) string { return t.TempDir() }
