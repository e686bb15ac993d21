package zcopy_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/internal/testutil"
)

// openFDs makes a source file holding data (offset set to off) and an empty
// destination on tmpfs, opened as a tree copy opens them (the source
// O_NONBLOCK), and returns their bare descriptors, which the test's
// cleanup closes (the caller must not).
func openFDs(t *testing.T, data []byte, off int64) (dst, src int, dstPath string) {
	t.Helper()
	sp, dp := writeSource(t, data)
	s, err := unix.Open(sp, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(s) })
	if _, err := unix.Seek(s, off, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	d, err := unix.Open(dp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(d) })
	return d, s, dp
}

// writeSource writes data to a new file on tmpfs and names a destination
// beside it.
func writeSource(t *testing.T, data []byte) (src, dst string) {
	t.Helper()
	dir := testutil.ShmDir(t)
	src, dst = filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return src, dst
}

// TestCopyFDMatchesCopyContext copies the same files with CopyFD and with
// CopyContext between *os.File (the oracle for zcopy's own paths, itself
// checked against io.Copy elsewhere), for every method on its own and for
// the default choice: bytes, counts, both offsets and the method used.
func TestCopyFDMatchesCopyContext(t *testing.T) {
	sizes := []int{0, 1, 4095, 4096, 4097, 64<<10 - 1, 64 << 10, 64<<10 + 1, 1<<20 - 1, 1 << 20, 1<<20 + 1, 3<<20 + 17}
	limits := []int64{-1, 0, 1, 4096, 1 << 20}
	methods := []zcopy.Method{0, zcopy.CopyFileRange, zcopy.Sendfile, zcopy.ReadWrite}
	if testing.Short() {
		sizes = []int{0, 1, 4097, 64<<10 + 1, 1<<20 + 1}
		limits = []int64{-1, 1, 1 << 20}
	}
	for _, m := range methods {
		for _, size := range sizes {
			for _, off := range []int64{0, 3} {
				for _, limit := range limits {
					if int64(size) < off {
						continue
					}
					data := testutil.Data(size, uint64(size)+uint64(off))
					var opts []zcopy.Option
					if m != 0 {
						opts = append(opts, zcopy.Only(m))
					}
					// CopyFD.
					d, s, dp := openFDs(t, data, off)
					var fr zcopy.Report
					n, err := zcopy.CopyFD(context.Background(), d, s, limit, append(opts, zcopy.WithReport(&fr))...)
					got, _ := os.ReadFile(dp)
					soff, _ := unix.Seek(s, 0, io.SeekCurrent)
					doff, _ := unix.Seek(d, 0, io.SeekCurrent)

					// CopyContext on *os.File, with a LimitedReader for a limit.
					sp2, dp2 := writeSource(t, data)
					sf, err2 := os.OpenFile(sp2, os.O_RDONLY|unix.O_NONBLOCK, 0)
					if err2 != nil {
						t.Fatal(err2)
					}
					df, err2 := os.OpenFile(dp2, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
					if err2 != nil {
						t.Fatal(err2)
					}
					if _, err2 := sf.Seek(off, io.SeekStart); err2 != nil {
						t.Fatal(err2)
					}
					var r io.Reader = sf
					if limit >= 0 {
						r = &io.LimitedReader{R: sf, N: limit}
					}
					var cr zcopy.Report
					n2, err2 := zcopy.CopyContext(context.Background(), df, r, append(opts, zcopy.WithReport(&cr))...)
					want, _ := os.ReadFile(dp2)
					soff2, _ := sf.Seek(0, io.SeekCurrent)
					doff2, _ := df.Seek(0, io.SeekCurrent)
					sf.Close()
					df.Close()

					name := m.String() + "/" + itoa(size) + "/off=" + itoa(int(off)) + "/limit=" + itoa(int(limit))
					if n != n2 || (err == nil) != (err2 == nil) || !bytes.Equal(got, want) || soff != soff2 || doff != doff2 {
						t.Fatalf("%s: CopyFD = %d, %v, offsets %d/%d, %d bytes; CopyContext = %d, %v, offsets %d/%d, %d bytes",
							name, n, err, soff, doff, len(got), n2, err2, soff2, doff2, len(want))
					}
					if fr.Method != cr.Method {
						t.Fatalf("%s: CopyFD used %v (%s), CopyContext %v (%s)", name, fr.Method, &fr, cr.Method, &cr)
					}
				}
			}
		}
	}
}

// TestCopyFDReport: the common case of a tree copy, a small regular file
// of known size, takes one copy_file_range and says so; with the fast
// methods switched off the same call falls back to read/write.
func TestCopyFDReport(t *testing.T) {
	data := testutil.Data(10000, 7)
	d, s, dp := openFDs(t, data, 0)
	var r zcopy.Report
	n, err := zcopy.CopyFD(context.Background(), d, s, int64(len(data)), zcopy.WithReport(&r))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("CopyFD = %d, %v", n, err)
	}
	if r.Method != zcopy.CopyFileRange || len(r.Attempts) != 1 || r.Attempts[0].Calls != 1 || r.Source != "regular file" {
		t.Errorf("report %s: want one copy_file_range call between regular files", &r)
	}
	if got, _ := os.ReadFile(dp); !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}

	d, s, dp = openFDs(t, data, 0)
	n, err = zcopy.CopyFD(context.Background(), d, s, -1, zcopy.WithReport(&r), zcopy.Without(zcopy.Clone, zcopy.CopyFileRange, zcopy.Sendfile, zcopy.Mmap))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("CopyFD without fast methods = %d, %v", n, err)
	}
	if r.Method != zcopy.ReadWrite {
		t.Errorf("report %s: want read/write", &r)
	}
	if got, _ := os.ReadFile(dp); !bytes.Equal(got, data) {
		t.Fatal("content differs after the fallback")
	}
}

