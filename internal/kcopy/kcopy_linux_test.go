package kcopy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// replace swaps *v for x for the rest of the test.
func replace[T any](t *testing.T, v *T, x T) {
	old := *v
	*v = x
	t.Cleanup(func() { *v = old })
}

// filePair makes a source file with data and an empty destination on the
// same filesystem, classified into a Pair.
func filePair(t *testing.T, data []byte) (*Pair, *os.File, *os.File) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "src"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(filepath.Join(dir, "src"))
	if err != nil {
		t.Fatal(err)
	}
	dst, err := os.Create(filepath.Join(dir, "dst"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close(); dst.Close() })
	p := &Pair{Src: &Endpoint{}, Dst: &Endpoint{}}
	classify(t, src, p.Src, false)
	classify(t, dst, p.Dst, true)
	return p, src, dst
}

func classify(t *testing.T, f syscall.Conn, e *Endpoint, dst bool) {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	if err := Classify(rc, e, dst); err != nil {
		t.Fatal(err)
	}
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + i>>9)
	}
	return b
}

func TestClassifyKinds(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write([]byte("abc"))
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	us := os.NewFile(uintptr(fds[0]), "unix")
	defer us.Close()
	unix.Close(fds[1])
	dg, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	ds := os.NewFile(uintptr(dg[0]), "dgram")
	defer ds.Close()
	unix.Close(dg[1])
	for _, c := range []struct {
		f    *os.File
		want Kind
	}{{f, KindRegular}, {pr, KindPipe}, {null, KindChar}, {us, KindUnix}, {ds, KindSocket}} {
		var e Endpoint
		classify(t, c.f, &e, true)
		if e.Kind != c.want {
			t.Errorf("%s: kind %v, want %v", c.f.Name(), e.Kind, c.want)
		}
	}
	var e Endpoint
	classify(t, f, &e, false)
	if e.Size != 3 || e.Pos != -1 || e.Append {
		t.Errorf("regular file: %+v", e)
	}
	if err := unix.SetNonblock(int(f.Fd()), false); err != nil {
		t.Fatal(err)
	}
	flags, _ := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
	unix.FcntlInt(f.Fd(), unix.F_SETFL, flags|unix.O_APPEND)
	classify(t, f, &e, true)
	if !e.Append {
		t.Error("O_APPEND set after open not seen")
	}

	// Classify binds its callback to the Endpoint once: a copy of an
	// Endpoint, and one Reset for another descriptor, are classified
	// themselves and leave the original alone.
	copied := e
	classify(t, pr, &copied, true)
	if copied.Kind != KindPipe || e.Kind != KindRegular || !e.Append {
		t.Errorf("classifying a copy: copy %v, original %v (append %v)", copied.Kind, e.Kind, e.Append)
	}
	e.Reset(nil)
	if e.Kind != KindOther || e.Pos != -1 || e.Size != -1 || e.Append {
		t.Errorf("after Reset: %+v", e)
	}
	classify(t, null, &e, true)
	if e.Kind != KindChar || copied.Kind != KindPipe {
		t.Errorf("after Reset: %v, the copy %v", e.Kind, copied.Kind)
	}
}

func TestCopyFileRangeErrnoPolicy(t *testing.T) {
	// Each errno, injected on the first call and after bytes moved.
	cases := []struct {
		errno    syscall.Errno
		fallback bool // at 0 bytes: fall back rather than fail
	}{
		{unix.EXDEV, true}, {unix.EINVAL, true}, {unix.EOPNOTSUPP, true}, {unix.EPERM, true},
		{unix.ENOSYS, true}, {unix.ETXTBSY, true}, {unix.EBADF, true}, {unix.EACCES, true},
		{unix.ENOSPC, false}, {unix.EIO, false}, {unix.EDQUOT, false}, {unix.ENOMEM, false},
	}
	for _, c := range cases {
		t.Run(unix.ErrnoName(c.errno), func(t *testing.T) {
			p, _, _ := filePair(t, pattern(10000))
			calls := 0
			replace(t, &copyFileRange, func(rfd int, roff *int64, wfd int, woff *int64, n int, flags int) (int, error) {
				calls++
				return 0, c.errno
			})
			n, handled, err := CopyFileRange(p, -1)
			if n != 0 || handled == c.fallback || !errors.Is(err, c.errno) {
				t.Errorf("first call: n=%d handled=%v err=%v", n, handled, err)
			}
			if calls != 1 {
				t.Errorf("%d calls, want 1 (no retry)", calls)
			}

			// After bytes moved a refusal hands the rest to another
			// method (ErrContinue), never a silent EOF; a real error
			// ends the copy.
			p, _, dst := filePair(t, pattern(10000))
			calls = 0
			replace(t, &copyFileRange, func(rfd int, roff *int64, wfd int, woff *int64, n int, flags int) (int, error) {
				calls++
				if calls == 1 {
					return unix.CopyFileRange(rfd, roff, wfd, woff, 100, flags)
				}
				return 0, c.errno
			})
			n, handled, err = CopyFileRange(p, -1)
			switch {
			case n != 100 || !handled:
				t.Errorf("after 100 bytes: n=%d handled=%v err=%v", n, handled, err)
			case c.fallback && err != ErrContinue:
				t.Errorf("after 100 bytes: err=%v, want ErrContinue", err)
			case !c.fallback && !errors.Is(err, c.errno):
				t.Errorf("after 100 bytes: err=%v, want %v", err, c.errno)
			}
			var se *os.SyscallError
			if !c.fallback && (!errors.As(err, &se) || se.Syscall != "copy_file_range") {
				t.Errorf("error %v does not name copy_file_range", err)
			}
			if off, _ := dst.Seek(0, 1); off != 100 {
				t.Errorf("destination offset %d, want 100", off)
			}
		})
	}
}

