//go:build !linux

package memfs

import (
	"os"
	"path/filepath"
)

func lstatAt(dir *os.File, dirPath, name string) (hostEntry, error) {
	fi, err := os.Lstat(filepath.Join(dirPath, name))
	if err != nil {
		return hostEntry{}, err
	}
	return entryOf(fi), nil
}

func readlinkAt(dir *os.File, dirPath, name string) (string, error) {
	return os.Readlink(filepath.Join(dirPath, name))
}
