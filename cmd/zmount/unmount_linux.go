package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"

	memfuse "github.com/zcopy/zcopy/memfs/fuse"
)

// unmount unmounts mnt; while processes use it, it detaches it instead
// (MNT_DETACH, or fusermount3 -u -z without root): the name goes now, and
// the server stops when the last open file of the mount is closed.
func unmount(srv *memfuse.Server, mnt string) error {
	err := srv.Unmount()
	if err == nil {
		return nil
	}
	switch {
	case os.Geteuid() != 0:
		if out, derr := exec.Command("fusermount3", "-u", "-z", mnt).CombinedOutput(); derr != nil {
			return fmt.Errorf("unmount %s: %v; fusermount3 -u -z: %v %s", mnt, err, derr, out)
		}
	case errors.Is(err, syscall.EBUSY):
		if derr := unix.Unmount(mnt, unix.MNT_DETACH); derr != nil {
			return fmt.Errorf("unmount %s: %w", mnt, derr)
		}
	default:
		return err
	}
	return fmt.Errorf("%s is busy: detached it; serving its open files until they are closed", mnt)
}
