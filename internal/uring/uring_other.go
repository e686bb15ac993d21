//go:build !linux

package uring

import (
	"context"
	"errors"
	"io/fs"
)

// errNotLinux is what every entry point says outside Linux.
var errNotLinux = &UnavailableError{Reason: "io_uring is Linux-only"}

// Available reports that io_uring cannot be used: it is Linux-only.
func Available() error { return errNotLinux }

// Copy moves nothing outside Linux.
func Copy(a *CopyArgs, cfg Config, st *Stats) (int64, error) { return 0, errNotLinux }

// Disable does nothing outside Linux: io_uring is never available.
func Disable(err error) (restore func()) { return func() {} }

// CopyFiles copies nothing outside Linux: every job fails with
// errors.ErrUnsupported (the tree-copy library has its portable path).
func CopyFiles(ctx context.Context, jobs []Job, cfg FilesConfig) []Result {
	res := make([]Result, len(jobs))
	for i := range jobs {
		res[i].Err = &fs.PathError{Op: "copy", Path: jobs[i].Src, Err: errors.ErrUnsupported}
	}
	return res
}
