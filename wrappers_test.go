package zcopy_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/internal/testutil"
)

// These tests check the wrappers zcopy unwraps against io.Copy on every
// system; on Linux they also check that the fast path survives the
// unwrapping.

// fileWith writes data to a new file in dir and returns it open for
// reading and writing at offset 0.
func fileWith(t *testing.T, dir string, data []byte) *os.File {
	t.Helper()
	f, err := os.CreateTemp(dir, "f-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	return f
}

func emptyFile(t *testing.T, dir string) *os.File { return fileWith(t, dir, nil) }

func offset(t *testing.T, f *os.File) int64 {
	t.Helper()
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		t.Fatal(err)
	}
	return off
}

func contents(t *testing.T, f *os.File) []byte {
	t.Helper()
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantFileMethod checks, on Linux, that a file-to-file copy in a temp dir
// took the kernel path: copy_file_range, or a clone where /tmp reflinks.
func wantFileMethod(t *testing.T, rep *zcopy.Report) {
	t.Helper()
	if runtime.GOOS != "linux" {
		return
	}
	if rep.Method != zcopy.CopyFileRange && rep.Method != zcopy.Clone {
		t.Errorf("method %v, want copy_file_range (or clone)\nreport: %s", rep.Method, rep)
	}
}

func TestLimitedReaderNested(t *testing.T) {
	data := testutil.Data(200<<10, 1)
	for _, lim := range [][2]int64{{150 << 10, 70 << 10}, {70 << 10, 150 << 10}, {300 << 10, 250 << 10}, {0, 10}, {-5, 10}} {
		t.Run(fmtLimits(lim), func(t *testing.T) {
			dir := t.TempDir()
			run := func(fn func(io.Writer, io.Reader) (int64, error)) (n, outer, inner, srcOff int64, out []byte, err error) {
				src, dst := fileWith(t, dir, data), emptyFile(t, dir)
				in := &io.LimitedReader{R: src, N: lim[1]}
				lr := &io.LimitedReader{R: in, N: lim[0]}
				n, err = fn(dst, lr)
				return n, lr.N, in.N, offset(t, src), contents(t, dst), err
			}
			wn, wouter, winner, woff, wout, werr := run(io.Copy)
			var rep zcopy.Report
			n, outer, inner, off, out, err := run(func(w io.Writer, r io.Reader) (int64, error) {
				return zcopy.CopyContext(context.Background(), w, r, zcopy.WithReport(&rep))
			})
			if n != wn || err != werr || outer != wouter || inner != winner || off != woff || !bytes.Equal(out, wout) {
				t.Errorf("zcopy: n=%d err=%v N=%d/%d off=%d; io.Copy: n=%d err=%v N=%d/%d off=%d; %s",
					n, err, outer, inner, off, wn, werr, wouter, winner, woff, testutil.FirstDiff(out, wout))
			}
			if n > 0 {
				wantFileMethod(t, &rep)
			}
		})
	}
}

func fmtLimits(l [2]int64) string {
	return "outer=" + itoa64(l[0]) + ",inner=" + itoa64(l[1])
}

func itoa64(n int64) string {
	if n < 0 {
		return "-" + itoa64(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa64(n/10) + string(rune('0'+n%10))
}

func TestSectionReader(t *testing.T) {
	data := testutil.Data(300<<10, 2)
	cases := []struct {
		name             string
		base, size, seek int64
		limit            int64 // LimitedReader around it; < 0: none
	}{
		{"base+pos", 1000, 200 << 10, 700, -1},
		{"to-eof", 4096, 1 << 30, 0, -1},
		{"pos-past-end", 100, 1000, 5000, -1},
		{"limited", 1000, 200 << 10, 700, 100 << 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			const fileOff = 42
			run := func(fn func(io.Writer, io.Reader) (int64, error)) (n, pos, fpos int64, out []byte, err error) {
				src, dst := fileWith(t, dir, data), emptyFile(t, dir)
				if _, err := src.Seek(fileOff, io.SeekStart); err != nil {
					t.Fatal(err)
				}
				sr := io.NewSectionReader(src, tc.base, tc.size)
				if _, err := sr.Seek(tc.seek, io.SeekStart); err != nil {
					t.Fatal(err)
				}
				var r io.Reader = sr
				if tc.limit >= 0 {
					r = &io.LimitedReader{R: sr, N: tc.limit}
				}
				n, err = fn(dst, r)
				pos, _ = sr.Seek(0, io.SeekCurrent)
				return n, pos, offset(t, src), contents(t, dst), err
			}
			wn, wpos, _, wout, werr := run(io.Copy)
			var rep zcopy.Report
			n, pos, fpos, out, err := run(func(w io.Writer, r io.Reader) (int64, error) {
				return zcopy.CopyContext(context.Background(), w, r, zcopy.WithReport(&rep))
			})
			if n != wn || err != werr || pos != wpos || !bytes.Equal(out, wout) {
				t.Errorf("zcopy: n=%d err=%v pos=%d; io.Copy: n=%d err=%v pos=%d; %s\nreport: %s",
					n, err, pos, wn, werr, wpos, testutil.FirstDiff(out, wout), &rep)
			}
			if fpos != fileOff {
				t.Errorf("the file's own offset moved to %d, want %d", fpos, fileOff)
			}
			if n > 0 {
				wantFileMethod(t, &rep)
			}
		})
	}
}

func TestBufioReaderBuffered(t *testing.T) {
	data := testutil.Data(1<<20+5, 3)
	dir := t.TempDir()
	run := func(fn func(io.Writer, io.Reader) (int64, error)) (int64, int64, []byte, error) {
		src, dst := fileWith(t, dir, data), emptyFile(t, dir)
		br := bufio.NewReaderSize(src, 16<<10)
		if _, err := br.Peek(100); err != nil { // 16 KiB now sit in br's buffer
			t.Fatal(err)
		}
		n, err := fn(dst, br)
		return n, offset(t, dst), contents(t, dst), err
	}
	wn, woff, wout, werr := run(io.Copy)
	var rep zcopy.Report
	n, off, out, err := run(func(w io.Writer, r io.Reader) (int64, error) {
		return zcopy.CopyContext(context.Background(), w, r, zcopy.WithReport(&rep))
	})
	if n != wn || err != werr || off != woff || !bytes.Equal(out, wout) {
		t.Errorf("zcopy: n=%d err=%v off=%d; io.Copy: n=%d err=%v off=%d; %s",
			n, err, off, wn, werr, woff, testutil.FirstDiff(out, wout))
	}
	if !bytes.Equal(out, data) {
		t.Errorf("destination: %s", testutil.FirstDiff(out, data))
	}
	wantFileMethod(t, &rep) // the rest after the buffered bytes
}

func TestBufioWriterPending(t *testing.T) {
	data := testutil.Data(1<<20+5, 4)
	dir := t.TempDir()
	run := func(fn func(io.Writer, io.Reader) (int64, error)) (int64, []byte, error) {
		src, dst := fileWith(t, dir, data), emptyFile(t, dir)
		bw := bufio.NewWriter(dst)
		bw.WriteString("pending header\n")
		n, err := fn(bw, src)
		if ferr := bw.Flush(); ferr != nil {
			t.Fatal(ferr)
		}
		return n, contents(t, dst), err
	}
	wn, wout, werr := run(io.Copy)
	var rep zcopy.Report
	n, out, err := run(func(w io.Writer, r io.Reader) (int64, error) {
		return zcopy.CopyContext(context.Background(), w, r, zcopy.WithReport(&rep))
	})
	if n != wn || err != werr || !bytes.Equal(out, wout) {
		t.Errorf("zcopy: n=%d err=%v; io.Copy: n=%d err=%v; %s", n, err, wn, werr, testutil.FirstDiff(out, wout))
	}
	if want := append([]byte("pending header\n"), data...); !bytes.Equal(out, want) {
		t.Errorf("destination: %s", testutil.FirstDiff(out, want))
	}
	wantFileMethod(t, &rep)
}

func TestMemoryEndpoints(t *testing.T) {
	data := testutil.Data(100<<10+1, 5)
	dir := t.TempDir()
	cases := []struct {
		name string
		run  func(t *testing.T, opts ...zcopy.Option) (int64, []byte, error)
	}{
		{"strings.Reader->bytes.Buffer", func(t *testing.T, opts ...zcopy.Option) (int64, []byte, error) {
			var b bytes.Buffer
			n, err := zcopy.CopyContext(context.Background(), &b, strings.NewReader(string(data)), opts...)
			return n, b.Bytes(), err
		}},
		{"file->bytes.Buffer", func(t *testing.T, opts ...zcopy.Option) (int64, []byte, error) {
			var b bytes.Buffer
			n, err := zcopy.CopyContext(context.Background(), &b, fileWith(t, dir, data), opts...)
			return n, b.Bytes(), err
		}},
		{"bytes.Reader->file", func(t *testing.T, opts ...zcopy.Option) (int64, []byte, error) {
			f := emptyFile(t, dir)
			n, err := zcopy.CopyContext(context.Background(), f, bytes.NewReader(data), opts...)
			return n, contents(t, f), err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var rep zcopy.Report
			n, out, err := tc.run(t, zcopy.WithReport(&rep))
			if n != int64(len(data)) || err != nil || !bytes.Equal(out, data) {
				t.Errorf("(%d, %v), %s", n, err, testutil.FirstDiff(out, data))
			}
			if rep.Method != zcopy.Generic {
				t.Errorf("method %v, want io.Copy\nreport: %s", rep.Method, &rep)
			}
		})
	}
}

func TestCopyN(t *testing.T) {
	data := testutil.Data(10000, 6)
	dir := t.TempDir()
	for _, n := range []int64{0, 1, 4096, 9999, 10000, 10001, 1 << 20} {
		t.Run(itoa64(n), func(t *testing.T) {
			src1, dst1 := fileWith(t, dir, data), emptyFile(t, dir)
			wn, werr := io.CopyN(dst1, src1, n)
			src2, dst2 := fileWith(t, dir, data), emptyFile(t, dir)
			gn, gerr := zcopy.CopyN(dst2, src2, n)
			if gn != wn || gerr != werr {
				t.Errorf("CopyN = (%d, %v), io.CopyN (%d, %v)", gn, gerr, wn, werr)
			}
			if n > int64(len(data)) && gerr != io.EOF {
				t.Errorf("short source: err = %v, want io.EOF", gerr)
			}
			if offset(t, src2) != offset(t, src1) || !bytes.Equal(contents(t, dst2), contents(t, dst1)) {
				t.Errorf("offsets or bytes differ from io.CopyN")
			}
		})
	}
}

func TestWithProgress(t *testing.T) {
	data := testutil.Data(8<<20+3, 7)
	dir := t.TempDir()
	src, dst := fileWith(t, dir, data), emptyFile(t, dir)
	var totals []int64
	var rep zcopy.Report
	n, err := zcopy.CopyContext(context.Background(), dst, src,
		zcopy.WithProgress(func(w int64) { totals = append(totals, w) }),
		zcopy.WithChunkSize(1<<20), zcopy.WithReport(&rep))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("(%d, %v)", n, err)
	}
	if len(totals) < 2 {
		t.Errorf("progress called %d times for 8 MiB in 1 MiB chunks, want several", len(totals))
	}
	for i := 1; i < len(totals); i++ {
		if totals[i] <= totals[i-1] {
			t.Errorf("progress not increasing: %v", totals)
			break
		}
	}
	if len(totals) > 0 && totals[len(totals)-1] != n {
		t.Errorf("last progress %d, want %d", totals[len(totals)-1], n)
	}
	if !bytes.Equal(contents(t, dst), data) {
		t.Error("destination differs")
	}
	wantFileMethod(t, &rep)
}

func TestOnly(t *testing.T) {
	data := testutil.Data(256<<10, 8)
	dir := t.TempDir()
	t.Run("ReadWrite", func(t *testing.T) {
		src, dst := fileWith(t, dir, data), emptyFile(t, dir)
		var rep zcopy.Report
		n, err := zcopy.CopyContext(context.Background(), dst, src, zcopy.Only(zcopy.ReadWrite), zcopy.WithReport(&rep))
		if n != int64(len(data)) || err != nil || !bytes.Equal(contents(t, dst), data) {
			t.Fatalf("(%d, %v)", n, err)
		}
		if rep.Method != zcopy.ReadWrite {
			t.Errorf("method %v, want read/write\nreport: %s", rep.Method, &rep)
		}
	})
	t.Run("Clone", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("Linux method check")
		}
		if fs := fsType(t, dir); fs != "ext4" && fs != "tmpfs" {
			t.Skipf("temp dir is on %s, which may reflink", fs)
		}
		src, dst := fileWith(t, dir, data), emptyFile(t, dir)
		var rep zcopy.Report
		n, err := zcopy.CopyContext(context.Background(), dst, src, zcopy.Only(zcopy.Clone), zcopy.WithReport(&rep))
		if !errors.Is(err, zcopy.ErrNoMethod) || n != 0 {
			t.Errorf("(%d, %v), want (0, ErrNoMethod)\nreport: %s", n, err, &rep)
		}
		if got := contents(t, dst); len(got) != 0 || offset(t, dst) != 0 {
			t.Errorf("%d bytes written", len(got))
		}
	})
}

// TestStrict checks that strict mode keeps file pages out of a socket: a
// file -> unix socket copy uses read/write.
func TestStrict(t *testing.T) {
	dir, err := os.MkdirTemp("", "zs") // short: socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ln, err := net.Listen("unix", filepath.Join(dir, "s"))
	if err != nil {
		t.Skipf("no unix sockets: %v", err)
	}
	defer ln.Close()
	data := testutil.Data(1<<20, 9)
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- b
	}()
	c, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var rep zcopy.Report
	n, err := zcopy.CopyContext(context.Background(), c, fileWith(t, t.TempDir(), data), zcopy.Strict(), zcopy.WithReport(&rep))
	c.(*net.UnixConn).CloseWrite()
	if b := <-got; n != int64(len(data)) || err != nil || !bytes.Equal(b, data) {
		t.Fatalf("(%d, %v), %s", n, err, testutil.FirstDiff(b, data))
	}
	if runtime.GOOS == "linux" {
		if rep.Method != zcopy.ReadWrite || !strings.Contains(rep.String(), "strict mode") {
			t.Errorf("method %v, want read/write with reason \"strict mode\"\nreport: %s", rep.Method, &rep)
		}
	}
}
