package memfs_test

import (
	"context"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/zcopy/zcopy/memfs"
)

// Benchmarks against afero's MemMapFs, the most used Go in-memory
// filesystem. The big host file is 1 GiB (64 MiB with -short, for CI's
// smoke run); it is made once per process and removed by TestMain.

var bench struct {
	once sync.Once
	dir  string
	path string
	size int64
	err  error
}

// benchHost returns the path and size of the big host file, written with
// pseudo-random data (and so in the page cache afterwards).
func benchHost(b *testing.B) (string, int64) {
	bench.once.Do(func() {
		bench.size = 1 << 30
		if testing.Short() {
			bench.size = 64 << 20
		}
		if bench.dir, bench.err = os.MkdirTemp("", "memfs-bench"); bench.err != nil {
			return
		}
		bench.path = filepath.Join(bench.dir, "big")
		f, err := os.Create(bench.path)
		if err != nil {
			bench.err = err
			return
		}
		defer f.Close()
		rng := rand.New(rand.NewPCG(1, 2))
		buf := make([]byte, 4<<20)
		for off := int64(0); off < bench.size; off += int64(len(buf)) {
			for i := 0; i < len(buf); i += 8 {
				v := rng.Uint64()
				for k := range 8 {
					buf[i+k] = byte(v >> (8 * k))
				}
			}
			if _, err := f.Write(buf); err != nil {
				bench.err = err
				return
			}
		}
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.path, bench.size
}

func removeBenchFiles() {
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
}

// BenchmarkImport: a host file into the filesystem. memfs imports it as
// one host extent; afero has to read and copy every byte.
func BenchmarkImport(b *testing.B) {
	path, size := benchHost(b)
	b.Run("memfs", func(b *testing.B) {
		host, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer host.Close()
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			fsys := memfs.New()
			if err := fsys.ImportFile("big", host); err != nil {
				b.Fatal(err)
			}
			fsys.Close()
		}
	})
	b.Run("afero", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			afs := afero.NewMemMapFs()
			data, err := os.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			if err := afero.WriteFile(afs, "big", data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRandomWrite4K: 4 KiB writes at random aligned offsets of a
// 1 GiB file: imported (memfs-offload), all in memory (memfs-heap), afero.
func BenchmarkRandomWrite4K(b *testing.B) {
	path, size := benchHost(b)
	p := make([]byte, 4096)
	run := func(b *testing.B, w io.WriterAt) {
		rng := rand.New(rand.NewPCG(3, 4))
		b.SetBytes(int64(len(p)))
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if _, err := w.WriteAt(p, rng.Int64N(size/4096)*4096); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("memfs-offload", func(b *testing.B) {
		host, _ := os.Open(path)
		defer host.Close()
		fsys := memfs.New()
		defer fsys.Close()
		fsys.ImportFile("big", host)
		f, _ := fsys.OpenFile("big", os.O_RDWR, 0)
		defer f.Close()
		run(b, f)
	})
	b.Run("memfs-heap", func(b *testing.B) {
		fsys := memfs.New()
		defer fsys.Close()
		f, _ := fsys.Create("big")
		defer f.Close()
		host, _ := os.Open(path)
		io.Copy(f, onlyReader{host})
		host.Close()
		run(b, f)
	})
	b.Run("afero", func(b *testing.B) {
		afs := afero.NewMemMapFs()
		data, _ := os.ReadFile(path)
		afero.WriteFile(afs, "big", data, 0o644)
		data = nil
		f, _ := afs.OpenFile("big", os.O_RDWR, 0)
		defer f.Close()
		run(b, f)
	})
}

// BenchmarkSequentialRead: reading a whole 256 MiB file (32 MiB with
// -short) with 1 MiB reads, against a plain copy out of one []byte.
func BenchmarkSequentialRead(b *testing.B) {
	path, size := benchHost(b)
	size = min(size, 256<<20)
	if testing.Short() {
		size = 32 << 20
	}
	buf := make([]byte, 1<<20)
	readAllOf := func(b *testing.B, r io.ReadSeeker) {
		b.SetBytes(size)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			r.Seek(0, io.SeekStart)
			var n int64
			for {
				k, err := r.Read(buf)
				n += int64(k)
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			if n != size {
				b.Fatalf("read %d", n)
			}
		}
	}
	host, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer host.Close()
	data := make([]byte, size)
	io.ReadFull(host, data)

	b.Run("memcopy", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			for off := 0; off < len(data); off += len(buf) {
				copy(buf, data[off:])
			}
		}
	})
	b.Run("memfs-heap", func(b *testing.B) {
		fsys := memfs.New()
		defer fsys.Close()
		fsys.WriteFile("f", data, 0o644)
		f, _ := fsys.Open("f")
		defer f.Close()
		readAllOf(b, f.(io.ReadSeeker))
	})
	b.Run("memfs-offload", func(b *testing.B) {
		fsys := memfs.New()
		defer fsys.Close()
		f, _ := fsys.Create("f")
		f.ImportRange(0, host, 0, size)
		defer f.Close()
		readAllOf(b, f)
	})
	b.Run("afero", func(b *testing.B) {
		afs := afero.NewMemMapFs()
		afero.WriteFile(afs, "f", data, 0o644)
		f, _ := afs.Open("f")
		defer f.Close()
		readAllOf(b, f)
	})
}

// BenchmarkImportGoRoot: the Go distribution as a copy-on-write overlay
// (GOROOT/src/io with -short). It reports the files and the heap the
// imported tree holds.
func BenchmarkImportGoRoot(b *testing.B) {
	root := goroot()
	if testing.Short() {
		root = filepath.Join(root, "src", "io")
	}
	if _, err := os.Stat(root); err != nil {
		b.Skip("no Go distribution:", err)
	}
	var files int
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files++
		}
		return nil
	})
	b.Run("memfs", func(b *testing.B) {
		b.ReportAllocs()
		var heap uint64
		for b.Loop() {
			b.StopTimer()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			b.StartTimer()
			fsys := memfs.New()
			if err := fsys.Import(context.Background(), root, "go"); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			runtime.GC()
			runtime.ReadMemStats(&after)
			heap = after.HeapAlloc - min(before.HeapAlloc, after.HeapAlloc)
			runtime.KeepAlive(fsys)
			fsys.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(files), "files")
		b.ReportMetric(float64(heap)/(1<<20), "MiB-heap")
	})
	b.Run("afero", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			afs := afero.NewMemMapFs()
			filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				rel, _ := filepath.Rel(root, path)
				switch {
				case d.IsDir():
					return afs.MkdirAll(rel, 0o755)
				case d.Type().IsRegular():
					data, err := os.ReadFile(path)
					if err != nil {
						return err
					}
					return afero.WriteFile(afs, rel, data, 0o644)
				}
				return nil
			})
		}
		b.ReportMetric(float64(files), "files")
	})
}

