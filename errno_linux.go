package zcopy

import "golang.org/x/sys/unix"

// errnoName is the C name of errno ("EXDEV"), for reports.
func errnoName(e unix.Errno) string { return unix.ErrnoName(e) }
