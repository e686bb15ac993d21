package copytree_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/zcopy/zcopy/copytree"
	"github.com/zcopy/zcopy/internal/testutil"
)

// copyWithProgress copies src to dst with o and returns the final
// progress snapshot and how many snapshots came.
func copyWithProgress(t *testing.T, ctx context.Context, src, dst string, o copytree.Options) (copytree.Progress, copytree.Summary, error) {
	t.Helper()
	var mu sync.Mutex
	var last copytree.Progress
	o.Progress = func(p copytree.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if last.Done {
			t.Errorf("progress %+v after the final one", p)
		}
		last = p
	}
	sum, err := copytree.Copy(ctx, src, dst, o)
	mu.Lock()
	defer mu.Unlock()
	if !last.Done {
		t.Errorf("no final progress: last %+v", last)
	}
	return last, sum, err
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestProgressCountsAsTheCopy: a finished copy reads 100 % in bytes and
// files with hard links (bytes once when links are kept, twice when they
// are copied), a sparse file (apparent size), symlinks (not files) and
// -l / -s / --attributes-only (no bytes).
func TestProgressCountsAsTheCopy(t *testing.T) {
	dir := testutil.ShmDir(t)
	src := filepath.Join(dir, "src")
	writeFile(t, filepath.Join(src, "a"), testutil.Data(5000, 1))
	writeFile(t, filepath.Join(src, "sub", "big"), testutil.Data(9<<20, 2)) // counted while in flight
	if err := os.Link(filepath.Join(src, "sub", "big"), filepath.Join(src, "big.link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(src, "a"), filepath.Join(src, "sub", "a.link")); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(src, "sparse"))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt(testutil.Data(4096, 3), 1<<20)
	f.Truncate(64 << 20)
	f.Close()
	if err := os.Symlink("a", filepath.Join(src, "sym")); err != nil {
		t.Fatal(err)
	}
	const files = 5 // a, big, big.link, a.link, sparse; not sym
	for _, tc := range []struct {
		name  string
		o     copytree.Options
		bytes int64
	}{
		{"links kept", copytree.Options{Preserve: copytree.PreserveLinks, Deref: copytree.DerefNever}, 5000 + 9<<20 + 64<<20},
		{"links copied", copytree.Options{Deref: copytree.DerefNever}, 2*5000 + 2*9<<20 + 64<<20},
		{"sparse never", copytree.Options{Deref: copytree.DerefNever, Sparse: copytree.Never}, 2*5000 + 2*9<<20 + 64<<20},
		{"hard link", copytree.Options{Deref: copytree.DerefNever, HardLink: true}, 0},
		{"dereference", copytree.Options{Deref: copytree.DerefAlways}, 3*5000 + 2*9<<20 + 64<<20},
		{"attributes only", copytree.Options{Deref: copytree.DerefNever, AttributesOnly: true}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The copy waits for the walk: its totals, not the copy's
			// own counts, are then the final ones.
			walked := make(chan struct{})
			defer copytree.SetTestHookWalkDone(func() { close(walked) })()
			defer copytree.SetTestHookBeforeEntry(func(string) { <-walked })()
			p, _, err := copyWithProgress(t, context.Background(), src, filepath.Join(dir, tc.name), tc.o)
			if err != nil {
				t.Fatal(err)
			}
			want := int64(files)
			if tc.o.Deref == copytree.DerefAlways || tc.o.HardLink {
				// sym, followed, is a file; with -l it is linked like
				// every non-directory (GNU), and each link made counts.
				want++
			}
			if !p.TotalsKnown || p.Files != want || p.TotalFiles != want || p.Bytes != tc.bytes || p.TotalBytes != tc.bytes {
				t.Errorf("final progress %+v, want %d files and %d bytes done of as many", p, want, tc.bytes)
			}
		})
	}
	t.Run("symbolic links", func(t *testing.T) {
		// cp -s: each file becomes a symlink, which is then what is counted.
		p, _, err := copyWithProgress(t, context.Background(), filepath.Join(src, "a"), filepath.Join(dir, "s"),
			copytree.Options{SymbolicLink: true, NoRecursion: true})
		if err != nil {
			t.Fatal(err)
		}
		if p.Files != 1 || p.TotalFiles != 1 || p.Bytes != 0 || p.TotalBytes != 0 {
			t.Errorf("final progress %+v, want 1 file of 1, no bytes", p)
		}
	})
}

// TestProgressSkippedLeaveTheTotal: files the overwrite policy keeps are
// not to do: a finished -n copy reads 100 %, and Summary counts them as
// skipped, not copied.
func TestProgressSkippedLeaveTheTotal(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	writeFile(t, filepath.Join(src, "kept"), testutil.Data(7000, 1))
	writeFile(t, filepath.Join(src, "new"), testutil.Data(3000, 2))
	writeFile(t, filepath.Join(dst, "kept"), []byte("old"))
	p, sum, err := copyWithProgress(t, context.Background(), src, dst, copytree.Options{Update: copytree.UpdateNone})
	if err != nil {
		t.Fatal(err)
	}
	if p.Files != 2 || p.TotalFiles != 2 || p.Bytes != 3000 || p.TotalBytes != 3000 {
		t.Errorf("final progress %+v, want 2 files of 2, 3000 bytes of 3000", p)
	}
	if sum.Files != 1 || sum.Skipped != 1 || sum.Bytes != 3000 {
		t.Errorf("summary %+v, want 1 file copied, 1 skipped, 3000 bytes", sum)
	}
	if sum.Elapsed <= 0 {
		t.Errorf("Summary.Elapsed %v", sum.Elapsed)
	}
}

// TestProgressInterruptedKeepsTheWalksTotals: a copy cancelled before the
// counting walk finished ends with TotalsKnown false and the totals as
// counted (a lower bound), not with the totals set to what was done.
func TestProgressInterruptedKeepsTheWalksTotals(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	for i := range 40 {
		writeFile(t, filepath.Join(src, string(rune('a'+i%4)), string(rune('a'+i))), testutil.Data(100, uint64(i)))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var walked sync.Once
	held := make(chan struct{})
	defer copytree.SetTestHookWalkEntry(func(path string) {
		if !strings.HasPrefix(path, src+"/") {
			return // another copy's walk (the hook is global)
		}
		walked.Do(func() { close(held) })
		<-ctx.Done() // the walk stays at its first entry
	})()
	copied := 0
	var mu sync.Mutex
	defer copytree.SetTestHookBeforeEntry(func(string) {
		<-held
		mu.Lock()
		defer mu.Unlock()
		if copied++; copied == 10 {
			cancel()
		}
	})()
	p, _, err := copyWithProgress(t, ctx, src, filepath.Join(dir, "dst"), copytree.Options{Jobs: 1})
	if err == nil {
		t.Fatal("cancelled copy succeeded")
	}
	// The walk is held at its first entry until the cancel, but the
	// cancel reaches the test's context before the walk's own, so the
	// walk may count on (or even finish) while the copy winds down: the
	// totals are then what it counted, unknown unless it got to the end,
	// never what the copy did passed off as the total.
	switch {
	case p.Files >= 40:
		t.Errorf("final progress %+v: the cancelled copy did everything", p)
	case p.TotalsKnown && (p.TotalFiles != 40 || p.TotalBytes != 4000):
		t.Errorf("final progress %+v: totals known but not the tree's", p)
	case !p.TotalsKnown && (p.TotalFiles < p.Files || p.TotalFiles >= 40 || p.TotalBytes < p.Bytes):
		t.Errorf("final progress %+v, want totals unknown, at least what was done", p)
	}
}

// TestProgressOmittedDirectory: without recursion a directory is not
// copied, so the walk counts nothing in it.
func TestProgressOmittedDirectory(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	writeFile(t, filepath.Join(src, "a"), testutil.Data(100, 1))
	p, _, err := copyWithProgress(t, context.Background(), src, filepath.Join(dir, "dst"), copytree.Options{NoRecursion: true})
	if err == nil {
		t.Fatal("directory copied without recursion")
	}
	if !p.TotalsKnown || p.TotalFiles != 0 || p.TotalBytes != 0 {
		t.Errorf("final progress %+v, want nothing to do", p)
	}
}

// TestJobsCapped: more jobs than MaxJobs copy with MaxJobs workers
// instead of dying of thread exhaustion.
func TestJobsCapped(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	for i := range 50 {
		writeFile(t, filepath.Join(src, string(rune('a'+i%5)), string(rune('a'+i))), testutil.Data(100, uint64(i)))
	}
	if _, err := copytree.Copy(context.Background(), src, filepath.Join(dir, "dst"), copytree.Options{Jobs: 100000}); err != nil {
		t.Fatal(err)
	}
}
