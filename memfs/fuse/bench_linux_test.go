//go:build amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64 || mips64 || mips64le

package fuse_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/memfs"
	memfuse "github.com/zcopy/zcopy/memfs/fuse"
)

// benchFileSize is the untouched host file the benchmarks write into and
// read: 1 GiB, 64 MiB with -short (CI's smoke run).
func benchFileSize() int64 {
	if testing.Short() {
		return 64 << 20
	}
	return 1 << 30
}

var benchLower struct {
	once sync.Once
	dir  string
	err  error
}

// lowerDir is a directory on the root filesystem holding "big", a file of
// benchFileSize bytes in the page cache, shared by the benchmarks.
func lowerDir(b *testing.B) string {
	benchLower.once.Do(func() {
		dir, err := os.MkdirTemp("", "memfs-fuse-bench-")
		if err != nil {
			benchLower.err = err
			return
		}
		benchLower.dir = dir
		f, err := os.Create(filepath.Join(dir, "big"))
		if err != nil {
			benchLower.err = err
			return
		}
		defer f.Close()
		buf := make([]byte, 1<<20)
		for i := range buf {
			buf[i] = byte(i*31 + i>>12)
		}
		for off := int64(0); off < benchFileSize(); off += int64(len(buf)) {
			if _, err := f.Write(buf); err != nil {
				benchLower.err = err
				return
			}
		}
	})
	if benchLower.err != nil {
		b.Fatal(benchLower.err)
	}
	return benchLower.dir
}

// removeBenchLower removes the shared lower directory (from TestMain).
func removeBenchLower() {
	if benchLower.dir != "" {
		os.RemoveAll(benchLower.dir)
	}
}

// A contender mounts a view of lower at a new directory and returns it
// with its unmount.
type contender struct {
	name  string
	need  string // command it needs
	mount func(b *testing.B, lower string) (dir string, unmount func())
}

func contenders(withNoSplice bool) []contender {
	cs := []contender{
		{name: "memfs-fuse", mount: func(b *testing.B, lower string) (string, func()) {
			return mountMemfs(b, lower, nil)
		}},
	}
	if withNoSplice {
		cs = append(cs, contender{name: "memfs-fuse-nosplice", mount: func(b *testing.B, lower string) (string, func()) {
			return mountMemfs(b, lower, &memfuse.Options{NoSplice: true})
		}}, contender{name: "memfs-fuse-untuned", mount: func(b *testing.B, lower string) (string, func()) {
			// go-fuse's 128 KiB requests, the kernel's 128 KiB readahead.
			defer memfuse.SetReadTuning(0, 0)()
			return mountMemfs(b, lower, nil)
		}}, contender{name: "memfs-fuse-passthrough", mount: func(b *testing.B, lower string) (string, func()) {
			return mountMemfs(b, lower, &memfuse.Options{Passthrough: true})
		}})
	}
	return append(cs,
		contender{name: "overlayfs", mount: mountOverlayfs},
		contender{name: "fuse-overlayfs", need: "fuse-overlayfs", mount: mountFuseOverlayfs},
	)
}

func mountMemfs(b *testing.B, lower string, opts *memfuse.Options) (string, func()) {
	fsys := memfs.New(memfs.WithUmask(0))
	if err := fsys.Import(context.Background(), lower, "."); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	srv, err := memfuse.Mount(dir, fsys, opts)
	if err != nil {
		b.Fatal(err)
	}
	return dir, func() {
		if srv.Unmount() != nil {
			unix.Unmount(dir, unix.MNT_DETACH)
		}
		srv.Wait()
		fsys.Close()
	}
}

// mountOverlayfs mounts kernel overlayfs with lower as lower layer and a
// fresh tmpfs for upper and work.
func mountOverlayfs(b *testing.B, lower string) (string, func()) {
	top := b.TempDir()
	if err := unix.Mount("tmpfs", top, "tmpfs", 0, "size=2g"); err != nil {
		b.Skipf("tmpfs: %v", err)
	}
	upper, work, dir := filepath.Join(top, "upper"), filepath.Join(top, "work"), b.TempDir()
	os.Mkdir(upper, 0o755)
	os.Mkdir(work, 0o755)
	if err := unix.Mount("overlay", dir, "overlay", 0, "lowerdir="+lower+",upperdir="+upper+",workdir="+work); err != nil {
		unix.Unmount(top, 0)
		b.Skipf("overlayfs: %v", err)
	}
	return dir, func() {
		unix.Unmount(dir, unix.MNT_DETACH)
		unix.Unmount(top, unix.MNT_DETACH)
	}
}

