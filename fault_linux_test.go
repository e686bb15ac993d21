package zcopy_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/internal/testutil"
)

// faultTimeout bounds a copy that must not hang; it is a watchdog, not a
// speed assertion.
const faultTimeout = time.Minute

func faultCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), faultTimeout)
	t.Cleanup(cancel)
	return ctx
}

func TestNilEndpoints(t *testing.T) {
	var buf bytes.Buffer
	if n, err := zcopy.Copy(&buf, nil); err == nil || n != 0 {
		t.Errorf("nil reader: (%d, %v), want an error", n, err)
	}
	if n, err := zcopy.Copy(nil, strings.NewReader("x")); err == nil || n != 0 {
		t.Errorf("nil writer: (%d, %v), want an error", n, err)
	}
	var f *os.File // a typed nil: its methods report os.ErrInvalid
	if _, err := zcopy.Copy(&buf, f); err == nil {
		t.Error("nil *os.File reader: no error")
	}
	if _, err := zcopy.Copy(f, strings.NewReader("x")); err == nil {
		t.Error("nil *os.File writer: no error")
	}
}

func TestClosedDescriptors(t *testing.T) {
	data := testutil.Data(100<<10, 10)
	dir := t.TempDir()
	for _, side := range []string{"src", "dst", "both"} {
		t.Run(side, func(t *testing.T) {
			src, dst := fileWith(t, dir, data), emptyFile(t, dir)
			if side != "dst" {
				src.Close()
			}
			if side != "src" {
				dst.Close()
			}
			var rep zcopy.Report
			n, err := zcopy.CopyContext(faultCtx(t), dst, src, zcopy.WithReport(&rep))
			wn, werr := io.Copy(dst, src)
			if err == nil || n != wn || (werr == nil) {
				t.Errorf("(%d, %v), io.Copy (%d, %v)\nreport: %s", n, err, wn, werr, &rep)
			}
			if !errors.Is(err, os.ErrClosed) {
				t.Errorf("err = %v, want os.ErrClosed like io.Copy's %v", err, werr)
			}
		})
	}
}

