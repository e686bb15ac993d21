//go:build !race

package zcopy_test

import (
	"io"
	"testing"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/internal/testutil"
)

// TestSmallCopyAllocations pins that a small copy between the standard
// library's types allocates nothing once the same descriptors were copied
// before (io.Copy allocates a RawConn per copy): each allocation is
// measurable at 1 KiB (see BENCHMARKS.md). A Go release that makes
// SyscallConn or the pooled state allocate fails here. Not under -race,
// whose sync.Pool drops entries at random.
func TestSmallCopyAllocations(t *testing.T) {
	data := testutil.Data(1<<10, 73)
	dir := t.TempDir()
	a, b := unixPair(t)
	go io.Copy(io.Discard, b)
	src := newSrcFile(t, dir, data, 0)
	dst := emptyFile(t, dir)
	for _, c := range []struct {
		name string
		dst  io.Writer
	}{{"file-unix", a}, {"file-file", dst}} {
		t.Run(c.name, func(t *testing.T) {
			copy1 := func() {
				src.Seek(0, io.SeekStart)
				if s, ok := c.dst.(io.Seeker); ok {
					s.Seek(0, io.SeekStart)
				}
				if n, err := zcopy.Copy(c.dst, src); n != int64(len(data)) || err != nil {
					t.Fatalf("Copy = %d, %v", n, err)
				}
			}
			copy1()
			if allocs := testing.AllocsPerRun(100, copy1); allocs != 0 {
				t.Errorf("%v allocations per copy, want 0", allocs)
			}
		})
	}
}
