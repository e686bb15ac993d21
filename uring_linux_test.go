package zcopy_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/internal/uring"
)

// uringDests are the destination kinds the Uring method serves.
var uringDests = []string{"ext4", "tmpfs", "unix", "tcp"}

// uringSink makes a destination of kind k; result returns what it
// received and its final offset (-1 for sockets) once the copy is done.
func uringSink(t *testing.T, k string) (io.Writer, func() ([]byte, int64)) {
	t.Helper()
	switch k {
	case "ext4", "tmpfs":
		dir := t.TempDir()
		if k == "tmpfs" {
			dir = testutil.ShmDir(t)
		}
		f, err := os.CreateTemp(dir, "dst-")
		if err != nil {
			t.Fatal(err)
		}
		closeOnCleanup(t, f)
		f.Write([]byte("xy")) // the copy starts at the destination's offset
		return f, func() ([]byte, int64) {
			b, _ := os.ReadFile(f.Name())
			return b[2:], seekCur(t, f) - 2
		}
	}
	var w, r net.Conn
	if k == "unix" {
		w, r = unixPair(t)
	} else {
		w, r = tcpPair(t)
	}
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(r)
		got <- b
	}()
	return w, func() ([]byte, int64) {
		w.(interface{ CloseWrite() error }).CloseWrite()
		return <-got, -1
	}
}

// TestUringMethod copies through Only(Uring) and through io.Copy (the
// oracle) over sizes, source offsets and limits into every destination
// kind the method serves: same bytes, counts, offsets and limits, and the
// report must name uring as the method that moved them.
func TestUringMethod(t *testing.T) {
	if err := uring.Available(); err != nil {
		t.Skip(err)
	}
	sizes := []int{1, 4097, 1<<20 + 1, 5<<20 + 3}
	for _, k := range uringDests {
		for _, size := range sizes {
			data := testutil.Data(size, 21)
			for _, off := range []int64{0, 3} {
				for _, lim := range []int64{-1, int64(size) - 1, int64(size) + 1} {
					name := fmt.Sprintf("%s/%d/off%d/limit%d", k, size, off, lim)
					src := newSrcFile(t, t.TempDir(), data, off)
					var r io.Reader = src
					var lr *io.LimitedReader
					if lim >= 0 {
						lr = &io.LimitedReader{R: src, N: lim}
						r = lr
					}
					dst, result := uringSink(t, k)
					var rep zcopy.Report
					n, err := zcopy.CopyContext(context.Background(), dst, r, zcopy.Only(zcopy.Uring, zcopy.ReadWrite), zcopy.WithReport(&rep))
					got, dstPos := result()
					want := data[min(off, int64(size)):]
					if lim >= 0 && lim < int64(len(want)) {
						want = want[:lim]
					}
					switch {
					case err != nil || n != int64(len(want)):
						t.Fatalf("%s: Copy = %d, %v; want %d\n%s", name, n, err, len(want), &rep)
					case !bytes.Equal(got, want):
						t.Fatalf("%s: %s", name, testutil.FirstDiff(got, want))
					case seekCur(t, src) != off+n:
						t.Fatalf("%s: source offset %d, want %d", name, seekCur(t, src), off+n)
					case dstPos >= 0 && dstPos != n:
						t.Fatalf("%s: destination offset %d, want %d", name, dstPos, n)
					case lr != nil && lr.N != lim-n:
						t.Fatalf("%s: LimitedReader.N = %d, want %d", name, lr.N, lim-n)
					case len(want) > 0 && rep.Method != zcopy.Uring:
						t.Fatalf("%s: method %v, want uring\n%s", name, rep.Method, &rep)
					}
				}
			}
		}
	}
}

// TestUringOptions runs the tuned variants through zcopy.
func TestUringOptions(t *testing.T) {
	if err := uring.Available(); err != nil {
		t.Skip(err)
	}
	data := testutil.Data(3<<20+1, 22)
	for _, o := range []zcopy.UringOptions{{}, {QueueDepth: 2, BlockSize: 4096}, {Fixed: true}, {Direct: zcopy.DirectAlways}, {Direct: zcopy.DirectNever}, {ZeroCopy: true}, {Splice: true}} {
		for _, k := range uringDests {
			src := newSrcFile(t, t.TempDir(), data, 0)
			dst, result := uringSink(t, k)
			var rep zcopy.Report
			n, err := zcopy.CopyContext(context.Background(), dst, src, zcopy.Only(zcopy.Uring), zcopy.WithUring(o), zcopy.WithReport(&rep))
			got, _ := result()
			if err != nil || n != int64(len(data)) || !bytes.Equal(got, data) || rep.Method != zcopy.Uring {
				t.Fatalf("%+v -> %s: Copy = %d, %v (%s)\n%s", o, k, n, err, testutil.FirstDiff(got, data), &rep)
			}
		}
	}
}

