package zcopy_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/internal/testutil"
)

// segSource is a SegmentReader over a list of segments, whose flat
// content is known.
type segSource struct {
	segs []zcopy.Segment
	i    int
	at   int64 // bytes of segs[i] consumed
	flat []byte
}

func (s *segSource) Read(p []byte) (int, error) {
	panic("CopySegments must not Read a SegmentReader")
}

func (s *segSource) ReadSegments(emit func(zcopy.Segment) (int64, error)) (int64, error) {
	var total int64
	for ; s.i < len(s.segs); s.i, s.at = s.i+1, 0 {
		seg := s.segs[s.i]
		seg.Len -= s.at
		switch {
		case seg.File != nil:
			seg.FileOff += s.at
		case seg.Data != nil:
			seg.Data = seg.Data[s.at:]
		}
		n, err := emit(seg)
		total += n
		s.at += n
		if err != nil {
			return total, err
		}
		if n < seg.Len {
			return total, io.ErrShortWrite
		}
	}
	return total, nil
}

// segFixture builds segments over a host file: host range, hole, bytes,
// non-zero fill, host range, trailing hole; and the flat content.
func segFixture(t *testing.T, host *os.File, hostData []byte) (func() *segSource, []byte) {
	mem := testutil.Data(5000, 11)
	segs := []zcopy.Segment{
		{Len: 100000, File: host, FileOff: 1000},
		{Len: 3 << 20},
		{Len: int64(len(mem)), Data: mem},
		{Len: 7000, Fill: 'x'},
		{Len: 65536, File: host, FileOff: 0},
		{Len: 1 << 20},
	}
	var flat []byte
	for _, s := range segs {
		switch {
		case s.File != nil:
			flat = append(flat, hostData[s.FileOff:s.FileOff+s.Len]...)
		case s.Data != nil:
			flat = append(flat, s.Data...)
		default:
			flat = append(flat, bytes.Repeat([]byte{s.Fill}, int(s.Len))...)
		}
	}
	return func() *segSource { return &segSource{segs: segs, flat: flat} }, flat
}

func segHost(t *testing.T) (*os.File, []byte) {
	data := testutil.Data(200000, 12)
	path := filepath.Join(t.TempDir(), "host")
	os.WriteFile(path, data, 0o644)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, data
}

func methodsOf(r *zcopy.Report) string {
	var names []string
	for _, a := range r.Attempts {
		if a.Used {
			names = append(names, a.Method.String())
		}
	}
	return strings.Join(names, ",")
}

func TestCopySegmentsToFile(t *testing.T) {
	host, hostData := segHost(t)
	src, flat := segFixture(t, host, hostData)
	dst, err := os.Create(filepath.Join(t.TempDir(), "dst"))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	var rep zcopy.Report
	n, err := zcopy.CopySegments(dst, src(), zcopy.WithReport(&rep))
	if err != nil || n != int64(len(flat)) {
		t.Fatalf("CopySegments: %d, %v", n, err)
	}
	got, _ := os.ReadFile(dst.Name())
	if !bytes.Equal(got, flat) {
		t.Fatal(testutil.FirstDiff(got, flat))
	}
	if pos, _ := dst.Seek(0, io.SeekCurrent); pos != n {
		t.Fatalf("destination offset %d, want %d", pos, n)
	}
	t.Log(rep.String())
	if runtime.GOOS == "linux" {
		if m := methodsOf(&rep); m != "copy_file_range,hole,read/write" {
			t.Fatalf("methods used: %s (%s)", m, rep.String())
		}
		if b := allocatedBytes(t, dst); b > 1<<20 {
			t.Fatalf("holes were written: %d bytes allocated", b)
		}
	}
	if rep.Written != n {
		t.Fatalf("report Written %d", rep.Written)
	}
}

// TestCopySegmentsNoHoleOverData: zeros that land on existing bytes of
// the destination must be written, as io.Copy would.
func TestCopySegmentsNoHoleOverData(t *testing.T) {
	host, hostData := segHost(t)
	src, flat := segFixture(t, host, hostData)
	path := filepath.Join(t.TempDir(), "dst")
	os.WriteFile(path, bytes.Repeat([]byte{0xff}, 8<<20), 0o644)
	dst, _ := os.OpenFile(path, os.O_RDWR, 0)
	defer dst.Close()
	if _, err := zcopy.CopySegments(dst, src()); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := append(bytes.Clone(flat), bytes.Repeat([]byte{0xff}, 8<<20-len(flat))...)
	if !bytes.Equal(got, want) {
		t.Fatal(testutil.FirstDiff(got, want))
	}
}

func TestCopySegmentsToStreams(t *testing.T) {
	host, hostData := segHost(t)
	src, flat := segFixture(t, host, hostData)

	// bytes.Buffer: no descriptor.
	var buf bytes.Buffer
	if _, err := zcopy.CopySegments(&buf, src()); err != nil || !bytes.Equal(buf.Bytes(), flat) {
		t.Fatalf("to a buffer: %v", err)
	}

	// A socket: host ranges go with sendfile.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
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
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	var rep zcopy.Report
	_, err = zcopy.CopySegments(c, src(), zcopy.WithReport(&rep))
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, flat) {
		t.Fatal(testutil.FirstDiff(b, flat))
	}
	t.Log(rep.String())
	if runtime.GOOS == "linux" && !strings.HasPrefix(methodsOf(&rep), "sendfile") {
		t.Fatalf("to a socket: %s", rep.String())
	}
}

// TestCopySegmentsShortHost: a host range the host file no longer has is
// an error (EIO), not zeros.
func TestCopySegmentsShortHost(t *testing.T) {
	host, hostData := segHost(t)
	src, _ := segFixture(t, host, hostData)
	if err := os.Truncate(host.Name(), 50000); err != nil {
		t.Fatal(err)
	}
	dst, _ := os.Create(filepath.Join(t.TempDir(), "dst"))
	defer dst.Close()
	n, err := zcopy.CopySegments(dst, src())
	if !errors.Is(err, syscall.EIO) || n != 49000 {
		t.Fatalf("got %d, %v; want 49000, EIO", n, err)
	}
}
