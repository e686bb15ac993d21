package copytree_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/copytree"
	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/internal/uring"
)

func needRing(t *testing.T) {
	t.Helper()
	if err := copytree.UringAvailable(); err != nil {
		t.Skipf("io_uring: %v", err)
	}
}

// methods records each regular file's method by destination path.
type methods struct {
	mu sync.Mutex
	m  map[string]zcopy.Method
}

func (m *methods) onFile(r copytree.FileReport) {
	if r.Kind != copytree.KindFile {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]zcopy.Method{}
	}
	m.m[r.Dst] = r.Method
}

func (m *methods) count(want zcopy.Method) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, got := range m.m {
		if got == want {
			n++
		}
	}
	return n
}

// TestUringMatchesGNU is the differential test of the ring path: the
// corpus copied by GNU cp -a, by copytree with EngineSync and with
// EngineUring (cp -a, and cp -r without attributes) must look the same to a
// user: contents, modes, owners, ns mtimes, xattrs, hard links. The
// reports prove that the ring copied the small files of new directories
// and nothing else.
func TestUringMatchesGNU(t *testing.T) {
	needRing(t)
	if _, err := exec.LookPath("cp"); err != nil {
		t.Skip("GNU cp not installed")
	}
	for _, fsys := range []string{"tmpfs", "ext4"} {
		t.Run(fsys, func(t *testing.T) {
			base := testutil.ShmDir(t)
			o := corpusOpts{flat: 3000}
			if fsys == "ext4" {
				base = t.TempDir()
				if testing.Short() {
					o.flat = 300
				}
			}
			src := filepath.Join(base, "src")
			buildCorpus(t, src, o)
			for _, tc := range []struct {
				name    string
				gnuArgs []string
				opts    copytree.Options
			}{
				{"-a", []string{"-a"}, archive},
				{"-r", []string{"-r"}, copytree.Options{ContinueOnError: true}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					gnu := filepath.Join(base, "gnu"+tc.name)
					if out, err := exec.Command("cp", append(tc.gnuArgs, src, gnu)...).CombinedOutput(); err != nil && tc.name == "-a" {
						t.Fatalf("cp %s: %v\n%s", tc.name, err, out)
					}
					want := noTimes(snapshot(t, gnu), tc.name == "-r")
					for _, b := range []copytree.Engine{copytree.EngineSync, copytree.EngineUring} {
						dst := filepath.Join(base, "ours"+tc.name+b.String())
						var m methods
						opts := withJobs(tc.opts, 2)
						opts.Engine, opts.OnFile = b, m.onFile
						sum, err := copytree.Copy(context.Background(), src, dst, opts)
						if err != nil && tc.name == "-a" {
							t.Fatalf("%v: %v", b, err)
						}
						compareTrees(t, want, noTimes(snapshot(t, dst), tc.name == "-r"), compareOpts{dirTimes: true, linkTimes: true})
						rings := m.count(zcopy.Uring)
						switch {
						case b == copytree.EngineSync && rings != 0:
							t.Errorf("sync: %d files through the ring", rings)
						case b == copytree.EngineUring && rings < o.flat:
							t.Errorf("uring: only %d files through the ring (summary %v)", rings, sum.Methods)
						}
						if b == copytree.EngineUring {
							// Too large or sparse for the ring: the per-file path.
							for _, name := range []string{"sizes/f6", "sparse/holes"} {
								if got := m.m[filepath.Join(dst, name)]; got == zcopy.Uring {
									t.Errorf("%s: copied through the ring", name)
								}
							}
							if got := m.m[filepath.Join(dst, "modes/suid")]; got != zcopy.Uring {
								t.Errorf("modes/suid: method %v, want uring", got)
							}
						}
						os.RemoveAll(dst)
					}
					os.RemoveAll(gnu)
				})
			}
		})
	}
}

// noTimes clears the mtimes of s when clear is set (cp -r keeps none).
func noTimes(s map[string]*entry, clear bool) map[string]*entry {
	if clear {
		for _, e := range s {
			e.mtime = unix.Timespec{}
		}
	}
	return s
}

