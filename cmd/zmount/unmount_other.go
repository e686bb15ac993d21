//go:build !linux

package main

import memfuse "github.com/zcopy/zcopy/memfs/fuse"

// unmount is Unmount; there is no mount to detach here.
func unmount(srv *memfuse.Server, mnt string) error { return srv.Unmount() }
