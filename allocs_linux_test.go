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
// before (io.Copy allocates at least a RawConn per copy): each allocation
// is measurable at 1 KiB (see BENCHMARKS.md). A Go release that makes
// SyscallConn, RawConn.Control or the pooled state allocate fails here.
// Not under -race, whose sync.Pool drops entries at random.
func TestSmallCopyAllocations(t *testing.T) {
	const size = 1 << 10
	data := testutil.Data(size, 73)
	dir := t.TempDir()
	a, b := unixPair(t)
	go io.Copy(io.Discard, b)
	src := newSrcFile(t, dir, data, 0)
	dst := emptyFile(t, dir)
	shmDst := emptyFile(t, testutil.ShmDir(t))
	pr, pw := osPipe(t)
	go io.Copy(io.Discard, pr)
	feedR, feedW := osPipe(t)
	client, server := tcpPair(t)
	for _, w := range []io.Writer{feedW, client} {
		go func() {
			for {
				if _, err := w.Write(data); err != nil {
					return
				}
			}
		}()
	}
	var lr io.LimitedReader // reused: a new one per copy would be the test's allocation
	for _, c := range []struct {
		name string
		dst  io.Writer
		src  func() io.Reader
	}{
		{"file-unix", a, func() io.Reader { return src }},
		{"file-file", dst, func() io.Reader { return src }},
		{"file-tmpfs", shmDst, func() io.Reader { return src }},
		{"file-pipe", pw, func() io.Reader { return src }},
		{"pipe-file", dst, func() io.Reader { lr = io.LimitedReader{R: feedR, N: size}; return &lr }},
		{"tcp-file", dst, func() io.Reader { lr = io.LimitedReader{R: server, N: size}; return &lr }},
	} {
		t.Run(c.name, func(t *testing.T) {
			copy1 := func() {
				src.Seek(0, io.SeekStart)
				if c.dst == dst || c.dst == shmDst { // a pipe's ESPIPE would allocate
					c.dst.(io.Seeker).Seek(0, io.SeekStart)
				}
				if n, err := zcopy.Copy(c.dst, c.src()); n != size || err != nil {
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
