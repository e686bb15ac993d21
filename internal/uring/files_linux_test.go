package uring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/testutil"
)

var engines = []Engine{EngineSync, EngineUring}

// tree writes files of the given sizes under a new directory and returns
// it and the jobs copying them to a second new directory.
func tree(t *testing.T, base string, sizes []int) (src, dst string, jobs []Job) {
	t.Helper()
	src, err := os.MkdirTemp(base, "src")
	if err != nil {
		t.Fatal(err)
	}
	dst, err = os.MkdirTemp(base, "dst")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(src); os.RemoveAll(dst) })
	for i, size := range sizes {
		name := fmt.Sprintf("f%05d", i)
		if err := os.WriteFile(filepath.Join(src, name), testutil.Data(size, uint64(i)), 0o644); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, Job{SrcDir: unix.AT_FDCWD, Src: filepath.Join(src, name), DstDir: unix.AT_FDCWD, Dst: filepath.Join(dst, name)})
	}
	return src, dst, jobs
}

func checkCopied(t *testing.T, name string, jobs []Job, res []Result, sizes []int) {
	t.Helper()
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("%s: job %d: %v", name, i, r.Err)
		}
		want := testutil.Data(sizes[i], uint64(i))
		got, err := os.ReadFile(jobs[i].Dst)
		if err != nil || !bytes.Equal(got, want) || r.Written != int64(len(want)) {
			t.Fatalf("%s: job %d (%d bytes): written %d, %v, %s", name, i, sizes[i], r.Written, err, testutil.FirstDiff(got, want))
		}
		if r.Stat.Size != int64(sizes[i]) || r.Stat.Mode&unix.S_IFMT != unix.S_IFREG || r.Stat.Mode&0o777 != 0o644 || r.Stat.Mtime.IsZero() {
			t.Fatalf("%s: job %d: Stat %+v", name, i, r.Stat)
		}
		fi, _ := os.Stat(jobs[i].Dst)
		if wantMode := fs.FileMode(jobMode(&jobs[i])) &^ fs.FileMode(umask()); fi.Mode().Perm() != wantMode {
			t.Fatalf("%s: job %d: destination mode %v, want %v", name, i, fi.Mode().Perm(), wantMode)
		}
	}
}

func umask() uint32 {
	m := unix.Umask(0)
	unix.Umask(m)
	return uint32(m)
}

// TestCopyFiles copies files of boundary sizes with both engines, several
// in-flight counts and buffer sizes, on disk and on tmpfs.
func TestCopyFiles(t *testing.T) {
	needRing(t)
	sizes := []int{0, 1, 4095, 4096, 4097, 65535, 65536, 65537, 200003, 1<<20 + 1}
	for i := range 40 {
		sizes = append(sizes, (i*7919)%9000)
	}
	for _, base := range []string{t.TempDir(), testutil.ShmDir(t)} {
		for _, e := range engines {
			for _, cfg := range []FilesConfig{{}, {InFlight: 1, BufSize: 4096}, {InFlight: 7, BufSize: 8192, Workers: 2},
				{FixedFiles: FixedOn}, {InFlight: 1, BufSize: 4096, FixedFiles: FixedOn}, {FixedFiles: FixedOff},
				{OpenFirst: true}, {OpenFirst: true, FixedFiles: FixedOn, InFlight: 5, BufSize: 4096}} {
				cfg.Engine = e
				_, _, jobs := tree(t, base, sizes)
				jobs[3].Mode = 0o640
				res := CopyFiles(context.Background(), jobs, cfg)
				checkCopied(t, fmt.Sprintf("%s %+v", base, cfg), jobs, res, sizes)
			}
		}
	}
}