// flatTree makes dir with n small files (name fNNN, i bytes each).
func flatTree(t *testing.T, dir string, n int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%03d", i)), testutil.Data(i*97, uint64(i)), 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUringEngineChoice: EngineUring takes the ring, EngineSync never does
// and EngineAuto not for cached files (TestUringAutoCold), an existing destination directory is left to the
// per-file path (its names may exist), and a directory of fewer files than
// a ring is worth stays per-file too.
func TestUringEngineChoice(t *testing.T) {
	needRing(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	flatTree(t, src, 40)
	flatTree(t, filepath.Join(src, "few"), 2)
	for _, tc := range []struct {
		batch    copytree.Engine
		existing bool
		want     int
	}{
		{copytree.EngineUring, false, 40},
		{copytree.EngineSync, false, 0},
		{copytree.EngineAuto, false, 0},
		{copytree.EngineUring, true, 0},
	} {
		dst := filepath.Join(dir, fmt.Sprintf("dst-%v-%v", tc.batch, tc.existing))
		if tc.existing {
			os.Mkdir(dst, 0o755)
		}
		var m methods
		var batches atomic.Int64
		defer copytree.SetTestHookRingBatch(func(int) { batches.Add(1) })()
		sum, err := copytree.Copy(context.Background(), src, dst, copytree.Options{Engine: tc.batch, OnFile: m.onFile, Preserve: copytree.PreserveAll})
		if err != nil {
			t.Fatal(err)
		}
		if got := m.count(zcopy.Uring); got != tc.want || sum.Methods["uring"] != int64(tc.want) {
			t.Errorf("%v existing=%v: %d files (summary %d) through the ring, want %d", tc.batch, tc.existing, got, sum.Methods["uring"], tc.want)
		}
		if tc.want > 0 && batches.Load() != 1 {
			t.Errorf("%d batches, want 1", batches.Load())
		}
		compareTrees(t, snapshot(t, src), snapshot(t, dst), compareOpts{})
	}
}

// TestUringChainFailure injects failures into the ring's chains: a failed
// write is reported in cp's words and its partial file removed while the
// other files copy; a failed statx (nothing created) sends the file to the
// per-file path, which copies it.
func TestUringChainFailure(t *testing.T) {
	needRing(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	flatTree(t, src, 30)
	var writes atomic.Int64
	restore := uring.SetFileOpHook(func(op string, res int32) int32 {
		if op == "write" && writes.Add(1) == 5 {
			return -int32(unix.EIO)
		}
		return res
	})
	var errs []error
	var mu sync.Mutex
	dst := filepath.Join(dir, "dst")
	sum, err := copytree.Copy(context.Background(), src, dst, copytree.Options{Engine: copytree.EngineUring, Preserve: copytree.PreserveAll,
		ContinueOnError: true, OnError: func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }})
	restore()
	if err == nil || len(errs) != 1 || sum.Errors != 1 {
		t.Fatalf("err %v, errors %v, summary %+v", err, errs, sum)
	}
	var ce *copytree.Error
	if !errors.As(errs[0], &ce) || !errors.Is(err, syscall.EIO) ||
		!strings.HasPrefix(ce.Error(), "error copying '"+src+"/f") || !strings.HasSuffix(ce.Error(), ": Input/output error") {
		t.Fatalf("error %q", errs[0])
	}
	if _, err := os.Lstat(ce.Path2); !os.IsNotExist(err) {
		t.Errorf("partial file %s left behind: %v", ce.Path2, err)
	}
	if sum.Files != 29 || sum.Methods["uring"] != 29 {
		t.Errorf("summary %+v", sum)
	}
	os.RemoveAll(dst)

	var statxs atomic.Int64
	restore = uring.SetFileOpHook(func(op string, res int32) int32 {
		if op == "statx" && statxs.Add(1)%3 == 0 {
			return -int32(unix.ENOENT)
		}
		return res
	})
	defer restore()
	var m methods
	sum, err = copytree.Copy(context.Background(), src, dst, copytree.Options{Engine: copytree.EngineUring, Preserve: copytree.PreserveAll, OnFile: m.onFile})
	if err != nil {
		t.Fatal(err)
	}
	if ring := m.count(zcopy.Uring); ring != 20 || sum.Files != 30 {
		t.Errorf("%d files through the ring, %d in all; want 20, 30", ring, sum.Files)
	}
	compareTrees(t, snapshot(t, src), snapshot(t, dst), compareOpts{dirTimes: true})
}

// TestUringUnavailable: with io_uring switched off, EngineUring copies every
// file the per-file way and the tree is the same.
func TestUringUnavailable(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	flatTree(t, src, 20)
	defer uring.Disable(syscall.ENOSYS)()
	if err := copytree.UringAvailable(); !errors.Is(err, uring.ErrUnavailable) || !errors.Is(err, syscall.ENOSYS) {
		t.Fatalf("UringAvailable() = %v", err)
	}
	var m methods
	sum, err := copytree.Copy(context.Background(), src, filepath.Join(dir, "dst"), copytree.Options{Engine: copytree.EngineUring, Preserve: copytree.PreserveAll, OnFile: m.onFile})
	if err != nil || sum.Files != 20 || m.count(zcopy.Uring) != 0 {
		t.Fatalf("err %v, summary %+v, %d through the ring", err, sum, m.count(zcopy.Uring))
	}
	compareTrees(t, snapshot(t, src), snapshot(t, filepath.Join(dir, "dst")), compareOpts{dirTimes: true})
}

// TestUringVanishingAndStop: files removed after listing go to the
// per-file path, which reports them as it does without the ring (as GNU,
// whose stat fails: "cannot stat"); without
// ContinueOnError the first failure stops the rest.
func TestUringVanishingAndStop(t *testing.T) {
	needRing(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	flatTree(t, src, 10)
	defer copytree.SetTestHookBeforeEntry(func(p string) {
		if strings.HasSuffix(p, "f003") || strings.HasSuffix(p, "f007") {
			os.Remove(p)
		}
	})()
	var errs []string
	var mu sync.Mutex
	sum, err := copytree.Copy(context.Background(), src, filepath.Join(dir, "dst"), copytree.Options{Engine: copytree.EngineUring,
		ContinueOnError: true, OnError: func(err error) { mu.Lock(); errs = append(errs, err.Error()); mu.Unlock() }})
	if err == nil || sum.Files != 8 || len(errs) != 2 || !strings.HasPrefix(errs[0], "cannot stat '"+src+"/f00") {
		t.Fatalf("err %v, summary %+v, errors %q", err, sum, errs)
	}
	flatTree(t, src, 10)
	sum, err = copytree.Copy(context.Background(), src, filepath.Join(dir, "dst2"), copytree.Options{Engine: copytree.EngineUring})
	if err == nil || sum.Errors != 1 {
		t.Fatalf("without ContinueOnError: err %v, summary %+v", err, sum)
	}
}

// TestUringAutoCold: EngineAuto takes the ring for files that are not in
// the page cache (evicted here with fadvise DONTNEED, not a global cache
// drop) and the per-file path for cached ones.
func TestUringAutoCold(t *testing.T) {
	needRing(t)
	dir := t.TempDir()
	var sfs unix.Statfs_t
	if err := unix.Statfs(dir, &sfs); err != nil || sfs.Type == unix.TMPFS_MAGIC {
		t.Skip("the temp dir is on tmpfs, whose files are always cached")
	}
	src := filepath.Join(dir, "src")
	flatTree(t, src, 20)
	evict := func() {
		ents, _ := os.ReadDir(src)
		for _, e := range ents {
			f, err := os.Open(filepath.Join(src, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			f.Sync()
			unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
			f.Close()
		}
	}
	for _, cold := range []bool{true, false} {
		if cold {
			evict()
		}
		var m methods
		dst := filepath.Join(dir, fmt.Sprint("dst-cold-", cold))
		sum, err := copytree.Copy(context.Background(), src, dst, copytree.Options{OnFile: m.onFile, Preserve: copytree.PreserveAll})
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if cold {
			want = 20
		}
		if got := m.count(zcopy.Uring); got != want || sum.Files != 20 {
			t.Errorf("cold=%v: %d of %d files through the ring, want %d", cold, got, sum.Files, want)
		}
		compareTrees(t, snapshot(t, src), snapshot(t, dst), compareOpts{dirTimes: true})
	}
}

// TestUringBoundedDescriptors: the ring hands back each copied file with
// its descriptors open until its metadata is applied; a directory of many
// files must not hold them all at once.
func TestUringBoundedDescriptors(t *testing.T) {
	needRing(t)
	dir := testutil.ShmDir(t)
	src := filepath.Join(dir, "src")
	flatTree(t, src, 600)
	base := len(testutil.OpenFDs())
	var mu sync.Mutex
	peak, n := 0, 0
	defer copytree.SetTestHookAfterData(func(string) {
		mu.Lock()
		defer mu.Unlock()
		if n++; n%5 != 0 {
			return
		}
		peak = max(peak, len(testutil.OpenFDs()))
	})()
	const jobs = 2
	var m methods
	opts := withJobs(archive, jobs)
	opts.Engine, opts.OnFile = copytree.EngineUring, m.onFile
	if _, err := copytree.Copy(context.Background(), src, filepath.Join(dir, "dst"), opts); err != nil {
		t.Fatal(err)
	}
	if m.count(zcopy.Uring) != 600 {
		t.Fatalf("%d files through the ring", m.count(zcopy.Uring))
	}
	// Per worker: a chunk of 64 files with two descriptors each, the
	// directory's two, the ring's; and the Copy's own.
	if limit := base + jobs*(2*64+2+1) + 8; peak > limit || peak == 0 {
		t.Errorf("peak %d open descriptors (base %d), want <= %d", peak, base, limit)
	}
	t.Logf("peak %d descriptors, base %d", peak, base)
}

// TestUringReplacedSource: a file replaced between the ring's statx and its
// open (simulated by changing the inode statx saw) is not given the old
// file's metadata: its ring copy is removed and the per-file path, which
// stats what it opened, copies it again.
func TestUringReplacedSource(t *testing.T) {
	needRing(t)
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		if err := os.WriteFile(filepath.Join(src, fmt.Sprintf("f%d", i)), []byte(strings.Repeat("x", i*100)), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	replaced := filepath.Join(src, "f3")
	defer copytree.SetTestHookRingStat(func(srcPath string, st *unix.Stat_t) {
		if srcPath == replaced {
			st.Ino++
			st.Mode = unix.S_IFREG | 0o777
		}
	})()
	var m methods
	sum, err := copytree.Copy(context.Background(), src, dst, copytree.Options{Engine: copytree.EngineUring, Preserve: copytree.PreserveAll, OnFile: m.onFile})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.m[filepath.Join(dst, "f3")]; got == zcopy.Uring {
		t.Errorf("replaced file reported as copied by the ring")
	}
	if ring := m.count(zcopy.Uring); ring != 7 || sum.Files != 8 {
		t.Errorf("%d files through the ring, %d in all; want 7, 8", ring, sum.Files)
	}
	compareTrees(t, snapshot(t, src), snapshot(t, dst), compareOpts{dirTimes: true})
}
