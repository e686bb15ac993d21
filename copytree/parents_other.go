//go:build !linux

package copytree

import (
	"errors"
	"fmt"
	"runtime"
)

// Parents is cp --parents' list of directories; outside Linux there is
// no tree copier to make them for.
type Parents struct{}

// MakeParents is not implemented outside Linux, like the tree copier.
func (c *Copier) MakeParents(target, src string) (dst string, p *Parents, err error) {
	err = fmt.Errorf("copytree: %w on %s", errors.ErrUnsupported, runtime.GOOS)
	c.fail(&errorSink{}, err)
	return "", nil, err
}

// Restore does nothing outside Linux.
func (p *Parents) Restore() error { return nil }
