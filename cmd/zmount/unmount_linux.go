package main

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"

	memfuse "github.com/zcopy/zcopy/memfs/fuse"
)

// unmount unmounts mnt; while processes use it, it detaches it instead
// (MNT_DETACH): the name goes now, and the server stops when the last
// open file of the mount is closed.
func unmount(srv *memfuse.Server, mnt string) error {
	err := srv.Unmount()
	if err == nil {
		return nil
	}
	if errors.Is(err, syscall.EBUSY) || errors.Is(err, unix.EBUSY) {
		if derr := unix.Unmount(mnt, unix.MNT_DETACH); derr != nil {
			return fmt.Errorf("unmount %s: %w", mnt, derr)
		}
		return fmt.Errorf("%s is busy: detached it; serving its open files until they are closed", mnt)
	}
	return fmt.Errorf("unmount %s: %w", mnt, err)
}