func TestCopyFileRangeZeroFirstCallFallsBack(t *testing.T) {
	p, _, _ := filePair(t, pattern(5000))
	replace(t, &copyFileRange, func(int, *int64, int, *int64, int, int) (int, error) { return 0, nil })
	n, handled, err := CopyFileRange(p, -1)
	if n != 0 || handled || err != ErrNoProgress {
		t.Fatalf("n=%d handled=%v err=%v, want a fallback with ErrNoProgress", n, handled, err)
	}
}

func TestEINTRRetried(t *testing.T) {
	p, _, dst := filePair(t, pattern(5000))
	interrupts := 0
	replace(t, &copyFileRange, func(rfd int, roff *int64, wfd int, woff *int64, n int, flags int) (int, error) {
		if interrupts < 3 {
			interrupts++
			return 0, unix.EINTR
		}
		return unix.CopyFileRange(rfd, roff, wfd, woff, n, flags)
	})
	n, handled, err := CopyFileRange(p, -1)
	if n != 5000 || !handled || err != nil {
		t.Fatalf("n=%d handled=%v err=%v", n, handled, err)
	}
	if off, _ := dst.Seek(0, 1); off != 5000 {
		t.Errorf("destination offset %d", off)
	}
}

func TestSourceShrinksDuringCopy(t *testing.T) {
	// The source is truncated after the first call: the loop must end at
	// the new EOF, not spin.
	p, src, _ := filePair(t, pattern(1<<20))
	p.Chunk = 1 << 16
	calls := 0
	replace(t, &copyFileRange, func(rfd int, roff *int64, wfd int, woff *int64, n int, flags int) (int, error) {
		calls++
		if calls == 2 {
			os.Truncate(src.Name(), 100000)
		}
		return unix.CopyFileRange(rfd, roff, wfd, woff, n, flags)
	})
	n, handled, err := CopyFileRange(p, -1)
	if !handled || err != nil || n != 100000 {
		t.Fatalf("n=%d handled=%v err=%v, want 100000 bytes", n, handled, err)
	}
	if calls > 4 {
		t.Errorf("%d calls for a 100000-byte copy in 64 KiB chunks", calls)
	}
}

func TestSendfileAndSpliceErrnoPolicy(t *testing.T) {
	for _, c := range []struct {
		name string
		swap func(t *testing.T, errno syscall.Errno)
		run  func(*Pair, int64) (int64, bool, error)
	}{
		{"sendfile", func(t *testing.T, e syscall.Errno) {
			replace(t, &sendfile, func(int, int, *int64, int) (int, error) { return 0, e })
		}, Sendfile},
		{"splice", func(t *testing.T, e syscall.Errno) {
			replace(t, &splice, func(int, *int64, int, *int64, int, int) (int64, error) { return 0, e })
		}, Splice},
	} {
		for _, e := range []struct {
			errno    syscall.Errno
			fallback bool
		}{{unix.EINVAL, true}, {unix.ENOSYS, true}, {unix.EPIPE, false}, {unix.ECONNRESET, false}, {unix.EIO, false}} {
			t.Run(c.name+"/"+unix.ErrnoName(e.errno), func(t *testing.T) {
				p, _, _ := filePair(t, pattern(1000))
				c.swap(t, e.errno)
				n, handled, err := c.run(p, -1)
				if n != 0 || handled == e.fallback || !errors.Is(err, e.errno) {
					t.Errorf("n=%d handled=%v err=%v", n, handled, err)
				}
			})
		}
	}
}

func TestContextStopsBetweenRounds(t *testing.T) {
	p, _, _ := filePair(t, pattern(1<<20))
	ctx, cancel := context.WithCancel(context.Background())
	p.Ctx, p.Chunk = ctx, 1<<16
	p.Progress = func(done int64) {
		if done >= 3<<16 {
			cancel()
		}
	}
	n, handled, err := CopyFileRange(p, -1)
	if !handled || !errors.Is(err, context.Canceled) || n != 3<<16 {
		t.Fatalf("n=%d handled=%v err=%v, want 3 rounds then context.Canceled", n, handled, err)
	}
}

