package uring_test

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/internal/uring"
)

// The benchmarks compare contenders inside one run: every iteration runs
// each contender once, in an order rotated per iteration, and the table
// logged at the end (-v) gives per contender the median wall time, its
// spread (min-max), the median CPU time of this process (user+sys, from
// getrusage) and the ratio to the baseline's median. Run for example:
//
//	go test -run '^$' -bench FileCopy -benchtime 5x -v ./internal/uring/ -uring.size 1GiB
//	go test -run '^$' -bench FileCopy -benchtime 5x -v ./internal/uring/ -uring.cold   (root)
//	go test -run '^$' -bench FileToSocket -benchtime 5x -v ./internal/uring/
var (
	benchSize = flag.String("uring.size", "256MiB", "bytes per copy for the big-file benchmarks (KiB/MiB/GiB suffixes)")
	benchCold = flag.Bool("uring.cold", false, "drop the page cache before every copy (needs root)")
	benchDir  = flag.String("uring.dir", "", "directory for the benchmarks' files (default: the test's temp dir)")
	benchSync = flag.Bool("uring.fsync", false, "include an fdatasync of the destination in the timed copy")
	benchN    = flag.Int("uring.files", 20000, "files in the small-file benchmark's flat tree")
	benchFSz  = flag.String("uring.filesize", "4KiB", "size of each file of the flat tree")
	benchTree = flag.String("uring.tree", "", "copy this tree's regular files instead of a flat tree (e.g. $(go env GOROOT))")
	benchOnly = flag.String("uring.only", "", "run only the contenders whose names match this regular expression (the first row stays the baseline)")
)

// shortCap keeps the CI's one-iteration smoke run (-short) small.
func shortCap(n, short int64) int64 {
	if testing.Short() {
		return min(n, short)
	}
	return n
}

func parseSize(tb testing.TB, s string) int64 {
	mult := int64(1)
	for suf, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(s, suf) {
			s, mult = strings.TrimSuffix(s, suf), m
		}
	}
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		tb.Fatalf("bad size %q", s)
	}
	return n * mult
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// bigSource writes size pseudo-random bytes to a file in dir, fsyncs it,
// and returns its path and CRC-32C.
func bigSource(tb testing.TB, dir string, size int64) (string, uint32) {
	tb.Helper()
	f, err := os.CreateTemp(dir, "bench-src-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.Remove(f.Name()) })
	defer f.Close()
	rng := rand.New(rand.NewPCG(uint64(size), 7))
	buf := make([]byte, 1<<20)
	var crc uint32
	for left := size; left > 0; {
		for i := range buf {
			buf[i] = byte(rng.Uint32())
		}
		chunk := buf[:min(left, int64(len(buf)))]
		if _, err := f.Write(chunk); err != nil {
			tb.Fatal(err)
		}
		crc = crc32.Update(crc, castagnoli, chunk)
		left -= int64(len(chunk))
	}
	if err := f.Sync(); err != nil {
		tb.Fatal(err)
	}
	return f.Name(), crc
}

func fileCRC(path string) (int64, uint32) {
	f, err := os.Open(path)
	if err != nil {
		return -1, 0
	}
	defer f.Close()
	h := crc32.New(castagnoli)
	n, _ := io.CopyBuffer(h, f, make([]byte, 1<<20))
	return n, h.Sum32()
}

func dropCaches(tb testing.TB) {
	unix.Sync()
	if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0); err != nil {
		tb.Fatalf("-uring.cold: %v", err)
	}
}

