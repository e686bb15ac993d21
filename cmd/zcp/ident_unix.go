//go:build unix

package main

import (
	"os"
	"syscall"
)

// fileIdentity is a file's device and inode.
func fileIdentity(fi os.FileInfo) [2]uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return [2]uint64{uint64(st.Dev), uint64(st.Ino)}
	}
	return [2]uint64{}
}