func TestSpliceViaPipeKeepsNoStaleBytes(t *testing.T) {
	// A failed delivery must not leave bytes in a pooled pipe: the next
	// copy would send them.
	p, _, _ := filePair(t, pattern(5000))
	calls := 0
	replace(t, &splice, func(rfd int, roff *int64, wfd int, woff *int64, n int, flags int) (int64, error) {
		calls++
		if calls == 1 {
			return spliceSys(rfd, roff, wfd, woff, n, flags)
		}
		return 0, unix.EIO
	})
	n, handled, err := SpliceViaPipe(p, -1)
	if n != 0 || !handled || !errors.Is(err, unix.EIO) {
		t.Fatalf("n=%d handled=%v err=%v", n, handled, err)
	}
	for range 8 {
		pp, err := getPipe()
		if err != nil {
			t.Fatal(err)
		}
		defer putPipe(pp)
		if k, err := unix.Read(pp.r, make([]byte, 1)); k > 0 || err != unix.EAGAIN {
			t.Fatalf("a pooled pipe holds bytes (read %d, %v)", k, err)
		}
	}
}

func TestMmapCopiesAndContinues(t *testing.T) {
	data := pattern(3<<20 + 123)
	p, _, dst := filePair(t, data)
	n, handled, err := Mmap(p, -1, dst.Write)
	if !handled || err != ErrContinue || n != int64(len(data)) {
		t.Fatalf("n=%d handled=%v err=%v", n, handled, err)
	}
	got, _ := os.ReadFile(dst.Name())
	if !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}
}

func TestHandledFalseMovesNothing(t *testing.T) {
	// Directly probing a pipe source with copy_file_range: EINVAL, and
	// no byte may have left the pipe.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	pw.Write([]byte("hello"))
	p, _, _ := filePair(t, nil)
	classify(t, pr, p.Src, false)
	n, handled, err := CopyFileRange(p, -1)
	if n != 0 || handled || !errors.Is(err, unix.EINVAL) {
		t.Fatalf("n=%d handled=%v err=%v", n, handled, err)
	}
	buf := make([]byte, 5)
	if k, _ := pr.Read(buf); k != 5 || string(buf) != "hello" {
		t.Fatalf("pipe lost bytes: %q", buf[:k])
	}
}

func TestReadWrite(t *testing.T) {
	for _, size := range []int{0, 1, 4095, 4096, 4097, 100 << 10, 1<<20 + 1} {
		for _, pos := range []int64{-1, 0, 3} {
			t.Run(fmt.Sprintf("%d/pos%d", size, pos), func(t *testing.T) {
				data := pattern(size)
				p, src, dst := filePair(t, data)
				want := data
				if pos >= 0 {
					p.Src.Pos = pos
					want = data[min(int(pos), len(data)):]
				}
				buf := make([]byte, 64<<10)
				n, taken, err := ReadWrite(p, -1, buf, 32<<10)
				if err != nil || n != int64(len(want)) || taken != n {
					t.Fatalf("n=%d taken=%d err=%v, want %d", n, taken, err, len(want))
				}
				got, _ := os.ReadFile(dst.Name())
				if !bytes.Equal(got, want) {
					t.Errorf("destination differs")
				}
				off, _ := src.Seek(0, io.SeekCurrent)
				if pos >= 0 && (off != 0 || p.Src.Pos != pos+n) {
					t.Errorf("explicit position: file offset %d, Pos %d", off, p.Src.Pos)
				} else if pos < 0 && off != n {
					t.Errorf("file offset %d, want %d", off, n)
				}
			})
		}
	}
	t.Run("first-read-cap", func(t *testing.T) {
		p, src, dst := filePair(t, pattern(1<<20))
		dst.Close()
		ro, err := os.Open(dst.Name())
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		rc, _ := ro.SyscallConn()
		p.Dst.RC = rc
		n, taken, err := ReadWrite(p, -1, make([]byte, 1<<20), 32<<10)
		off, _ := src.Seek(0, io.SeekCurrent)
		if n != 0 || taken != 32<<10 || off != 32<<10 || !errors.Is(err, unix.EBADF) || p.FailedSrc {
			t.Errorf("n=%d taken=%d offset=%d err=%v failedSrc=%v; want a 32 KiB first read and EBADF from the write", n, taken, off, err, p.FailedSrc)
		}
	})
	t.Run("limit", func(t *testing.T) {
		p, _, dst := filePair(t, pattern(10000))
		n, _, err := ReadWrite(p, 777, make([]byte, 4096), 0)
		got, _ := os.ReadFile(dst.Name())
		if n != 777 || err != nil || !bytes.Equal(got, pattern(10000)[:777]) {
			t.Errorf("n=%d err=%v, want 777 bytes", n, err)
		}
	})
}
