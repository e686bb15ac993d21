package wasi_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero/experimental/sysfs"

	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/memfs"
	"github.com/zcopy/zcopy/memfs/wasi"
)

// runTools runs the tools guest over fsys and returns its output, failing
// b on any error.
func runTools(b testing.TB, fsys any, args ...string) string {
	b.Helper()
	rt, mod := guestModule(b, "tools")
	out, stderr, code, err := guest{args: append([]string{"tools"}, args...), fs: asFS(fsys)}.run(context.Background(), rt, mod)
	if err != nil || code != 0 {
		b.Fatalf("tools %v: exit %d, %v\n%s%s", args, code, err, out, stderr)
	}
	return string(out)
}

// rchar is the bytes this process has read with read(2) and its
// siblings (/proc/self/io), or -1.
func rchar() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "rchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

// gorootTree returns GOROOT and its file count and bytes, or skips b.
func gorootTree(b *testing.B) (string, int, int64) {
	gocmd := goTool(b)
	goroot := goEnvGOROOT(b, gocmd)
	files, size := 0, int64(0)
	filepath.WalkDir(goroot, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files++
			if fi, err := d.Info(); err == nil {
				size += fi.Size()
			}
		}
		return nil
	})
	return goroot, files, size
}

// BenchmarkImportGOROOT: the overlay of a guest's tree, GOROOT (about
// 15,000 files): Import reads no file data (data-bytes/op is what this
// process read with read(2) meanwhile, the directory walk aside).
func BenchmarkImportGOROOT(b *testing.B) {
	goroot, files, size := gorootTree(b)
	b.SetBytes(size)
	b.ReportMetric(float64(files), "files")
	var read int64
	for b.Loop() {
		mfs := memfs.New()
		r0 := rchar()
		if err := mfs.Import(context.Background(), goroot, "goroot"); err != nil {
			b.Fatal(err)
		}
		read += rchar() - r0
		mfs.Close()
	}
	b.ReportMetric(float64(read)/float64(b.N), "data-bytes/op")
}

// BenchmarkGuestStartOverlay: import GOROOT, start a guest over it that
// stats one file, and let it exit.
func BenchmarkGuestStartOverlay(b *testing.B) {
	goroot, _, size := gorootTree(b)
	guestModule(b, "tools")
	b.SetBytes(size)
	for b.Loop() {
		mfs := memfs.New()
		if err := mfs.Import(context.Background(), goroot, "goroot"); err != nil {
			b.Fatal(err)
		}
		runTools(b, wasi.New(mfs), "stat", "/goroot/VERSION")
		mfs.Close()
	}
}

// smallFiles is how many 4 KiB files the small-file benchmarks use.
func smallFiles() int {
	if testing.Short() {
		return 100
	}
	return 10000
}

// benchFS is a contender: memfs, or a host directory on tmpfs or ext4
// through DirFS; fresh returns an empty filesystem with a directory "d".
type benchFS struct {
	name  string
	fresh func(b *testing.B) any
}

func contenders() []benchFS {
	host := func(parent func(b *testing.B) string) func(b *testing.B) any {
		return func(b *testing.B) any {
			dir := testutil.MkdirIn(b, parent(b))
			if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
				b.Fatal(err)
			}
			return sysfs.DirFS(dir)
		}
	}
	return []benchFS{
		{"memfs", func(b *testing.B) any {
			mfs := memfs.New()
			b.Cleanup(func() { mfs.Close() })
			if err := mfs.Mkdir("d", 0o755); err != nil {
				b.Fatal(err)
			}
			return wasi.New(mfs)
		}},
		{"DirFS-tmpfs", host(func(b *testing.B) string { return testutil.ShmDir(b) })},
		{"DirFS-ext4", host(func(b *testing.B) string { return b.TempDir() })},
	}
}

// BenchmarkGuestCreateWrite: a guest creates N files, writes 4 KiB to
// each and closes it (N = 10,000; 100 with -short).
func BenchmarkGuestCreateWrite(b *testing.B) {
	n := smallFiles()
	for _, c := range contenders() {
		b.Run(c.name, func(b *testing.B) {
			guestModule(b, "tools")
			b.SetBytes(int64(n) * 4096)
			for b.Loop() {
				b.StopTimer()
				fsys := c.fresh(b)
				b.StartTimer()
				runTools(b, fsys, "create", "/d", fmt.Sprint(n))
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/file")
		})
	}
}

// BenchmarkGuestOpenRead: a guest opens, reads (4 KiB) and closes N files.
func BenchmarkGuestOpenRead(b *testing.B) {
	n := smallFiles()
	for _, c := range contenders() {
		b.Run(c.name, func(b *testing.B) {
			fsys := c.fresh(b)
			runTools(b, fsys, "create", "/d", fmt.Sprint(n))
			b.SetBytes(int64(n) * 4096)
			for b.Loop() {
				runTools(b, fsys, "readall", "/d", fmt.Sprint(n))
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/file")
		})
	}
}

// BenchmarkGuestSequentialRead: a guest reads one host file (1 GiB; 16 MiB
// with -short) to its end in 1 MiB reads, through DirFS and as an
// imported memfs file (host extents) of the same host file.
func BenchmarkGuestSequentialRead(b *testing.B) {
	size := int64(1 << 30)
	if testing.Short() {
		size = 16 << 20
	}
	dir := testutil.ShmDir(b)
	host := filepath.Join(dir, "big")
	f, err := os.Create(host)
	if err != nil {
		b.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	for w := int64(0); w < size; w += int64(len(chunk)) {
		if _, err := f.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	mfs := memfs.New()
	defer mfs.Close()
	if err := mfs.ImportFile("big", f); err != nil {
		b.Fatal(err)
	}
	f.Close()
	want := fmt.Sprintln(size)
	for _, c := range []struct {
		name string
		fs   any
	}{{"DirFS-tmpfs", sysfs.DirFS(dir)}, {"memfs-import", wasi.New(mfs)}} {
		b.Run(c.name, func(b *testing.B) {
			guestModule(b, "tools")
			b.SetBytes(size)
			for b.Loop() {
				if out := runTools(b, c.fs, "cat", "/big"); out != want {
					b.Fatalf("cat printed %q, want %q", out, want)
				}
			}
		})
	}
}
