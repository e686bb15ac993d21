//go:build !linux

package copytree

import (
	"errors"
	"fmt"
	"runtime"
)

// BackupName is not implemented outside Linux, like the tree copier.
func BackupName(path string, b Backup, suffix string) (string, error) {
	return "", fmt.Errorf("copytree: %w on %s", errors.ErrUnsupported, runtime.GOOS)
}