func cpuTime() time.Duration {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sample is one run of one contender.
type sample struct{ wall, cpu time.Duration }

type contender struct {
	name string
	run  func(src, dst string) error
}

// table runs the contenders b.N times each, alternating, and logs the table.
func table(b *testing.B, title string, size int64, cs []contender, run func(c contender) (sample, error)) {
	if *benchOnly != "" {
		re := regexp.MustCompile(*benchOnly)
		cs = slices.DeleteFunc(cs, func(c contender) bool { return c.name != cs[0].name && !re.MatchString(c.name) })
	}
	samples := make([][]sample, len(cs))
	b.SetBytes(size * int64(len(cs)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range cs {
			j := (i + k) % len(cs)
			s, err := run(cs[j])
			if err != nil {
				b.Fatalf("%s: %v", cs[j].name, err)
			}
			samples[j] = append(samples[j], s)
		}
	}
	b.StopTimer()
	med := func(xs []sample, f func(sample) time.Duration) (m, lo, hi time.Duration) {
		v := make([]time.Duration, len(xs))
		for i, x := range xs {
			v[i] = f(x)
		}
		slices.Sort(v)
		return v[len(v)/2], v[0], v[len(v)-1]
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n%s, %s per copy, %d runs each, alternated\n\n", title, fmtSize(size), b.N)
	sb.WriteString("| contender | median | min-max | MB/s | CPU (median) | x baseline (wall) | x baseline (CPU) |\n|---|---|---|---|---|---|---|\n")
	baseW, _, _ := med(samples[0], func(s sample) time.Duration { return s.wall })
	baseC, _, _ := med(samples[0], func(s sample) time.Duration { return s.cpu })
	for j, c := range cs {
		w, lo, hi := med(samples[j], func(s sample) time.Duration { return s.wall })
		cpu, _, _ := med(samples[j], func(s sample) time.Duration { return s.cpu })
		fmt.Fprintf(&sb, "| %s | %v | %v-%v | %.0f | %v | %.2f | %.2f |\n", c.name, w.Round(time.Millisecond), lo.Round(time.Millisecond), hi.Round(time.Millisecond),
			float64(size)/w.Seconds()/1e6, cpu.Round(time.Millisecond), baseW.Seconds()/w.Seconds(), baseC.Seconds()/cpu.Seconds())
		b.ReportMetric(w.Seconds(), strings.NewReplacer(" ", "_", "/", "_").Replace(c.name)+"-s")
	}
	b.Log(sb.String())
}

func fmtSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// zcopyFile copies src to dst with zcopy and the given options, then
// fdatasyncs dst: the time includes getting the bytes to the disk.
func zcopyFile(opts ...zcopy.Option) func(src, dst string) error {
	return func(src, dst string) error {
		s, err := os.Open(src)
		if err != nil {
			return err
		}
		defer s.Close()
		d, err := os.Create(dst)
		if err != nil {
			return err
		}
		defer d.Close()
		var rep zcopy.Report
		if _, err := zcopy.CopyContext(context.Background(), d, s, append(opts, zcopy.WithReport(&rep))...); err != nil {
			return err
		}
		if rep.Method == 0 {
			return fmt.Errorf("no method reported: %s", &rep)
		}
		return maybeSync(d)
	}
}

// batchFile is the first source document's scheme through the engine.
func batchFile(src, dst string) error {
	s, err := os.Open(src)
	if err != nil {
		return err
	}
	defer s.Close()
	d, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer d.Close()
	st, _ := s.Stat()
	if _, err := uring.Copy(&uring.CopyArgs{Src: int(s.Fd()), Size: st.Size(), Dst: int(d.Fd()), Remain: -1},
		uring.Config{Batch: true, QueueDepth: 8, BlockSize: 512 << 10}, nil); err != nil {
		return err
	}
	return maybeSync(d)
}

func maybeSync(f *os.File) error {
	if *benchSync {
		return unix.Fdatasync(int(f.Fd()))
	}
	return nil
}

// BenchmarkFileCopy copies a big file to a new file in the same
// directory (ext4 by default; -uring.dir /dev/shm for tmpfs), warm or
// (-uring.cold) cold cache. Before every copy, untimed, dirty pages are
// written back (sync) and, cold, the page cache is dropped; the timed copy
// ends when the bytes are in the page cache (-uring.fsync: on the disk).
func BenchmarkFileCopy(b *testing.B) {
	if err := uring.Available(); err != nil {
		b.Skip(err)
	}
	size := shortCap(parseSize(b, *benchSize), 16<<20)
	dir := *benchDir
	if dir == "" {
		dir = b.TempDir()
	}
	src, crc := bigSource(b, dir, size)
	dst := filepath.Join(dir, "bench-dst")
	defer os.Remove(dst)
	cs := []contender{
		{"read/write", zcopyFile(zcopy.Only(zcopy.ReadWrite))},
		{"copy_file_range", zcopyFile(zcopy.Only(zcopy.CopyFileRange))},
		{"uring", zcopyFile(zcopy.Only(zcopy.Uring), zcopy.WithUring(zcopy.UringOptions{Direct: zcopy.DirectNever}))},
		{"uring auto-direct", zcopyFile(zcopy.Only(zcopy.Uring))},
		{"uring O_DIRECT", zcopyFile(zcopy.Only(zcopy.Uring), zcopy.WithUring(zcopy.UringOptions{Direct: zcopy.DirectAlways}))},
		{"uring fixed", zcopyFile(zcopy.Only(zcopy.Uring), zcopy.WithUring(zcopy.UringOptions{Fixed: true}))},
		{"batch-then-write", batchFile},
	}
	verified := map[string]bool{}
	cache := "warm"
	if *benchCold {
		cache = "cold"
	}
	what := "copy"
	if *benchSync {
		what = "copy + fdatasync"
	}
	table(b, fmt.Sprintf("file -> file (%s cache, %s)", cache, what), size, cs, func(c contender) (sample, error) {
		os.Remove(dst)
		unix.Sync()
		if *benchCold {
			dropCaches(b)
		} else if n, _ := fileCRC(src); n != size {
			return sample{}, fmt.Errorf("source has %d bytes", n)
		}
		c0, t0 := cpuTime(), time.Now()
		err := c.run(src, dst)
		s := sample{time.Since(t0), cpuTime() - c0}
		if err == nil && !verified[c.name] {
			verified[c.name] = true
			if n, got := fileCRC(dst); n != size || got != crc {
				err = fmt.Errorf("destination has %d bytes, CRC %08x; want %d, %08x", n, got, size, crc)
			}
		}
		return s, err
	})
}

// recvEnv makes the test binary a receiver (see TestMain in main_test.go).
const recvEnv = "ZCOPY_URING_BENCH_RECV"

// BenchmarkFileToSocket sends a big cached file into a Unix and a TCP
// loopback socket whose reader is another process; CPU is the sender's.
func BenchmarkFileToSocket(b *testing.B) {
	if err := uring.Available(); err != nil {
		b.Skip(err)
	}
	size := shortCap(parseSize(b, *benchSize), 16<<20)
	src, crc := bigSource(b, b.TempDir(), size)
	fileCRC(src) // cache it
	for _, network := range []string{"unix", "tcp"} {
		b.Run(network, func(b *testing.B) {
			spec := network + ":" + filepath.Join(b.TempDir(), "sock")
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), recvEnv+"="+spec)
			out, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			defer func() { cmd.Process.Kill(); cmd.Wait() }()
			addr, err := bufio.NewReader(out).ReadString('\n')
			if err != nil {
				b.Fatal(err)
			}
			addr = strings.TrimSpace(addr)
			send := func(opts ...zcopy.Option) func(string, string) error {
				return func(src, _ string) error {
					s, err := os.Open(src)
					if err != nil {
						return err
					}
					defer s.Close()
					c, err := net.Dial(network, addr)
					if err != nil {
						return err
					}
					defer c.Close()
					var rep zcopy.Report
					if _, err := zcopy.CopyContext(context.Background(), c, s, append(opts, zcopy.WithReport(&rep))...); err != nil {
						return err
					}
					c.(interface{ CloseWrite() error }).CloseWrite()
					var n int64
					var got uint32
					if _, err := fmt.Fscanf(c, "%d %x\n", &n, &got); err != nil {
						return err
					}
					if n != size || got != crc {
						return fmt.Errorf("receiver got %d bytes, CRC %08x; want %d, %08x (%s)", n, got, size, crc, &rep)
					}
					return nil
				}
			}
			cs := []contender{
				{"sendfile", send(zcopy.Only(zcopy.Sendfile))},
				{"splice", send(zcopy.Only(zcopy.Splice))},
				{"read/write", send(zcopy.Only(zcopy.ReadWrite))},
				{"uring send", send(zcopy.Only(zcopy.Uring))},
				{"uring send 4x128K", send(zcopy.Only(zcopy.Uring), zcopy.WithUring(zcopy.UringOptions{QueueDepth: 4, BlockSize: 128 << 10}))},
				{"uring splice", send(zcopy.Only(zcopy.Uring), zcopy.WithUring(zcopy.UringOptions{Splice: true}))},
			}
			if network == "tcp" {
				cs = append(cs, contender{"uring send_zc", send(zcopy.Only(zcopy.Uring), zcopy.WithUring(zcopy.UringOptions{ZeroCopy: true}))})
			}
			table(b, "file -> "+network+" socket (receiver in another process; CPU is the sender's)", size, cs, func(c contender) (sample, error) {
				c0, t0 := cpuTime(), time.Now()
				err := c.run(src, "")
				return sample{time.Since(t0), cpuTime() - c0}, err
			})
		})
	}
}

// BenchmarkSmallFiles copies a tree of many small files (-uring.files x
// -uring.filesize, or the regular files of -uring.tree) into a new tree
// whose directories exist: CopyFiles with the ring against the goroutine
// pool and one goroutine, warm or (-uring.cold) cold cache, dirty pages
// written back before every run.
func BenchmarkSmallFiles(b *testing.B) {
	if err := uring.Available(); err != nil {
		b.Skip(err)
	}
	dir := *benchDir
	if dir == "" {
		dir = b.TempDir()
	}
	base, err := os.MkdirTemp(dir, "small-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(base)
	var rel []string
	var total int64
	srcRoot := filepath.Join(base, "src")
	if *benchTree != "" {
		srcRoot = *benchTree
		filepath.WalkDir(srcRoot, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				r, _ := filepath.Rel(srcRoot, p)
				rel = append(rel, r)
				if fi, err := d.Info(); err == nil {
					total += fi.Size()
				}
			}
			return nil
		})
	} else {
		size := parseSize(b, *benchFSz)
		os.Mkdir(srcRoot, 0o755)
		data := make([]byte, size)
		for i := range int(shortCap(int64(*benchN), 500)) {
			r := fmt.Sprintf("d%03d/f%05d", i/1000, i)
			os.MkdirAll(filepath.Join(srcRoot, filepath.Dir(r)), 0o755)
			binaryFill(data, i)
			if err := os.WriteFile(filepath.Join(srcRoot, r), data, 0o644); err != nil {
				b.Fatal(err)
			}
			rel = append(rel, r)
			total += size
		}
	}
	dstRoot := filepath.Join(base, "dst")
	jobs := make([]uring.Job, len(rel))
	for i, r := range rel {
		jobs[i] = uring.Job{SrcDir: unix.AT_FDCWD, Src: filepath.Join(srcRoot, r), DstDir: unix.AT_FDCWD, Dst: filepath.Join(dstRoot, r)}
	}
	mkdirs := func() {
		os.RemoveAll(dstRoot)
		for _, r := range rel {
			os.MkdirAll(filepath.Join(dstRoot, filepath.Dir(r)), 0o755)
		}
	}
	engine := func(cfg uring.FilesConfig) func(string, string) error {
		return func(string, string) error {
			for i, r := range uring.CopyFiles(context.Background(), jobs, cfg) {
				if r.Err != nil {
					return fmt.Errorf("job %d: %w", i, r.Err)
				}
			}
			return nil
		}
	}
	cs := []contender{
		{"sequential", engine(uring.FilesConfig{Engine: uring.EngineSync, InFlight: 1})},
		{"pool 8", engine(uring.FilesConfig{Engine: uring.EngineSync, InFlight: 8})},
		{"pool 32", engine(uring.FilesConfig{Engine: uring.EngineSync, InFlight: 32})},
		{"uring 32", engine(uring.FilesConfig{Engine: uring.EngineUring, InFlight: 32})},
		{"uring 128", engine(uring.FilesConfig{Engine: uring.EngineUring, InFlight: 128})},
		{"uring 32, fixed files", engine(uring.FilesConfig{Engine: uring.EngineUring, InFlight: 32, FixedFiles: uring.FixedOn})},
		{"uring 32, open first", engine(uring.FilesConfig{Engine: uring.EngineUring, InFlight: 32, OpenFirst: true})},
		{"uring 32, open first, fixed", engine(uring.FilesConfig{Engine: uring.EngineUring, InFlight: 32, OpenFirst: true, FixedFiles: uring.FixedOn})},
		{"uring 128, fixed files", engine(uring.FilesConfig{Engine: uring.EngineUring, InFlight: 128, FixedFiles: uring.FixedOn})},
		{"uring 32, 4 workers", engine(uring.FilesConfig{Engine: uring.EngineUring, InFlight: 32, Workers: 4})},
		{"uring 128, 4 workers", engine(uring.FilesConfig{Engine: uring.EngineUring, InFlight: 128, Workers: 4})},
	}
	cache := "warm"
	if *benchCold {
		cache = "cold"
	}
	title := fmt.Sprintf("%d files, %s in all (%s cache)", len(jobs), fmtSize(total), cache)
	verified := map[string]bool{}
	table(b, title, total, cs, func(c contender) (sample, error) {
		mkdirs()
		unix.Sync()
		if *benchCold {
			dropCaches(b)
		}
		c0, t0 := cpuTime(), time.Now()
		err := c.run("", "")
		s := sample{time.Since(t0), cpuTime() - c0}
		if err == nil && !verified[c.name] {
			verified[c.name] = true
			for _, j := range jobs[:min(len(jobs), 200)] {
				n1, c1 := fileCRC(j.Src)
				n2, c2 := fileCRC(j.Dst)
				if n1 != n2 || c1 != c2 {
					err = fmt.Errorf("%s differs from %s", j.Dst, j.Src)
				}
			}
		}
		return s, err
	})
}

func binaryFill(b []byte, seed int) {
	rng := rand.New(rand.NewPCG(uint64(seed), 11))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}