// TestCopyFilesErrors checks each way a job fails: the error names the
// operation and the file, a partial destination is removed, an existing
// one is left alone, and nothing blocks on a FIFO.
func TestCopyFilesErrors(t *testing.T) {
	needRing(t)
	for _, cfg := range []FilesConfig{{Engine: EngineSync}, {Engine: EngineUring}, {Engine: EngineUring, OpenFirst: true}, {Engine: EngineUring, FixedFiles: FixedOn}} {
		t.Run(fmt.Sprintf("%v open-first=%v fixed=%v", cfg.Engine, cfg.OpenFirst, cfg.FixedFiles == FixedOn), func(t *testing.T) {
			dir := t.TempDir()
			p := func(s string) string { return filepath.Join(dir, s) }
			os.WriteFile(p("a"), []byte("data"), 0o644)
			os.WriteFile(p("exists"), []byte("keep me"), 0o644)
			os.Symlink(p("a"), p("link"))
			os.Symlink(p("planted-target"), p("planted"))
			unix.Mkfifo(p("fifo"), 0o644)
			os.Mkdir(p("dir"), 0o755)
			long := strings.Repeat("x/", 2100)
			cases := []struct {
				src, dst string
				op       string
				err      error
			}{
				{p("missing"), p("d1"), "statx", fs.ErrNotExist},
				{p("a"), p("exists"), "open", fs.ErrExist},
				{p("a"), p("planted"), "open", fs.ErrExist}, // never written through
				{p("link"), p("d2"), "open", ErrNotRegular},
				{p("fifo"), p("d3"), "open", ErrNotRegular},
				{p("dir"), p("d4"), "open", ErrNotRegular},
				{p("a"), p("nodir/d5"), "open", fs.ErrNotExist},
				{p(long), p("d6"), "statx", unix.ENAMETOOLONG},
				{p("a"), p("ok"), "", nil},
			}
			var jobs []Job
			for _, c := range cases {
				jobs = append(jobs, Job{SrcDir: unix.AT_FDCWD, Src: c.src, DstDir: unix.AT_FDCWD, Dst: c.dst})
			}
			cfg.InFlight = 3
			res := CopyFiles(context.Background(), jobs, cfg)
			for i, c := range cases {
				err := res[i].Err
				var pe *fs.PathError
				switch {
				case c.err == nil && err != nil:
					t.Errorf("%s -> %s: %v", c.src, c.dst, err)
				case c.err == nil:
				case !errors.Is(err, c.err) || !errors.As(err, &pe) || pe.Op != c.op:
					t.Errorf("%s -> %s: %v; want %s: %v", c.src, c.dst, err, c.op, c.err)
				}
			}
			if b, _ := os.ReadFile(p("exists")); string(b) != "keep me" {
				t.Errorf("an existing destination was changed: %q", b)
			}
			if _, err := os.Lstat(p("planted-target")); err == nil {
				t.Error("a planted symlink was followed")
			}
			for _, d := range []string{"d2", "d3", "d4"} {
				if _, err := os.Lstat(p(d)); err == nil {
					t.Errorf("%s was created for a source that is not a regular file", d)
				}
			}
		})
	}
}

// TestCopyFilesChainFailure injects a failed write, a failed read and
// short writes into the ring's chains: failed files are removed and
// reported, short writes are finished, and no descriptor leaks (TestMain).
func TestCopyFilesChainFailure(t *testing.T) {
	needRing(t)
	sizes := []int{10, 5000, 70000, 300000}
	for _, tc := range []struct {
		name string
		tag  int
		res  func(int32) int32
		fail bool
	}{
		{"write EIO", tagWrite, func(int32) int32 { return -int32(unix.EIO) }, true},
		{"read EIO", tagRead, func(int32) int32 { return -int32(unix.EIO) }, true},
		{"open dst ENOSPC", tagOpenDst, func(r int32) int32 {
			if r >= 0 {
				unix.Close(int(r)) // the kernel opened it; the hook pretends it failed
			}
			return -int32(unix.ENOSPC)
		}, true},
		// Full-buffer writes only: those have no closes linked behind
		// them, which a real short write would cancel.
		{"short write", tagWrite, func(r int32) int32 {
			if r == 16<<10 {
				return r / 2
			}
			return r
		}, false},
		{"close dst EIO", tagCloseDst, func(int32) int32 { return -int32(unix.EIO) }, true},
	} {
		for _, v := range []struct {
			fixed FixedMode
			first bool
		}{{FixedOff, false}, {FixedOn, false}, {FixedOff, true}, {FixedOn, true}} {
			t.Run(fmt.Sprintf("%s fixed=%v open-first=%v", tc.name, v.fixed == FixedOn, v.first), func(t *testing.T) {
				withHook(t, func(c Completion) int32 {
					if int(c.Slot&(1<<tagBits-1)) == tc.tag && c.Slot != cancelSlot && c.Res != -int32(unix.ECANCELED) {
						return tc.res(c.Res)
					}
					return c.Res
				})
				_, _, jobs := tree(t, t.TempDir(), sizes)
				res := CopyFiles(context.Background(), jobs, FilesConfig{Engine: EngineUring, BufSize: 16 << 10, FixedFiles: v.fixed, OpenFirst: v.first})
				if !tc.fail {
					checkCopied(t, tc.name, jobs, res, sizes)
					return
				}
				for i, r := range res {
					if r.Err == nil {
						t.Fatalf("job %d: no error", i)
					}
					if _, err := os.Lstat(jobs[i].Dst); err == nil && tc.tag != tagOpenDst {
						// (the hook fakes the open's failure after the
						// kernel created the file)
						t.Fatalf("job %d (%v): the partial destination was left behind", i, r.Err)
					}
					if tc.tag != tagOpenDst && !r.Removed {
						t.Fatalf("job %d: Removed not set: %v", i, r.Err)
					}
				}
			})
		}
	}
}

// TestCopyFilesKeepDst leaves the destinations open for metadata.
func TestCopyFilesKeepDst(t *testing.T) {
	needRing(t)
	for _, e := range engines {
		sizes := []int{0, 100, 70000}
		_, _, jobs := tree(t, t.TempDir(), sizes)
		for i := range jobs {
			jobs[i].KeepDst = true
		}
		res := CopyFiles(context.Background(), jobs, FilesConfig{Engine: e, FixedFiles: FixedOn})
		for i, r := range res {
			if r.Err != nil || r.DstFile == nil {
				t.Fatalf("%v: job %d: %v, file %v", e, i, r.Err, r.DstFile)
			}
			if err := r.DstFile.Chmod(0o600); err != nil {
				t.Fatal(err)
			}
			if err := r.DstFile.Close(); err != nil {
				t.Fatal(err)
			}
		}
		checkCopied(t, e.String(), jobs, res, sizes)
	}
}

