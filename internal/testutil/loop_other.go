//go:build !linux

package testutil

// ReleaseShared does nothing: loop devices and mounts exist only on Linux.
func ReleaseShared() {}
