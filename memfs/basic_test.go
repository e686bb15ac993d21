package memfs_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/memfs"
)

// hostFile writes data to a new temp file and returns it open for reading.
func hostFile(t testing.TB, data []byte) *os.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "host")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func newFS(t testing.TB, opts ...memfs.Option) *memfs.FS {
	fsys := memfs.New(opts...)
	t.Cleanup(func() { fsys.Close() })
	return fsys
}

func readAll(t testing.TB, fsys *memfs.FS, name string) []byte {
	t.Helper()
	b, err := fsys.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHolesReadAsZeros(t *testing.T) {
	fsys := newFS(t)
	f, err := fsys.Create("f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("secret")
	if err := f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(6); err != nil {
		t.Fatal(err)
	}
	// blang/vfs returned "secret" here.
	if got := readAll(t, fsys, "f"); !bytes.Equal(got, make([]byte, 6)) {
		t.Fatalf("after truncate-grow: %q", got)
	}
	if _, err := f.WriteAt([]byte("x"), 1<<40); err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	if fi.Size() != 1<<40+1 {
		t.Fatalf("size %d", fi.Size())
	}
	u := fsys.Usage()
	if u.Heap > 64<<10 || u.Holes < 1<<40 {
		t.Fatalf("a 1 TiB hole should cost nothing: %+v", u)
	}
	p := make([]byte, 3)
	if n, err := f.ReadAt(p, 1<<40-1); n != 2 || err != io.EOF || !bytes.Equal(p[:2], []byte{0, 'x'}) {
		t.Fatalf("ReadAt at the end: %d %v %q", n, err, p)
	}
}

func TestSequentialWritesMerge(t *testing.T) {
	fsys := newFS(t)
	f, _ := fsys.Create("f")
	defer f.Close()
	data := testutil.Data(3<<20, 1)
	for i := 0; i < len(data); i += 1000 {
		if _, err := f.Write(data[i:min(i+1000, len(data))]); err != nil {
			t.Fatal(err)
		}
	}
	fi, _ := f.Stat()
	if ext := fi.Sys().(*memfs.Stat).Extents; ext > 4 {
		t.Fatalf("3 MiB written in 1000-byte writes makes %d extents, want <= 4", ext)
	}
	if got := readAll(t, fsys, "f"); !bytes.Equal(got, data) {
		t.Fatal(testutil.FirstDiff(got, data))
	}
}

func TestImportRangeAndOverwrite(t *testing.T) {
	data := testutil.Data(1<<20, 2)
	host := hostFile(t, data)
	fsys := newFS(t)
	if err := fsys.ImportFile("big", host); err != nil {
		t.Fatal(err)
	}
	u := fsys.Usage()
	if u.Heap != 0 || u.Offloaded != int64(len(data)) || u.Extents != 1 {
		t.Fatalf("import: %+v", u)
	}
	f, err := fsys.OpenFile("big", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := bytes.Clone(data)
	patch := bytes.Repeat([]byte{'z'}, 4096)
	f.WriteAt(patch, 12345)
	copy(want[12345:], patch)
	if got := readAll(t, fsys, "big"); !bytes.Equal(got, want) {
		t.Fatal(testutil.FirstDiff(got, want))
	}
	u = fsys.Usage()
	if u.Heap != 4096 || u.InMemory != 4096 || u.Extents != 3 {
		t.Fatalf("after a 4 KiB write: %+v", u)
	}
	// Importing the same range back merges into one extent and refunds.
	if err := f.ImportRange(12345, host, 12345, 4096); err != nil {
		t.Fatal(err)
	}
	if u = fsys.Usage(); u.Heap != 0 || u.Extents != 1 {
		t.Fatalf("after re-import: %+v", u)
	}
	if got := readAll(t, fsys, "big"); !bytes.Equal(got, data) {
		t.Fatal(testutil.FirstDiff(got, data))
	}
	// The host file is never written.
	hb, _ := os.ReadFile(host.Name())
	if !bytes.Equal(hb, data) {
		t.Fatal("host file changed")
	}
}

func TestReadFromImports(t *testing.T) {
	data := testutil.Data(300<<10, 3)
	host := hostFile(t, data)
	host.Seek(1000, io.SeekStart)
	fsys := newFS(t)
	f, _ := fsys.Create("f")
	defer f.Close()
	f.WriteString("head")
	n, err := io.Copy(f, host)
	if err != nil || n != int64(len(data)-1000) {
		t.Fatalf("io.Copy: %d, %v", n, err)
	}
	if pos, _ := host.Seek(0, io.SeekCurrent); pos != int64(len(data)) {
		t.Fatalf("host offset %d, want %d", pos, len(data))
	}
	if u := fsys.Usage(); u.Offloaded != n || u.Heap > 4096 {
		t.Fatalf("ReadFrom did not import: %+v", u)
	}
	want := append([]byte("head"), data[1000:]...)
	if got := readAll(t, fsys, "f"); !bytes.Equal(got, want) {
		t.Fatal(testutil.FirstDiff(got, want))
	}
}

func TestBackingTruncated(t *testing.T) {
	data := testutil.Data(1<<20, 4)
	host := hostFile(t, data)
	fsys := newFS(t)
	if err := fsys.ImportFile("f", host); err != nil {
		t.Fatal(err)
	}
	f, _ := fsys.Open("f")
	defer f.Close()
	p := make([]byte, 8192)
	if _, err := f.Read(p); err != nil { // maps the file
		t.Fatal(err)
	}
	if err := os.Truncate(host.Name(), 4096); err != nil {
		t.Fatal(err)
	}
	r := f.(io.ReaderAt)
	if n, err := r.ReadAt(p[:4096], 0); n != 4096 || err != nil {
		t.Fatalf("read of a kept page: %d, %v", n, err)
	}
	n, err := r.ReadAt(p, 64<<10)
	if !errors.Is(err, syscall.EIO) {
		t.Fatalf("read of a lost page: %d, %v; want EIO", n, err)
	}
	var be *memfs.BackingError
	var pe *fs.PathError
	if !errors.As(err, &be) || !errors.As(err, &pe) || pe.Op != "read" || pe.Path != "f" {
		t.Fatalf("error shape: %#v", err)
	}
	// A read that starts on kept bytes returns them, then the error.
	n, err = r.ReadAt(make([]byte, 600<<10), 0)
	if !errors.Is(err, syscall.EIO) || n > 4096 {
		t.Fatalf("straddling read: %d, %v", n, err)
	}
	// Copying out fails the same way, without a crash.
	out, _ := os.Create(filepath.Join(t.TempDir(), "out"))
	defer out.Close()
	_, err = io.Copy(out, f.(io.Reader))
	if !errors.Is(err, syscall.EIO) {
		t.Fatalf("copy: %v", err)
	}
}

func TestBackingReplaced(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), []byte("original"), 0o644)
	fsys := newFS(t)
	if err := fsys.Import(t.Context(), dir, "tree"); err != nil {
		t.Fatal(err)
	}
	// Replace the file before memfs opened it.
	os.WriteFile(filepath.Join(dir, "b"), []byte("replaced"), 0o644)
	os.Rename(filepath.Join(dir, "b"), filepath.Join(dir, "a"))
	_, err := fsys.ReadFile("tree/a")
	if !errors.Is(err, syscall.ESTALE) {
		t.Fatalf("got %v, want ESTALE", err)
	}
}

func TestLiveView(t *testing.T) {
	host := hostFile(t, []byte("hello world"))
	fsys := newFS(t)
	fsys.ImportFile("f", host)
	w, _ := os.OpenFile(host.Name(), os.O_WRONLY, 0)
	w.WriteAt([]byte("HELLO"), 0)
	w.Seek(0, io.SeekEnd)
	w.Write(bytes.Repeat([]byte("!"), 100)) // growth does not show
	w.Close()
	if got := readAll(t, fsys, "f"); string(got) != "HELLO world" {
		t.Fatalf("got %q", got)
	}
}

func TestUnlinkWhileOpen(t *testing.T) {
	fsys := newFS(t, memfs.WithMemoryLimit(1<<20))
	f, _ := fsys.Create("f")
	f.Write(make([]byte, 100<<10))
	if err := fsys.Remove("f"); err != nil {
		t.Fatal(err)
	}
	if _, err := fsys.Stat("f"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stat after unlink: %v", err)
	}
	if u := fsys.Usage(); u.Heap < 100<<10 {
		t.Fatalf("data dropped while open: %+v", u)
	}
	f.WriteAt([]byte("x"), 5)
	p := make([]byte, 6)
	if _, err := f.ReadAt(p, 0); err != nil || p[5] != 'x' {
		t.Fatalf("read after unlink: %q %v", p, err)
	}
	f.Close()
	if u := fsys.Usage(); u.Heap != 0 {
		t.Fatalf("last close did not refund: %+v", u)
	}
}

func TestMemoryLimit(t *testing.T) {
	fsys := newFS(t, memfs.WithMemoryLimit(256<<10))
	f, _ := fsys.Create("f")
	defer f.Close()
	if _, err := f.Write(make([]byte, 200<<10)); err != nil {
		t.Fatal(err)
	}
	before := fsys.Usage()
	n, err := f.WriteAt(make([]byte, 100<<10), 300<<10)
	if n != 0 || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("over the limit: %d, %v", n, err)
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != "write" {
		t.Fatalf("error shape %#v", err)
	}
	fi, _ := f.Stat()
	if after := fsys.Usage(); after != before || fi.Size() != 200<<10 {
		t.Fatalf("a refused write changed something: %+v -> %+v, size %d", before, after, fi.Size())
	}
	// Holes and imports are free.
	if err := f.Truncate(1 << 40); err != nil {
		t.Fatal(err)
	}
	host := hostFile(t, make([]byte, 1<<20))
	if err := f.ImportRange(0, host, 0, 1<<20); err != nil {
		t.Fatal(err)
	}
	if u := fsys.Usage(); u.Heap != 0 {
		t.Fatalf("overwriting heap with an import must refund: %+v", u)
	}
	if _, err := f.WriteAt(make([]byte, 250<<10), 5<<20); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(5 << 20); err != nil {
		t.Fatal(err)
	}
	if u := fsys.Usage(); u.Heap != 0 {
		t.Fatalf("truncate must refund: %+v", u)
	}
	// O_TRUNC refunds too.
	f.WriteAt(make([]byte, 250<<10), 0)
	g, err := fsys.OpenFile("f", os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	g.Close()
	if u := fsys.Usage(); u.Heap != 0 {
		t.Fatalf("O_TRUNC must refund: %+v", u)
	}
}

func TestCloseReleasesHostFiles(t *testing.T) {
	host := hostFile(t, []byte("data"))
	fsys := memfs.New()
	fsys.ImportFile("f", host)
	fsys.WriteFile("mem", []byte("in memory"), 0o644)
	if got := readAll(t, fsys, "f"); string(got) != "data" {
		t.Fatalf("%q", got)
	}
	fsys.Close()
	if _, err := fsys.ReadFile("f"); !errors.Is(err, memfs.ErrClosed) {
		t.Fatalf("read after Close: %v", err)
	}
	if got := readAll(t, fsys, "mem"); string(got) != "in memory" {
		t.Fatalf("%q", got)
	}
}

func TestWriteAtTheLimit(t *testing.T) {
	fsys := newFS(t)
	f, _ := fsys.Create("f")
	defer f.Close()
	// pwrite(2) and pread(2) say EINVAL for a range past 2^63-1
	// (TestHandleArgumentsLikeLinux compares with Linux).
	if _, err := f.WriteAt([]byte("xy"), math.MaxInt64-1); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("write past 2^63-1: %v", err)
	}
	if _, err := f.WriteAt([]byte("x"), math.MaxInt64-1); err != nil {
		t.Fatalf("write of the last byte: %v", err)
	}
	if fi, _ := f.Stat(); fi.Size() != math.MaxInt64 {
		t.Fatalf("size %d", fi.Size())
	}
	p := make([]byte, 4)
	if n, err := f.ReadAt(p[:2], math.MaxInt64-2); n != 2 || err != nil || p[1] != 'x' {
		t.Fatalf("read at the end: %d %v %q", n, err, p)
	}
	if _, err := f.ReadAt(p, math.MaxInt64-2); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("read past 2^63-1: %v", err)
	}
}

// TestBackwardWritesMerge: small heap neighbours merge when written in
// reverse order too.
func TestBackwardWritesMerge(t *testing.T) {
	fsys := newFS(t, memfs.WithMemoryLimit(1<<20))
	f, _ := fsys.Create("f")
	defer f.Close()
	data := testutil.Data(256<<10, 9)
	f.Truncate(int64(len(data)))
	for off := len(data) - 4096; off >= 0; off -= 4096 {
		if _, err := f.WriteAt(data[off:off+4096], int64(off)); err != nil {
			t.Fatal(err)
		}
	}
	fi, _ := f.Stat()
	if ext := fi.Sys().(*memfs.Stat).Extents; ext > 6 {
		t.Fatalf("256 KiB written backwards in 4 KiB writes makes %d extents", ext)
	}
	if got := readAll(t, fsys, "f"); !bytes.Equal(got, data) {
		t.Fatal(testutil.FirstDiff(got, data))
	}
	if u := fsys.Usage(); u.Heap != int64(len(data)) {
		t.Fatalf("merged buffers' accounting: %+v", u)
	}
}
