package zcopy_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/internal/testutil"
)

// pipeSize is F_GETPIPE_SZ of f.
func pipeSize(t *testing.T, f *os.File) int {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var ferr error
	if err := rc.Control(func(fd uintptr) { n, ferr = unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0) }); err != nil {
		t.Fatal(err)
	}
	if ferr != nil {
		t.Fatal(ferr)
	}
	return n
}

// defaultPipe is a fresh pipe at the kernel's default size (64 KiB where
// the per-user pipe budget is not exhausted).
func defaultPipe(t *testing.T) (r, w *os.File, size int) {
	r, w = osPipe(t)
	size = pipeSize(t, r)
	if size >= 1<<20 {
		t.Skipf("new pipes are already %d bytes here", size)
	}
	return r, w, size
}

// A large splice out of a caller's pipe grows it for the copy, so that the
// two processes hand over every MiB instead of every 64 KiB, and puts the
// size back afterwards: after EOF the pipe is empty, so the restore cannot
// be refused.
func TestPipeGrownAndRestoredPipeToFile(t *testing.T) {
	r, w, before := defaultPipe(t)
	data := testutil.Data(4<<20+5, 0x9195)
	sizes := make(chan int, 1)
	go func() {
		defer w.Close()
		if _, err := w.Write(data[:1]); err != nil {
			sizes <- -1
			return
		}
		// The copy grows the pipe once it has moved 256 KiB; when
		// 1 MiB went in, it has taken at least 960 KiB out.
		w.Write(data[1 : 1<<20])
		sizes <- pipeSizeNoT(w)
		w.Write(data[1<<20:])
	}()
	dst := emptyFile(t, t.TempDir())
	var rep zcopy.Report
	n, err := zcopy.CopyContext(context.Background(), dst, r, zcopy.WithReport(&rep))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("Copy = %d, %v; report: %s", n, err, &rep)
	}
	if got := contents(t, dst); !bytes.Equal(got, data) {
		t.Fatalf("destination: %s", testutil.FirstDiff(got, data))
	}
	if rep.Method != zcopy.Splice {
		t.Errorf("method %v, want splice; report: %s", rep.Method, &rep)
	}
	if during := <-sizes; during != 1<<20 {
		t.Errorf("pipe size during the copy: %d, want %d", during, 1<<20)
	}
	if after := pipeSize(t, r); after != before {
		t.Errorf("pipe size after the copy: %d, want the %d it had", after, before)
	}
}

// pipeSizeNoT is pipeSize for a goroutine: -1 on error.
func pipeSizeNoT(f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return -1
	}
	n := -1
	rc.Control(func(fd uintptr) {
		if m, err := unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0); err == nil {
			n = m
		}
	})
	return n
}

// A large file spliced into a caller's pipe grows it for the copy. When
// the copy ends the pipe may still hold more than its old size (the reader
// has not caught up): the kernel then refuses to shrink it (EBUSY) and it
// stays larger, losing no byte.
func TestPipeGrownFileToPipe(t *testing.T) {
	r, w, before := defaultPipe(t)
	data := testutil.Data(3<<20+7, 0x9196)
	src := fileWith(t, t.TempDir(), data)
	type result struct {
		during int
		got    []byte
		err    error
	}
	done := make(chan result, 1)
	go func() {
		var res result
		first := make([]byte, 512<<10)
		if _, res.err = io.ReadFull(r, first); res.err == nil {
			// The copy grows the pipe once it has moved 256 KiB, before
			// its next splice; 512 KiB took more than one.
			res.during = pipeSizeNoT(r)
			var rest []byte
			rest, res.err = io.ReadAll(r)
			res.got = append(first, rest...)
		}
		done <- res
	}()
	var rep zcopy.Report
	n, err := zcopy.CopyContext(context.Background(), w, src, zcopy.WithReport(&rep))
	w.Close()
	res := <-done
	if err != nil || n != int64(len(data)) {
		t.Fatalf("Copy = %d, %v; report: %s", n, err, &rep)
	}
	if rep.Method != zcopy.Splice && rep.Method != zcopy.Sendfile {
		t.Errorf("method %v, want splice or sendfile; report: %s", rep.Method, &rep)
	}
	if res.err != nil || !bytes.Equal(res.got, data) {
		t.Fatalf("read back %d bytes, %v: %s", len(res.got), res.err, testutil.FirstDiff(res.got, data))
	}
	if res.during != 1<<20 {
		t.Errorf("pipe size during the copy: %d, want %d", res.during, 1<<20)
	}
	if after := pipeSize(t, r); after != before && after != 1<<20 {
		t.Errorf("pipe size after the copy: %d, want %d (restored) or %d (still full when the copy ended)", after, before, 1<<20)
	}
}

// A small copy leaves the caller's pipe alone: growing it would cost more
// system calls than the copy saves. A pipe source has no size: it is grown
// only after 256 KiB moved.
func TestPipeNotGrownForSmallCopy(t *testing.T) {
	t.Run("pipe->file", func(t *testing.T) {
		r, w, before := defaultPipe(t)
		data := testutil.Data(200<<10, 0x9198)
		during := make(chan int, 1)
		go func() {
			w.Write(data) // more than the pipe holds: the copy is under way
			during <- pipeSizeNoT(w)
			w.Close()
		}()
		dst := emptyFile(t, t.TempDir())
		if n, err := zcopy.Copy(dst, r); err != nil || n != int64(len(data)) {
			t.Fatalf("Copy = %d, %v", n, err)
		}
		if got := <-during; got != before {
			t.Errorf("pipe size during a 200 KiB copy: %d, want the %d it had", got, before)
		}
		if got := pipeSize(t, r); got != before {
			t.Errorf("pipe size after a 200 KiB copy: %d, want the %d it had", got, before)
		}
	})
	t.Run("file->pipe", testFileToPipeSmall)
}

func testFileToPipeSmall(t *testing.T) {
	r, w, before := defaultPipe(t)
	data := testutil.Data(60<<10, 0x9197)
	src := fileWith(t, t.TempDir(), data)
	if n, err := zcopy.Copy(w, src); err != nil || n != int64(len(data)) {
		t.Fatalf("Copy = %d, %v", n, err)
	}
	if got := pipeSize(t, r); got != before {
		t.Errorf("pipe size after a 60 KiB copy: %d, want the %d it had", got, before)
	}
	w.Close()
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
}
