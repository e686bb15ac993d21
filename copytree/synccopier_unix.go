//go:build unix

package copytree

import (
	"context"

	"github.com/zcopy/zcopy"
)

// CopyData implements DataCopier; r may be nil when no report is wanted. It
// copies the size fstat saw when size > 0, which saves the system call
// that would only confirm EOF (a file appended to meanwhile is copied up
// to that size, as rsync does); a size of 0 copies until EOF, for files
// such as those of /proc that say 0 and have content.
func (SyncCopier) CopyData(ctx context.Context, dst, src int, size int64, opts []zcopy.Option, r *zcopy.Report) (int64, error) {
	if r != nil {
		opts = append(opts[:len(opts):len(opts)], zcopy.WithReport(r))
	}
	if size <= 0 {
		size = -1
	}
	return zcopy.CopyFD(ctx, dst, src, size, opts...)
}
