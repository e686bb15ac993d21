//go:build !unix

package copytree

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/zcopy/zcopy"
)

// CopyData implements DataCopier. Outside Unix there are no file descriptors
// for zcopy.CopyFD to work on, so it reports that it is unsupported; the
// tree copier that would call it is not built there either.
func (SyncCopier) CopyData(ctx context.Context, dst, src int, size int64, opts []zcopy.Option, r *zcopy.Report) (int64, error) {
	return 0, fmt.Errorf("copytree: %w on %s", errors.ErrUnsupported, runtime.GOOS)
}
