package copytree_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/copytree"
	"github.com/zcopy/zcopy/internal/testutil"
)

// holdingCopier copies as SyncCopier does, but holds the file whose
// source inode is ino until release is closed (or a timeout passes, so
// that a broken order cannot hang the test).
type holdingCopier struct {
	ino      uint64
	release  chan struct{}
	held     atomic.Bool
	timedOut atomic.Bool
}

func (h *holdingCopier) CopyData(ctx context.Context, dst, src int, size int64, opts []zcopy.Option, r *zcopy.Report) (int64, error) {
	var st unix.Stat_t
	if unix.Fstat(src, &st) == nil && st.Ino == h.ino {
		h.held.Store(true)
		select {
		case <-h.release:
		case <-time.After(10 * time.Second):
			h.timedOut.Store(true)
		}
	}
	return copytree.SyncCopier{}.CopyData(ctx, dst, src, size, opts, r)
}

func inode(t *testing.T, path string) uint64 {
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// TestOrderedOutputStreams: with OrderedOutput and several jobs, the
// lines of entries before a file still being copied come out while it
// is copied: the copier holds the first file (by inode) of the last
// directory (by inode) until OnFile has been called for every entry
// before it in GNU's order. Lines kept until the copy ends would keep
// it waiting to the timeout.
func TestOrderedOutputStreams(t *testing.T) {
	dir := testutil.ShmDir(t)
	src := filepath.Join(dir, "src")
	for d := range 8 {
		for f := range 30 {
			p := filepath.Join(src, fmt.Sprintf("d%d", d), fmt.Sprintf("f%d", f))
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(p), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// GNU's order: a directory's entries by inode number.
	byInode := func(dir string) []string {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range ents {
			names = append(names, filepath.Join(dir, e.Name()))
		}
		for i := range names { // few names: insertion sort
			for j := i; j > 0 && inode(t, names[j]) < inode(t, names[j-1]); j-- {
				names[j], names[j-1] = names[j-1], names[j]
			}
		}
		return names
	}
	dirs := byInode(src)
	last := dirs[len(dirs)-1]
	held := byInode(last)[0]
	before := map[string]bool{src: true, last: true}
	for _, d := range dirs[:len(dirs)-1] {
		before[d] = true
		for _, f := range byInode(d) {
			before[f] = true
		}
	}
	hc := &holdingCopier{ino: inode(t, held), release: make(chan struct{})}
	var mu sync.Mutex
	var lines []string
	seenBefore := 0
	opts := copytree.Options{Jobs: 4, Engine: copytree.EngineSync, DataCopier: hc, OrderedOutput: true,
		OnFile: func(r copytree.FileReport) {
			mu.Lock()
			defer mu.Unlock()
			lines = append(lines, r.Src)
			if before[r.Src] {
				if seenBefore++; seenBefore == len(before) {
					close(hc.release)
				}
			}
		}}
	if _, err := copytree.Copy(context.Background(), src, filepath.Join(dir, "dst"), opts); err != nil {
		t.Fatal(err)
	}
	if !hc.held.Load() {
		t.Fatalf("%s was never copied", held)
	}
	if hc.timedOut.Load() {
		t.Fatalf("the %d lines before %s did not all come in the 10 s it was held: lines wait for the copy's end", len(before), held)
	}
	if want := 1 + 8 + 8*30; len(lines) != want {
		t.Fatalf("%d lines, want %d", len(lines), want)
	}
	for i, l := range lines {
		if before[l] != (i < len(before)) {
			t.Fatalf("line %d is %s: out of GNU's order", i, l)
		}
	}
	if lines[len(before)] != held {
		t.Errorf("line %d is %s, want %s", len(before), lines[len(before)], held)
	}
}

// TestOrderedOutputBounded: the lines kept for their turn are those
// ahead of an unfinished entry, not the tree's. On tmpfs (readdir newest
// first, inode numbers in creation order, the walk's stack taking the
// newest task first) one job copies the directories in GNU's order,
// each one's files against it: a directory's lines are kept, no more.
// Two jobs also take directories out of order (up to a third of the
// tree was seen kept); lines kept until the end would be all 4,041.
func TestOrderedOutputBounded(t *testing.T) {
	dir := testutil.ShmDir(t)
	src := filepath.Join(dir, "src")
	// On one CPU: tmpfs hands out inode numbers in batches per CPU.
	onOneCPU(func() {
		for d := range 40 {
			for f := range 100 {
				p := filepath.Join(src, fmt.Sprintf("d%d", d), fmt.Sprintf("f%d", f))
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
	for _, tc := range []struct{ jobs, most int }{{1, 2 * 101}, {2, 3 * 4041 / 4}} {
		n := 0
		c := copytree.New(copytree.Options{Jobs: tc.jobs, OrderedOutput: true, OnFile: func(copytree.FileReport) { n++ }})
		dst := filepath.Join(dir, fmt.Sprint("dst", tc.jobs))
		if err := c.Copy(context.Background(), src, dst); err != nil {
			t.Fatal(err)
		}
		if n != 4041 {
			t.Fatalf("-j%d: %d lines, want 4041", tc.jobs, n)
		}
		if kept := copytree.MaxKeptLines(c); kept > tc.most {
			t.Errorf("-j%d: %d of %d lines were kept at once, want at most %d", tc.jobs, kept, n, tc.most)
		} else {
			t.Logf("-j%d: at most %d of %d lines kept at once", tc.jobs, kept, n)
		}
	}
}

// onOneCPU runs fn on one thread bound to one CPU.
func onOneCPU(fn func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var cpus unix.CPUSet
	if unix.SchedGetaffinity(0, &cpus) == nil {
		var one unix.CPUSet
		for i := range 1024 {
			if cpus.IsSet(i) {
				one.Set(i)
				break
			}
		}
		if unix.SchedSetaffinity(0, &one) == nil {
			defer unix.SchedSetaffinity(0, &cpus)
		}
	}
	fn()
}