// BenchmarkSequentialReadRatio alternates a plain copy and memfs reads of
// the same bytes within each iteration and reports the median ratio of
// their throughputs, which the noise of a shared machine affects much less
// than the absolute numbers of BenchmarkSequentialRead.
func BenchmarkSequentialReadRatio(b *testing.B) {
	path, size := benchHost(b)
	size = min(size, 256<<20)
	if testing.Short() {
		size = 32 << 20
	}
	host, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer host.Close()
	data := make([]byte, size)
	io.ReadFull(host, data)
	fsys := memfs.New()
	defer fsys.Close()
	fsys.WriteFile("heap", data, 0o644)
	off, _ := fsys.Create("offload")
	off.ImportRange(0, host, 0, size)
	off.Close()
	heap, _ := fsys.Open("heap")
	defer heap.Close()
	offload, _ := fsys.Open("offload")
	defer offload.Close()
	buf := make([]byte, 1<<20)
	timeIt := func(fn func()) float64 {
		start := time.Now()
		fn()
		return float64(time.Since(start))
	}
	readAll := func(f fs.File) func() {
		return func() {
			r := f.(io.ReadSeeker)
			r.Seek(0, io.SeekStart)
			for {
				if _, err := r.Read(buf); err == io.EOF {
					return
				}
			}
		}
	}
	var heapRatios, offloadRatios []float64
	memcopy := func() {
		for o := 0; o < len(data); o += len(buf) {
			copy(buf, data[o:])
		}
	}
	contenders := []func(){memcopy, readAll(heap), readAll(offload)}
	b.SetBytes(size)
	round := 0
	for b.Loop() {
		// Each round starts with the next contender: A B C, B C A, ...
		var t [3]float64
		for k := range contenders {
			i := (round + k) % len(contenders)
			t[i] = timeIt(contenders[i])
		}
		round++
		heapRatios = append(heapRatios, t[0]/t[1])
		offloadRatios = append(offloadRatios, t[0]/t[2])
	}
	b.ReportMetric(median(heapRatios), "heap/memcopy")
	b.ReportMetric(median(offloadRatios), "offload/memcopy")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
