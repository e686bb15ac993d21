//go:build !linux

package memfs

import (
	"os"
	"path/filepath"
)

func lstatAll(dir *os.File, dirPath string, names []string) (out []hostEntry, errs []error, err error) {
	out = make([]hostEntry, len(names))
	errs = make([]error, len(names))
	for i, name := range names {
		fi, err := os.Lstat(filepath.Join(dirPath, name))
		if err != nil {
			errs[i] = err
			continue
		}
		out[i] = entryOf(fi)
	}
	return out, errs, nil
}

func readlinkAt(dir *os.File, dirPath, name string) (string, error) {
	return os.Readlink(filepath.Join(dirPath, name))
}