func TestAppendDestination(t *testing.T) {
	data := testutil.Data(1<<20+1, 11)
	prefix := []byte("existing bytes\n")
	want := append(append([]byte{}, prefix...), data...)
	dir := t.TempDir()
	openDst := func(t *testing.T, flag int) *os.File {
		f := fileWith(t, dir, prefix)
		f.Close()
		f, err := os.OpenFile(f.Name(), os.O_WRONLY|flag, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	t.Run("open", func(t *testing.T) {
		dst := openDst(t, os.O_APPEND)
		var rep zcopy.Report
		n, err := zcopy.CopyContext(faultCtx(t), dst, fileWith(t, dir, data), zcopy.WithReport(&rep))
		odst := openDst(t, os.O_APPEND)
		wn, werr := io.Copy(odst, fileWith(t, dir, data))
		if n != wn || err != werr || !bytes.Equal(contents(t, dst), contents(t, odst)) || !bytes.Equal(contents(t, dst), want) {
			t.Errorf("(%d, %v), io.Copy (%d, %v); %s\nreport: %s", n, err, wn, werr, testutil.FirstDiff(contents(t, dst), want), &rep)
		}
		if offset(t, dst) != offset(t, odst) {
			t.Errorf("destination offset %d, io.Copy %d", offset(t, dst), offset(t, odst))
		}
	})
	// golang/go#79660: io.Copy fails with EBADF from copy_file_range when
	// O_APPEND is set after open; zcopy must append like write(2) does.
	t.Run("fcntl", func(t *testing.T) {
		dst := openDst(t, 0)
		rc, err := dst.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var ferr error
		rc.Control(func(fd uintptr) {
			var fl int
			if fl, ferr = unix.FcntlInt(fd, unix.F_GETFL, 0); ferr == nil {
				_, ferr = unix.FcntlInt(fd, unix.F_SETFL, fl|unix.O_APPEND)
			}
		})
		if ferr != nil {
			t.Fatal(ferr)
		}
		var rep zcopy.Report
		n, err := zcopy.CopyContext(faultCtx(t), dst, fileWith(t, dir, data), zcopy.WithReport(&rep))
		if n != int64(len(data)) || err != nil || !bytes.Equal(contents(t, dst), want) {
			t.Errorf("(%d, %v); %s\nreport: %s", n, err, testutil.FirstDiff(contents(t, dst), want), &rep)
		}
		// The same through zcopy.Copy, which guesses copy_file_range first.
		dst2 := openDst(t, 0)
		rc2, _ := dst2.SyscallConn()
		rc2.Control(func(fd uintptr) { unix.FcntlInt(fd, unix.F_SETFL, unix.O_WRONLY|unix.O_APPEND) })
		n, err = zcopy.Copy(dst2, fileWith(t, dir, data))
		if n != int64(len(data)) || err != nil || !bytes.Equal(contents(t, dst2), want) {
			t.Errorf("zcopy.Copy: (%d, %v); %s", n, err, testutil.FirstDiff(contents(t, dst2), want))
		}
	})
}

func TestSameFile(t *testing.T) {
	data := testutil.Data(100<<10+7, 12)
	dir := t.TempDir()
	type setup func(t *testing.T) (dst io.Writer, src io.Reader, name string)
	cases := map[string]setup{
		"one *os.File": func(t *testing.T) (io.Writer, io.Reader, string) {
			f := fileWith(t, dir, data)
			return f, f, f.Name()
		},
		"two fds, dst behind src": func(t *testing.T) (io.Writer, io.Reader, string) {
			f := fileWith(t, dir, data)
			if _, err := f.Seek(1000, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			g, err := os.OpenFile(f.Name(), os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { g.Close() })
			return g, f, f.Name()
		},
		"two fds, dst ahead, limited": func(t *testing.T) (io.Writer, io.Reader, string) {
			f := fileWith(t, dir, data)
			g, err := os.OpenFile(f.Name(), os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { g.Close() })
			if _, err := g.Seek(5000, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			return g, io.LimitReader(f, 80<<10), f.Name()
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			dst, src, wname := setup(t)
			wn, werr := io.Copy(dst, src)
			want := readFile(t, wname)
			for _, variant := range []string{"Copy", "CopyContext"} {
				dst, src, gname := setup(t)
				var n int64
				var err error
				var rep zcopy.Report
				if variant == "Copy" {
					n, err = zcopy.Copy(dst, src)
				} else {
					n, err = zcopy.CopyContext(faultCtx(t), dst, src, zcopy.WithReport(&rep))
				}
				got := readFile(t, gname)
				if n != wn || err != werr || !bytes.Equal(got, want) {
					t.Errorf("%s: (%d, %v), io.Copy (%d, %v); %s\nreport: %s", variant, n, err, wn, werr, testutil.FirstDiff(got, want), &rep)
				}
			}
		})
	}
}

func readFile(t *testing.T, name string) []byte {
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPseudoFiles copies /proc and /sys files, which say size 0.
func TestPseudoFiles(t *testing.T) {
	for _, path := range []string{"/proc/version", "/proc/sys/kernel/ostype", "/sys/kernel/mm/transparent_hugepage/enabled", "/sys/devices/system/cpu/online"} {
		t.Run(strings.ReplaceAll(path[1:], "/", "_"), func(t *testing.T) {
			want, err := os.ReadFile(path)
			if err != nil {
				t.Skip(err)
			}
			for _, dk := range []kind{kExt4, kPipe, kTCP} {
				sc := &scope{TB: t}
				src, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				sc.Cleanup(func() { src.Close() })
				e := &env{ext4: t.TempDir()}
				d := e.newDest(sc, dk)
				var rep zcopy.Report
				n, err := zcopy.CopyContext(faultCtx(t), d.w, src, zcopy.WithReport(&rep))
				got := d.result(n)
				if n != int64(len(want)) || err != nil || got != digestOf(want) {
					t.Errorf("%v: (%d, %v), %v; want %d bytes %v\nreport: %s", dk, n, err, got, len(want), digestOf(want), &rep)
				}
				sc.close()
			}
		})
	}
}

// TestSourceShrinks truncates a big source while it is copied (from the
// progress hook) with each method that can copy a file.
func TestSourceShrinks(t *testing.T) {
	const size, cut = 32 << 20, 3<<20 + 5
	data := testutil.Data(size, 13)
	methods := [][]zcopy.Method{nil, {zcopy.Sendfile}, {zcopy.Mmap}, {zcopy.ReadWrite}}
	for _, only := range methods {
		name := "default"
		if only != nil {
			name = only[0].String()
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			src := fileWith(t, dir, data)
			dst := emptyFile(t, dir)
			if only != nil && only[0] == zcopy.Sendfile {
				dst = emptyFile(t, testutil.ShmDir(t)) // EXDEV: sendfile's pair
			}
			var once sync.Once
			opts := []zcopy.Option{zcopy.WithChunkSize(1 << 20), zcopy.WithProgress(func(int64) {
				once.Do(func() {
					if err := os.Truncate(src.Name(), cut); err != nil {
						t.Error(err)
					}
				})
			})}
			if only != nil {
				opts = append(opts, zcopy.Only(only[0], zcopy.ReadWrite))
			}
			var rep zcopy.Report
			n, err := zcopy.CopyContext(faultCtx(t), dst, src, append(opts, zcopy.WithReport(&rep))...)
			got := contents(t, dst)
			if err != nil || n != int64(len(got)) || !bytes.Equal(got, data[:len(got)]) {
				t.Errorf("(%d, %v), destination %d bytes; %s\nreport: %s", n, err, len(got), testutil.FirstDiff(got, data[:min(len(got), len(data))]), &rep)
			}
			if n < cut || n == size {
				t.Logf("copied %d bytes; the cut at %d came %s", n, cut, map[bool]string{true: "after the end", false: "before the first chunk"}[n == size])
			}
		})
	}
}

// TestSourceGrows appends to the source while it is copied.
func TestSourceGrows(t *testing.T) {
	const size = 8 << 20
	data := testutil.Data(2*size, 14)
	dir := t.TempDir()
	src := fileWith(t, dir, data[:size])
	dst := emptyFile(t, dir)
	app, err := os.OpenFile(src.Name(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	var once sync.Once
	var rep zcopy.Report
	n, err := zcopy.CopyContext(faultCtx(t), dst, src, zcopy.WithChunkSize(1<<20), zcopy.WithReport(&rep),
		zcopy.WithProgress(func(int64) {
			once.Do(func() {
				if _, err := app.Write(data[size:]); err != nil {
					t.Error(err)
				}
			})
		}))
	got := contents(t, dst)
	if err != nil || n != int64(len(got)) || n < size || !bytes.Equal(got, data[:len(got)]) {
		t.Errorf("(%d, %v), destination %d bytes\nreport: %s", n, err, len(got), &rep)
	}
}

func TestNoSpace(t *testing.T) {
	data := testutil.Data(2<<20, 15)
	src := t.TempDir()
	variants := []struct {
		name string
		opts []zcopy.Option
	}{
		{"default", nil}, // sendfile: copy_file_range says EXDEV
		{"without-sendfile", []zcopy.Option{zcopy.Without(zcopy.Sendfile)}},
		{"only-readwrite", []zcopy.Option{zcopy.Only(zcopy.ReadWrite)}},
	}
	for _, v := range variants {
		opts := v.opts
		t.Run(v.name, func(t *testing.T) {
			dir := testutil.TmpfsDir(t, "1m")
			dst := emptyFile(t, dir)
			var rep zcopy.Report
			n, err := zcopy.CopyContext(faultCtx(t), dst, fileWith(t, src, data), append(opts, zcopy.WithReport(&rep))...)
			got := contents(t, dst)
			if !errors.Is(err, syscall.ENOSPC) || n != int64(len(got)) || !bytes.Equal(got, data[:len(got)]) {
				t.Errorf("(%d, %v), destination %d bytes; want ENOSPC and n == destination size\nreport: %s", n, err, len(got), &rep)
			}
		})
	}
}

func TestCrossDevice(t *testing.T) {
	data := testutil.Data(1<<20, 16)
	src := fileWith(t, t.TempDir(), data)
	if fsType(t, src.Name()) == "tmpfs" {
		t.Skip("temp dir is on tmpfs: no second filesystem")
	}
	dst := emptyFile(t, testutil.ShmDir(t))
	var rep zcopy.Report
	n, err := zcopy.CopyContext(faultCtx(t), dst, src, zcopy.WithReport(&rep))
	if n != int64(len(data)) || err != nil || !bytes.Equal(contents(t, dst), data) {
		t.Fatalf("(%d, %v)", n, err)
	}
	if !strings.Contains(rep.String(), "copy_file_range: no (EXDEV") || rep.Method != zcopy.Sendfile {
		t.Errorf("want copy_file_range refused with EXDEV and sendfile used\nreport: %s", &rep)
	}
}

// TestPeerCloses closes the reading end of a socket mid-copy: the copy
// fails with EPIPE or ECONNRESET, and SIGPIPE does not kill the process.
func TestPeerCloses(t *testing.T) {
	data := testutil.Data(32<<20, 17)
	for _, k := range []kind{kTCP, kUnix} {
		for _, only := range []zcopy.Method{0, zcopy.ReadWrite, zcopy.Splice} {
			var opts []zcopy.Option
			name := k.String() + "/default"
			if only != 0 {
				opts = []zcopy.Option{zcopy.Only(only)}
				name = k.String() + "/only-" + strings.ReplaceAll(only.String(), "/", "")
			}
			t.Run(name, func(t *testing.T) {
				var w, r net.Conn
				if k == kTCP {
					w, r = tcpPair(t)
				} else {
					w, r = unixPair(t)
				}
				go func() {
					buf := make([]byte, 64<<10)
					io.ReadFull(r, buf) // take a little, then hang up
					r.Close()
				}()
				var rep zcopy.Report
				n, err := zcopy.CopyContext(faultCtx(t), w, fileWith(t, t.TempDir(), data), append(opts, zcopy.WithReport(&rep))...)
				if !errors.Is(err, syscall.EPIPE) && !errors.Is(err, syscall.ECONNRESET) {
					t.Errorf("(%d, %v), want EPIPE or ECONNRESET\nreport: %s", n, err, &rep)
				}
				if n >= int64(len(data)) {
					t.Errorf("n = %d, the peer took less", n)
				}
			})
		}
	}
}

// rawPipe makes a pipe that Go's poller does not know, with the end named
// by nonblock set O_NONBLOCK behind Go's back (as an inherited stdout can
// be).
func rawPipe(t *testing.T, nonblock string) (r, w *os.File) {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	r, w = os.NewFile(uintptr(fds[0]), "raw-r"), os.NewFile(uintptr(fds[1]), "raw-w")
	t.Cleanup(func() { r.Close(); w.Close() })
	f := r
	if nonblock == "w" {
		f = w
	}
	if err := unix.SetNonblock(int(f.Fd()), true); err != nil {
		t.Fatal(err)
	}
	return r, w
}

func TestNonblockingUnpolledPipe(t *testing.T) {
	data := testutil.Data(4<<20+1, 18)
	t.Run("file->pipe", func(t *testing.T) {
		r, w := rawPipe(t, "w")
		got := readSlowly(r)
		var rep zcopy.Report
		n, err := zcopy.CopyContext(faultCtx(t), w, fileWith(t, t.TempDir(), data), zcopy.WithReport(&rep))
		w.Close()
		b := <-got
		if n != int64(len(data)) || err != nil || !bytes.Equal(b, data) {
			t.Errorf("(%d, %v); %s\nreport: %s", n, err, testutil.FirstDiff(b, data), &rep)
		}
		checkNoSpin(t, &rep, len(data))
	})
	t.Run("pipe->file", func(t *testing.T) {
		r, w := rawPipe(t, "r")
		go writeSlowly(w, data)
		dst := emptyFile(t, t.TempDir())
		var rep zcopy.Report
		n, err := zcopy.CopyContext(faultCtx(t), dst, r, zcopy.WithReport(&rep))
		r.Close() // ends the writer if the copy stopped early
		if got := contents(t, dst); n != int64(len(data)) || err != nil || !bytes.Equal(got, data) {
			t.Errorf("(%d, %v); %s\nreport: %s", n, err, testutil.FirstDiff(got, data), &rep)
		}
		checkNoSpin(t, &rep, len(data))
	})
}

// checkNoSpin fails if the copy made far more system calls than one per
// 4 KiB moved plus a wait per call: a spin on EAGAIN makes millions.
func checkNoSpin(t *testing.T, rep *zcopy.Report, size int) {
	t.Helper()
	calls := 0
	for _, a := range rep.Attempts {
		calls += a.Calls
	}
	if limit := 2*size/4096 + 100; calls > limit {
		t.Errorf("%d system calls for %d bytes (limit %d): spinning on EAGAIN?\nreport: %s", calls, size, limit, rep)
	}
}

// TestCancelStalled cancels copies blocked on a pipe or socket that
// stopped moving: they return context.Canceled well before the watchdog.
func TestCancelStalled(t *testing.T) {
	for _, k := range []kind{kPipe, kTCP, kUnix} {
		t.Run(k.String()+"-source", func(t *testing.T) {
			var r io.Reader
			var w io.Writer
			switch k {
			case kPipe:
				r, w = osPipe(t)
			case kTCP:
				c, s := tcpPair(t)
				r, w = s, c
			case kUnix:
				a, b := unixPair(t)
				r, w = b, a
			}
			if _, err := w.Write([]byte("some bytes, then nothing")); err != nil {
				t.Fatal(err)
			}
			dst := emptyFile(t, t.TempDir())
			cancelStalled(t, dst, r)
		})
		t.Run(k.String()+"-destination", func(t *testing.T) {
			var w io.Writer
			switch k {
			case kPipe:
				_, w = osPipe(t) // nobody reads
			case kTCP:
				w, _ = tcpPair(t)
			case kUnix:
				w, _ = unixPair(t)
			}
			cancelStalled(t, w, fileWith(t, t.TempDir(), testutil.Data(64<<20, 19)))
		})
	}
}

func cancelStalled(t *testing.T, dst io.Writer, src io.Reader) {
	t.Helper()
	ctx, cancel := context.WithCancel(faultCtx(t))
	defer cancel()
	var once sync.Once
	var rep zcopy.Report
	n, err := zcopy.CopyContext(ctx, dst, src, zcopy.WithReport(&rep), zcopy.WithChunkSize(4096),
		zcopy.WithProgress(func(int64) {
			// Cancel once bytes moved; the copy then blocks (or is
			// about to) on the stalled side and must wake.
			once.Do(func() { go cancel() })
		}))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("(%d, %v), want context.Canceled\nreport: %s", n, err, &rep)
	}
	if n == 0 {
		t.Errorf("n = 0, want the bytes moved before the stall\nreport: %s", &rep)
	}
}

func TestContextAlreadyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	dst := emptyFile(t, dir)
	n, err := zcopy.CopyContext(ctx, dst, fileWith(t, dir, testutil.Data(1<<20, 20)))
	if n != 0 || !errors.Is(err, context.Canceled) || len(contents(t, dst)) != 0 {
		t.Errorf("(%d, %v), %d bytes written; want (0, context.Canceled)", n, err, len(contents(t, dst)))
	}
}

// TestNonblockingUnpolledPipeCopy is TestNonblockingUnpolledPipe through
// plain Copy: no context, so the guessed splice runs its rounds in one hold
// of the descriptors and waits in poll(2) without a time slice. A copy
// that hangs fails at the watchdog; one that spins still ends, and the
// CPU-time check below catches it.
func TestNonblockingUnpolledPipeCopy(t *testing.T) {
	data := testutil.Data(4<<20+1, 21)
	copyWithin := func(t *testing.T, dst io.Writer, src io.Reader) (int64, error) {
		t.Helper()
		type result struct {
			n   int64
			err error
		}
		done := make(chan result, 1)
		var before, after unix.Rusage
		unix.Getrusage(unix.RUSAGE_SELF, &before)
		start := time.Now()
		go func() {
			n, err := zcopy.Copy(dst, src)
			done <- result{n, err}
		}()
		select {
		case r := <-done:
			unix.Getrusage(unix.RUSAGE_SELF, &after)
			cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) * time.Nanosecond
			// A 4 MiB copy paced by a slow peer takes a few ms of CPU;
			// spinning on EAGAIN burns the whole wall time on a core.
			if wall := time.Since(start); wall > time.Second && cpu > wall*3/2 {
				t.Errorf("%v of CPU in %v: spinning on EAGAIN?", cpu, wall)
			}
			return r.n, r.err
		case <-time.After(time.Minute):
			t.Fatal("Copy hung for a minute")
			return 0, nil
		}
	}
	t.Run("file->pipe", func(t *testing.T) {
		r, w := rawPipe(t, "w")
		got := readSlowly(r)
		n, err := copyWithin(t, w, fileWith(t, t.TempDir(), data))
		w.Close()
		if b := <-got; n != int64(len(data)) || err != nil || !bytes.Equal(b, data) {
			t.Errorf("(%d, %v); %s", n, err, testutil.FirstDiff(b, data))
		}
	})
	t.Run("pipe->file", func(t *testing.T) {
		r, w := rawPipe(t, "r")
		go writeSlowly(w, data)
		dst := emptyFile(t, t.TempDir())
		n, err := copyWithin(t, dst, r)
		r.Close()
		if got := contents(t, dst); n != int64(len(data)) || err != nil || !bytes.Equal(got, data) {
			t.Errorf("(%d, %v); %s", n, err, testutil.FirstDiff(got, data))
		}
	})
}

// readSlowly reads r in 4 KiB pieces, a reader slower than the copy, and
// sends what it read once r fails or ends.
func readSlowly(r io.Reader) <-chan []byte {
	got := make(chan []byte, 1)
	go func() {
		var b bytes.Buffer
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		got <- b.Bytes()
	}()
	return got
}

// writeSlowly writes data to w in 4 KiB pieces, a writer slower than the
// copy, and closes w.
func writeSlowly(w io.WriteCloser, data []byte) {
	defer w.Close()
	for off := 0; off < len(data); off += 4096 {
		if _, err := w.Write(data[off:min(off+4096, len(data))]); err != nil {
			return
		}
	}
}
