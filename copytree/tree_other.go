//go:build !linux

package copytree

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

// copy is not implemented outside Linux yet: the tree copier works on
// directory descriptors with Linux system calls (openat2, copy_file_range).
func (c *Copier) copy(ctx context.Context, src, dst string) error {
	err := fmt.Errorf("copytree: %w on %s", errors.ErrUnsupported, runtime.GOOS)
	c.fail(&errorSink{}, err)
	return err
}

// treeState is empty: there is no tree copier to keep state for.
type treeState struct{}

func (t *treeState) refuseJustCreated() {}