// TestCopyFilesFallback makes io_uring unavailable: EngineUring copies
// with the pool.
func TestCopyFilesFallback(t *testing.T) {
	defer Disable(unix.EPERM)()
	sizes := []int{1, 70000}
	_, _, jobs := tree(t, t.TempDir(), sizes)
	res := CopyFiles(context.Background(), jobs, FilesConfig{Engine: EngineUring})
	checkCopied(t, "fallback", jobs, res, sizes)
}

// TestCopyFilesCancel: a cancelled context starts no job.
func TestCopyFilesCancel(t *testing.T) {
	needRing(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, e := range engines {
		_, _, jobs := tree(t, t.TempDir(), []int{1, 2, 3})
		for i, r := range CopyFiles(ctx, jobs, FilesConfig{Engine: e}) {
			if !errors.Is(r.Err, context.Canceled) {
				t.Errorf("%v: job %d: %v", e, i, r.Err)
			}
			if _, err := os.Lstat(jobs[i].Dst); err == nil {
				t.Errorf("%v: job %d: destination created after cancel", e, i)
			}
		}
	}
}

// TestCopyFilesMany runs thousands of small files through the ring, with
// collections running alongside.
func TestCopyFilesMany(t *testing.T) {
	needRing(t)
	n := 3000
	if testing.Short() {
		n = 500
	}
	sizes := make([]int, n)
	for i := range sizes {
		sizes[i] = 4096 + i%3
	}
	_, _, jobs := tree(t, testutil.ShmDir(t), sizes)
	res := CopyFiles(context.Background(), jobs, FilesConfig{Engine: EngineUring, InFlight: 64})
	checkCopied(t, "many", jobs, res, sizes)
}

// TestCopyFilesFixed runs the chains on fixed files: the ring really
// registers its table, every mix of kept and closed descriptors copies, a
// kept one is a real descriptor, and none leaks (TestMain).
func TestCopyFilesFixed(t *testing.T) {
	needRing(t)
	var used []bool
	testHookFixed = func(b bool) { used = append(used, b) }
	defer func() { testHookFixed = nil }()
	sizes := []int{0, 1, 5000, 70000, 3000, 200}
	for _, keep := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		_, _, jobs := tree(t, t.TempDir(), sizes)
		for i := range jobs {
			jobs[i].KeepSrc, jobs[i].KeepDst = keep[0] && i%2 == 0, keep[1]
		}
		res := CopyFiles(context.Background(), jobs, FilesConfig{Engine: EngineUring, FixedFiles: FixedOn, InFlight: 4, BufSize: 4096})
		for i, r := range res {
			if r.Err != nil {
				t.Fatalf("keep %v: job %d: %v", keep, i, r.Err)
			}
			if (r.SrcFile != nil) != jobs[i].KeepSrc || (r.DstFile != nil) != jobs[i].KeepDst {
				t.Fatalf("keep %v: job %d: src %v dst %v", keep, i, r.SrcFile, r.DstFile)
			}
			if r.SrcFile != nil {
				var st unix.Stat_t
				if err := unix.Fstat(int(r.SrcFile.Fd()), &st); err != nil || st.Size != int64(sizes[i]) {
					t.Fatalf("job %d: kept source: %v, size %d", i, err, st.Size)
				}
				r.SrcFile.Close()
			}
			if r.DstFile != nil {
				r.DstFile.Close()
			}
		}
		checkCopied(t, fmt.Sprint("keep ", keep), jobs, res, sizes)
	}
	if len(used) != 4 || !used[0] {
		t.Errorf("fixed files used: %v", used)
	}
}

// TestCopyFilesAccept: a refused file fails with ErrDeclined and nothing
// is created; the others copy.
func TestCopyFilesAccept(t *testing.T) {
	needRing(t)
	for _, e := range engines {
		sizes := []int{10, 5000, 20, 7000}
		_, _, jobs := tree(t, t.TempDir(), sizes)
		res := CopyFiles(context.Background(), jobs, FilesConfig{Engine: e, Accept: func(s *Stat) bool { return s.Size < 1000 && s.Blocks >= 0 }})
		for i, r := range res {
			_, err := os.Lstat(jobs[i].Dst)
			if sizes[i] < 1000 {
				if r.Err != nil || err != nil {
					t.Errorf("%v: job %d: %v, %v", e, i, r.Err, err)
				}
				continue
			}
			if !errors.Is(r.Err, ErrDeclined) || r.Removed || !os.IsNotExist(err) || r.Stat.Size != int64(sizes[i]) {
				t.Errorf("%v: job %d: %v, removed %v, destination %v", e, i, r.Err, r.Removed, err)
			}
		}
	}
}
