//go:build !linux

package memfs

import "time"

// lchtimes leaves an exported symlink with the time of the export: only
// Linux's utimensat is used to set a symlink's own times.
func lchtimes(path string, atime, mtime time.Time) error { return nil }