// TestCopyFDPipe: a blocking pipe on either side works (waits are poll(2)),
// and a cancelled context stops a copy from a pipe that stays empty.
func TestCopyFDPipe(t *testing.T) {
	data := testutil.Data(300<<10, 9)
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	_, s, _ := openFDs(t, data, 0)
	done := make(chan error, 1)
	var got bytes.Buffer
	go func() {
		// The reader drains the pipe so that the writer has to wait
		// for room (EAGAIN on the non-blocking pipe). A bare loop:
		// an *os.File here would close p[0] again from its finalizer.
		buf := make([]byte, 64<<10)
		for {
			n, err := unix.Read(p[0], buf)
			switch {
			case err == unix.EAGAIN || err == unix.EINTR:
				fds := []unix.PollFd{{Fd: int32(p[0]), Events: unix.POLLIN}}
				unix.Poll(fds, 1000)
				continue
			case err != nil:
				done <- err
				return
			case n == 0:
				done <- nil
				return
			}
			got.Write(buf[:n])
		}
	}()
	n, err := zcopy.CopyFD(context.Background(), p[1], s, -1)
	unix.Close(p[1])
	if err != nil || n != int64(len(data)) {
		t.Fatalf("file -> pipe: %d, %v", n, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), data) {
		t.Fatal("file -> pipe: content differs")
	}

	// An empty non-blocking pipe and a cancelled context: CopyFD returns.
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	d2, _, _ := openFDs(t, nil, 0)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		unix.Write(p[1], []byte("x"))
		cancel()
	}()
	n, err = zcopy.CopyFD(ctx, d2, p[0], -1)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled pipe -> file: %d, %v; want context.Canceled", n, err)
	}
}

// TestCopyFDErrors: a closed descriptor and a read-only destination fail
// with the errno, not a panic or a silent short copy.
func TestCopyFDErrors(t *testing.T) {
	d, s, _ := openFDs(t, []byte("data"), 0)
	if _, err := zcopy.CopyFD(context.Background(), d, 1<<20, -1); !errors.Is(err, unix.EBADF) {
		t.Errorf("bad source: %v, want EBADF", err)
	}
	ro, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(ro)
	if _, err := zcopy.CopyFD(context.Background(), ro, s, -1); !errors.Is(err, unix.EBADF) || !strings.Contains(err.Error(), "write") {
		t.Errorf("read-only destination: %v, want EBADF from a write", err)
	}
}