// mountFuseOverlayfs runs fuse-overlayfs with lower as lower layer and
// upper and work on a fresh tmpfs.
func mountFuseOverlayfs(b *testing.B, lower string) (string, func()) {
	top := b.TempDir()
	if err := unix.Mount("tmpfs", top, "tmpfs", 0, "size=2g"); err != nil {
		b.Skipf("tmpfs: %v", err)
	}
	upper, work, dir := filepath.Join(top, "upper"), filepath.Join(top, "work"), b.TempDir()
	os.Mkdir(upper, 0o755)
	os.Mkdir(work, 0o755)
	out, err := exec.Command("fuse-overlayfs", "-o", "lowerdir="+lower+",upperdir="+upper+",workdir="+work, dir).CombinedOutput()
	if err != nil {
		unix.Unmount(top, 0)
		b.Skipf("fuse-overlayfs: %v %s", err, out)
	}
	return dir, func() {
		exec.Command("fusermount3", "-u", dir).Run()
		unix.Unmount(dir, unix.MNT_DETACH)
		unix.Unmount(top, unix.MNT_DETACH)
	}
}

// BenchmarkFirstWrite: the first 4 KiB write into an untouched imported
// file (open, pwrite at the middle, close) on each contender; the
// overlays copy the whole file up first. One fresh mount per iteration.
func BenchmarkFirstWrite(b *testing.B) {
	needFUSE(b)
	lower := lowerDir(b)
	page := make([]byte, 4096)
	for _, c := range contenders(false) {
		b.Run(c.name, func(b *testing.B) {
			if c.need != "" {
				if _, err := exec.LookPath(c.need); err != nil {
					b.Skip(err)
				}
			}
			b.SetBytes(int64(len(page)))
			var total time.Duration
			for b.Loop() {
				b.StopTimer()
				dir, unmount := c.mount(b, lower)
				b.StartTimer()
				start := time.Now()
				f, err := os.OpenFile(filepath.Join(dir, "big"), os.O_WRONLY, 0)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := f.WriteAt(page, benchFileSize()/2); err != nil {
					b.Fatal(err)
				}
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
				total += time.Since(start)
				b.StopTimer()
				unmount()
				b.StartTimer()
			}
			b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs/write")
		})
	}
}

// BenchmarkSequentialRead: reading an untouched imported file from start
// to end in 1 MiB reads, the host file in the page cache, on a fresh
// mount per iteration (so no contender reads from its own page cache).
func BenchmarkSequentialRead(b *testing.B) {
	needFUSE(b)
	lower := lowerDir(b)
	buf := make([]byte, 1<<20)
	for _, c := range append([]contender{{name: "host", mount: func(b *testing.B, lower string) (string, func()) { return lower, func() {} }}}, contenders(true)...) {
		b.Run(c.name, func(b *testing.B) {
			if c.need != "" {
				if _, err := exec.LookPath(c.need); err != nil {
					b.Skip(err)
				}
			}
			b.SetBytes(benchFileSize())
			for b.Loop() {
				b.StopTimer()
				dir, unmount := c.mount(b, lower)
				f, err := os.Open(filepath.Join(dir, "big"))
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				var n int64
				for {
					k, err := f.Read(buf)
					n += int64(k)
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				f.Close()
				if n != benchFileSize() {
					b.Fatalf("read %d bytes, want %d", n, benchFileSize())
				}
				unmount()
				b.StartTimer()
			}
		})
	}
}

// BenchmarkSmallFileReads: reading every file of GOROOT (15,000 files,
// most of them small; GOROOT/src/encoding with -short) through each
// contender, GOROOT as the lower tree, on a fresh mount per iteration: the cost per file of the requests
// around each read (open, read, release).
func BenchmarkSmallFileReads(b *testing.B) {
	needFUSE(b)
	out, err := exec.Command(goTool(), "env", "GOROOT").Output()
	if err != nil {
		b.Skip(err)
	}
	lower := string(bytes.TrimSpace(out))
	if testing.Short() {
		// CI's smoke run: a few hundred files.
		lower = filepath.Join(lower, "src", "encoding")
	}
	for _, c := range contenders(true) {
		if c.name == "memfs-fuse-untuned" {
			continue // the request size does not matter for small files
		}
		b.Run(c.name, func(b *testing.B) {
			if c.need != "" {
				if _, err := exec.LookPath(c.need); err != nil {
					b.Skip(err)
				}
			}
			var files, size int64
			for b.Loop() {
				b.StopTimer()
				dir, unmount := c.mount(b, lower)
				b.StartTimer()
				files, size = 0, 0
				err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
					if err != nil || !d.Type().IsRegular() {
						return err
					}
					data, err := os.ReadFile(p)
					files++
					size += int64(len(data))
					return err
				})
				b.StopTimer()
				unmount()
				b.StartTimer()
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(files), "files")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(max(files, 1)), "µs/file")
		})
	}
}