// TestUringFallback makes io_uring unavailable: Only(Uring, ReadWrite)
// must copy with the read/write loop and the report must say why, and
// Only(Uring) alone must move nothing and say ErrNoMethod.
func TestUringFallback(t *testing.T) {
	for _, errno := range []unix.Errno{unix.ENOSYS, unix.EPERM, unix.ENOMEM} {
		t.Run(unix.ErrnoName(errno), func(t *testing.T) {
			defer uring.Disable(errno)()
			data := testutil.Data(256<<10, 23)
			src := newSrcFile(t, t.TempDir(), data, 0)
			dst, result := uringSink(t, "ext4")
			var rep zcopy.Report
			n, err := zcopy.CopyContext(context.Background(), dst, src, zcopy.Only(zcopy.Uring, zcopy.ReadWrite), zcopy.WithReport(&rep))
			got, _ := result()
			if err != nil || n != int64(len(data)) || !bytes.Equal(got, data) || rep.Method != zcopy.ReadWrite {
				t.Fatalf("Copy = %d, %v; method %v", n, err, rep.Method)
			}
			if !strings.Contains(rep.String(), "uring: no (io_uring unavailable") {
				t.Errorf("report does not say why uring was not used: %s", &rep)
			}
			src2 := newSrcFile(t, t.TempDir(), data, 0)
			dst2, _ := uringSink(t, "ext4")
			n, err = zcopy.CopyContext(context.Background(), dst2, src2, zcopy.Only(zcopy.Uring))
			if n != 0 || !errors.Is(err, zcopy.ErrNoMethod) {
				t.Fatalf("Only(Uring) without io_uring: %d, %v; want 0, ErrNoMethod", n, err)
			}
		})
	}
}

// TestUringDefaultPolicy pins where the default choice takes uring: a
// large (here: lowered to 16 MiB) ext4 file mostly missing from the page cache, copied to ext4 (it
// measured faster there); never a cached file, never into a socket.
func TestUringDefaultPolicy(t *testing.T) {
	data := testutil.Data(32<<20, 24)
	for _, k := range uringDests {
		src := newSrcFile(t, t.TempDir(), data, 0)
		dst, result := uringSink(t, k)
		var rep zcopy.Report
		if _, err := zcopy.CopyContext(context.Background(), dst, src, zcopy.WithReport(&rep)); err != nil {
			t.Fatal(err)
		}
		result()
		if rep.Method == zcopy.Uring || strings.Contains(rep.String(), "uring") {
			t.Errorf("%s: a copy from the page cache considered uring: %s", k, &rep)
		}
	}
	if err := uring.Available(); err != nil {
		t.Skip(err)
	}
	defer zcopy.SetUringMinCold(16 << 20)()
	dir := t.TempDir()
	if fs := fsType(t, dir); fs != "ext4" {
		t.Skipf("the temp dir is on %s, not ext4", fs)
	}
	for _, cold := range []bool{true, false} {
		src := newSrcFile(t, dir, data, 0)
		if err := src.Sync(); err != nil {
			t.Fatal(err)
		}
		if cold {
			// Evict the clean pages: no root needed, unlike drop_caches.
			unix.Fadvise(int(src.Fd()), 0, 0, unix.FADV_DONTNEED)
		}
		dst, result := uringSink(t, "ext4")
		var rep zcopy.Report
		n, err := zcopy.CopyContext(context.Background(), dst, src, zcopy.WithReport(&rep))
		got, _ := result()
		if err != nil || n != int64(len(data)) || !bytes.Equal(got, data) {
			t.Fatalf("cold=%v: Copy = %d, %v", cold, n, err)
		}
		if used := rep.Method == zcopy.Uring; used != cold {
			t.Errorf("cold=%v: method %v: %s", cold, rep.Method, &rep)
		}
		t.Logf("cold=%v: %s", cold, &rep)
	}
}

// TestUringSourceShrinks truncates the source during a uring copy: the
// destination must be a prefix of the source's old bytes reaching at
// least the cut, never bytes past EOF made up.
func TestUringSourceShrinks(t *testing.T) {
	if err := uring.Available(); err != nil {
		t.Skip(err)
	}
	const size, cut = 32 << 20, 3<<20 + 5
	data := testutil.Data(size, 25)
	src := newSrcFile(t, t.TempDir(), data, 0)
	dst, result := uringSink(t, "ext4")
	var once sync.Once
	n, err := zcopy.CopyContext(context.Background(), dst, src, zcopy.Only(zcopy.Uring, zcopy.ReadWrite),
		zcopy.WithProgress(func(int64) { once.Do(func() { os.Truncate(src.Name(), cut) }) }))
	got, _ := result()
	if err != nil || n != int64(len(got)) || n < cut || !bytes.Equal(got, data[:n]) {
		t.Fatalf("Copy = %d, %v; %d bytes out (cut at %d)", n, err, len(got), cut)
	}
}
