package memfs_test

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/memfs"
)

// mixedFile makes a memfs file of host extents, holes and heap bytes and
// returns its content.
func mixedFile(t *testing.T, fsys *memfs.FS, name string) []byte {
	host := hostFile(t, testutil.Data(1<<20, 21))
	if err := fsys.ImportFile(name, host); err != nil {
		t.Fatal(err)
	}
	f, _ := fsys.OpenFile(name, os.O_RDWR, 0)
	defer f.Close()
	f.WriteAt([]byte("heap bytes in the middle"), 300000)
	f.Truncate(3 << 20)                                 // hole
	f.WriteAt(testutil.Data(10000, 22), 5<<20)          // hole, then heap
	f.ImportRange(6<<20, host, 4096, 200000)            // hole, then host
	f.WriteAt(bytes.Repeat([]byte{0}, 4096), 6<<20+100) // zeros as data
	f.Truncate(8 << 20)
	return readAll(t, fsys, name)
}

func usedMethods(r *zcopy.Report) string {
	var names []string
	for _, a := range r.Attempts {
		if a.Used {
			names = append(names, a.Method.String())
		}
	}
	return strings.Join(names, ",")
}

// onlyReader hides WriteTo and ReadSegments: io.Copy's generic path, the
// oracle.
type onlyReader struct{ io.Reader }

func TestCopyOutPaths(t *testing.T) {
	fsys := newFS(t)
	want := mixedFile(t, fsys, "f")
	dir := t.TempDir()

	copyTo := func(name string, copyFn func(dst *os.File, src *memfs.File) (int64, error)) []byte {
		t.Helper()
		src, _ := fsys.OpenFile("f", os.O_RDONLY, 0)
		defer src.Close()
		dst, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer dst.Close()
		n, err := copyFn(dst, src)
		if err != nil || n != int64(len(want)) {
			t.Fatalf("%s: %d, %v", name, n, err)
		}
		if pos, _ := src.Seek(0, io.SeekCurrent); pos != n {
			t.Fatalf("%s: source offset %d", name, pos)
		}
		got, _ := os.ReadFile(dst.Name())
		return got
	}
	oracle := copyTo("oracle", func(dst *os.File, src *memfs.File) (int64, error) {
		return io.Copy(dst, onlyReader{src})
	})
	if !bytes.Equal(oracle, want) {
		t.Fatal("generic copy:", testutil.FirstDiff(oracle, want))
	}
	for _, c := range []struct {
		name string
		fn   func(dst *os.File, src *memfs.File) (int64, error)
	}{
		{"io.Copy", func(dst *os.File, src *memfs.File) (int64, error) { return io.Copy(dst, src) }},
		{"zcopy.Copy", func(dst *os.File, src *memfs.File) (int64, error) { return zcopy.Copy(dst, src) }},
		{"CopySegments", func(dst *os.File, src *memfs.File) (int64, error) {
			var rep zcopy.Report
			n, err := zcopy.CopySegments(dst, src, zcopy.WithReport(&rep))
			t.Log(rep.String())
			if m := usedMethods(&rep); runtime.GOOS == "linux" && m != "copy_file_range,read/write,hole" {
				t.Errorf("methods: %s", rep.String())
			}
			return n, err
		}},
	} {
		if got := copyTo(c.name, c.fn); !bytes.Equal(got, oracle) {
			t.Errorf("%s: %s", c.name, testutil.FirstDiff(got, oracle))
		}
	}
	if runtime.GOOS == "linux" {
		fi, _ := os.Stat(filepath.Join(dir, "io.Copy"))
		oi, _ := os.Stat(filepath.Join(dir, "oracle"))
		if blocksOf(fi) >= blocksOf(oi)/2 {
			t.Errorf("holes not kept: %d blocks vs %d for the generic copy", blocksOf(fi), blocksOf(oi))
		}
	}
}

func TestCopyToSocketUsesSendfile(t *testing.T) {
	fsys := newFS(t)
	want := mixedFile(t, fsys, "f")
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
	f, _ := fsys.Open("f")
	defer f.Close()
	var rep zcopy.Report
	_, err = zcopy.CopySegments(c, f.(*memfs.File), zcopy.WithReport(&rep))
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatal(testutil.FirstDiff(b, want))
	}
	t.Log(rep.String())
	if runtime.GOOS == "linux" && !strings.HasPrefix(usedMethods(&rep), "sendfile") {
		t.Fatalf("no sendfile: %s", rep.String())
	}
}

// TestCopyMemfsToMemfs: host extents stay host extents.
func TestCopyMemfsToMemfs(t *testing.T) {
	a, b := newFS(t), newFS(t)
	want := mixedFile(t, a, "f")
	src, _ := a.Open("f")
	defer src.Close()
	dst, _ := b.Create("g")
	defer dst.Close()
	if _, err := io.Copy(dst, src.(io.Reader)); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, b, "g"); !bytes.Equal(got, want) {
		t.Fatal(testutil.FirstDiff(got, want))
	}
	ua, ub := a.Usage(), b.Usage()
	if ub.Offloaded != ua.Offloaded {
		t.Fatalf("host extents were copied: %+v -> %+v", ua, ub)
	}
}

// TestCopySizes: copies out of memfs match the generic path at boundary
// sizes and offsets.
func TestCopySizes(t *testing.T) {
	page := os.Getpagesize()
	fsys := newFS(t)
	host := hostFile(t, testutil.Data(3<<20, 31))
	for _, size := range []int{0, 1, page - 1, page, page + 1, 1<<20 - 1, 1 << 20, 1<<20 + 1, 3 << 20} {
		for _, start := range []int64{0, 1, int64(page) + 1} {
			f, _ := fsys.Create("s")
			f.ImportRange(0, host, 0, int64(size))
			if size > 2 {
				f.WriteAt([]byte{1, 2, 3}, int64(size/2))
			}
			f.Seek(start, io.SeekStart)
			want, _ := io.ReadAll(onlyReader{f})
			f.Seek(start, io.SeekStart)
			out, _ := os.Create(filepath.Join(t.TempDir(), "out"))
			n, err := io.Copy(out, f)
			out.Close()
			f.Close()
			got, _ := os.ReadFile(out.Name())
			if err != nil || n != int64(len(want)) || !bytes.Equal(got, want) {
				t.Fatalf("size %d start %d: %d, %v: %s", size, start, n, err, testutil.FirstDiff(got, want))
			}
		}
	}
}
