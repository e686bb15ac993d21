//go:build unix

package main

import (
	"io/fs"
	"syscall"
)

// owner is the uid and gid of a host file.
func owner(fi fs.FileInfo) (uid, gid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), int(st.Gid), true
}
