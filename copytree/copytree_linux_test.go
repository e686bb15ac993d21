package copytree_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/copytree"
	"github.com/zcopy/zcopy/internal/testutil"
)

var archive = copytree.Options{Preserve: copytree.PreserveAll, ContinueOnError: true}

func withJobs(o copytree.Options, n int) copytree.Options { o.Jobs = n; return o }

// TestArchiveMatchesGNU is the differential test: GNU cp -a and copytree
// with PreserveAll copy the same tricky tree, and what a user can observe
// (content, mode, owner, ns mtimes, xattrs, link structure, st_blocks)
// must be the same, for one worker and for several.
func TestArchiveMatchesGNU(t *testing.T) {
	if _, err := exec.LookPath("cp"); err != nil {
		t.Skip("GNU cp not installed")
	}
	base := testutil.ShmDir(t) // tmpfs: 100,000 files on ext4 take a minute
	src := filepath.Join(base, "src")
	o := corpusOpts{flat: 3000}
	switch {
	case testing.Short():
	case raceEnabled:
		o.bigSparse, o.flat = true, 20000
	default:
		o.bigSparse, o.flat = true, 100000
	}
	start := time.Now()
	buildCorpus(t, src, o)
	t.Logf("corpus built in %v", time.Since(start))
	gnu := filepath.Join(base, "gnu")
	if out, err := exec.Command("cp", "-a", src, gnu).CombinedOutput(); err != nil {
		t.Fatalf("cp -a: %v\n%s", err, out)
	}
	start = time.Now()
	want := snapshot(t, gnu)
	t.Logf("snapshot in %v", time.Since(start))
	// The source itself, with GNU's copy, anchors the comparison: a
	// difference GNU and we share would otherwise go unnoticed.
	compareTrees(t, snapshot(t, src), want, compareOpts{dirTimes: true, linkTimes: true})
	for _, jobs := range []int{1, 4, -4} {
		name := "jobs=" + string(rune('0'+jobs))
		if jobs < 0 {
			// Listings without types (DT_UNKNOWN, as on some
			// filesystems): every entry is stat'ed first.
			name, jobs = "jobs=4,DT_UNKNOWN", -jobs
		}
		t.Run(name, func(t *testing.T) {
			if strings.Contains(name, "UNKNOWN") {
				defer copytree.SetUnknownTypes()()
			}
			dst := filepath.Join(base, "ours"+strings.NewReplacer("=", "", ",", "").Replace(name))
			var files atomic.Int64
			opts := withJobs(archive, jobs)
			opts.OnFile = func(copytree.FileReport) { files.Add(1) }
			sum, err := copytree.Copy(context.Background(), src, dst, opts)
			if err != nil {
				t.Fatal(err)
			}
			compareTrees(t, want, snapshot(t, dst), compareOpts{blocks: true, dirTimes: true, linkTimes: true})
			if sum.Errors != 0 || files.Load() != sum.Files+sum.Dirs+sum.Symlinks+sum.HardLinks+sum.Specials {
				t.Errorf("summary %+v, %d reports", sum, files.Load())
			}
			os.RemoveAll(dst)
		})
	}
}

// TestSparse checks that holes survive (st_blocks), for each layout, and
// that --sparse=never fills them and always makes holes from zeros.
func TestSparse(t *testing.T) {
	dir := testutil.ShmDir(t)
	src := filepath.Join(dir, "src")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt(testutil.Data(1<<20, 1), 8<<20)
	f.Truncate(64 << 20)
	f.Close()
	blocks := func(p string) int64 {
		var st unix.Stat_t
		if err := unix.Stat(p, &st); err != nil {
			t.Fatal(err)
		}
		return st.Blocks
	}
	for _, tc := range []struct {
		sparse copytree.When
		max    int64 // st_blocks at most
		min    int64
	}{
		{copytree.Auto, blocks(src), blocks(src)},
		{copytree.Never, 1 << 40, 64 << 20 / 512},
		{copytree.Always, blocks(src), blocks(src)},
	} {
		dst := filepath.Join(dir, "dst-"+tc.sparse.String())
		var rep copytree.FileReport
		_, err := copytree.Copy(context.Background(), src, dst, copytree.Options{Sparse: tc.sparse, OnFile: func(r copytree.FileReport) { rep = r }})
		if err != nil {
			t.Fatal(err)
		}
		if !sameBytes(t, src, dst) {
			t.Fatalf("sparse=%v: contents differ", tc.sparse)
		}
		if b := blocks(dst); b > tc.max || b < tc.min {
			t.Errorf("sparse=%v: st_blocks %d, want in [%d, %d]", tc.sparse, b, tc.min, tc.max)
		}
		if (tc.sparse != copytree.Never) != (rep.Sparse == copytree.OutcomeYes) {
			t.Errorf("sparse=%v: report %s", tc.sparse, rep.Debug())
		}
	}
}

// TestAlwaysMakesHolesFromZeros: --sparse=always on a file without holes.
func TestAlwaysMakesHolesFromZeros(t *testing.T) {
	dir := testutil.ShmDir(t)
	src := filepath.Join(dir, "zeros")
	data := make([]byte, 4<<20)
	copy(data[1<<20:], "not zero")
	os.WriteFile(src, data, 0o644)
	dst := filepath.Join(dir, "dst")
	if _, err := copytree.Copy(context.Background(), src, dst, copytree.Options{Sparse: copytree.Always}); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	unix.Stat(dst, &st)
	if !sameBytes(t, src, dst) || st.Blocks > 16 {
		t.Errorf("st_blocks %d, want one 4 KiB block", st.Blocks)
	}
}

// TestPlantedSymlinkNotWrittenThrough: a link the destination gets (an
// attacker's, or a stale one) is replaced, never written through, below
// the destination root.
func TestPlantedSymlinkNotWrittenThrough(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	os.WriteFile(filepath.Join(src, "sub", "f"), []byte("new"), 0o644)
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("precious"), 0o644)
	dst := filepath.Join(dir, "dst")
	os.MkdirAll(filepath.Join(dst, "sub"), 0o755)
	os.Symlink(victim, filepath.Join(dst, "sub", "f"))
	// A planted link in place of a directory, too.
	os.MkdirAll(filepath.Join(src, "d2"), 0o755)
	os.WriteFile(filepath.Join(src, "d2", "g"), []byte("g"), 0o644)
	outside := filepath.Join(dir, "outside")
	os.Mkdir(outside, 0o755)
	os.Symlink(outside, filepath.Join(dst, "d2"))
	_, err := copytree.Copy(context.Background(), src, dst, copytree.Options{ContinueOnError: true})
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Fatalf("wrote through a planted symlink: victim now %q", b)
	}
	if fi, err := os.Lstat(filepath.Join(dst, "sub", "f")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("sub/f: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(outside, "g")); err == nil {
		t.Error("copied into a directory symlink planted in the destination")
	}
	if !errors.Is(err, copytree.ErrDirOverFile) {
		t.Errorf("err = %v, want ErrDirOverFile for d2", err)
	}
}

// TestRaceSymlinkSwap swaps a destination directory for a symlink while
// copies run; nothing may appear in the symlink's target.
func TestRaceSymlinkSwap(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	for i := 0; i < 50; i++ {
		p := filepath.Join(src, "d", string(rune('a'+i%26))+string(rune('a'+i/26)))
		os.MkdirAll(p, 0o755)
		for j := 0; j < 20; j++ {
			os.WriteFile(filepath.Join(p, "f"+string(rune('a'+j))), []byte("x"), 0o644)
		}
	}
	outside := filepath.Join(dir, "outside")
	os.Mkdir(outside, 0o755)
	for round := 0; round < 5; round++ {
		dst := filepath.Join(dir, "dst")
		os.RemoveAll(dst)
		var wg sync.WaitGroup
		stop := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				// Replace whatever dst/d/aa is with a link to outside.
				p := filepath.Join(dst, "d", "aa")
				if os.Rename(p, p+".moved") == nil {
					os.Symlink(outside, p)
				}
			}
		}()
		copytree.Copy(context.Background(), src, dst, copytree.Options{ContinueOnError: true, Jobs: 4})
		close(stop)
		wg.Wait()
		if names, _ := readNames(outside); len(names) > 0 {
			t.Fatalf("round %d: files written through a swapped-in symlink: %v", round, names)
		}
	}
}

// TestVanishingSource: an entry removed between the listing and its copy
// fails alone; the rest is copied.
func TestVanishingSource(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	for _, n := range []string{"a", "b", "c"} {
		os.WriteFile(filepath.Join(src, n), []byte(n), 0o644)
	}
	restore := copytree.SetTestHookBeforeEntry(func(path string) {
		if strings.HasSuffix(path, "/b") {
			os.Remove(path)
		}
	})
	defer restore()
	dst := filepath.Join(dir, "dst")
	sum, err := copytree.Copy(context.Background(), src, dst, withJobs(copytree.Options{ContinueOnError: true}, 1))
	var ce *copytree.Error
	if !errors.As(err, &ce) || !errors.Is(err, syscall.ENOENT) || !strings.Contains(err.Error(), "'"+src+"/b'") {
		t.Fatalf("err = %v", err)
	}
	if sum.Files != 2 {
		t.Errorf("copied %d files, want 2", sum.Files)
	}
	for _, n := range []string{"a", "c"} {
		if _, err := os.Stat(filepath.Join(dst, n)); err != nil {
			t.Error(err)
		}
	}
}

// TestReadOnlySourceDirs: mode applied after children (GNU, uutils #10787).
func TestReadOnlySourceDirs(t *testing.T) {
	if os.Geteuid() == 0 {
		// root ignores permissions; still run: the mode must be kept.
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "ro", "inner"), 0o755)
	os.WriteFile(filepath.Join(src, "ro", "inner", "f"), []byte("x"), 0o444)
	os.Chmod(filepath.Join(src, "ro", "inner"), 0o555)
	os.Chmod(filepath.Join(src, "ro"), 0o500)
	t.Cleanup(func() {
		filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error { os.Chmod(p, 0o755); return nil })
	})
	dst := filepath.Join(dir, "dst")
	if _, err := copytree.Copy(context.Background(), src, dst, archive); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{"ro": 0o500, "ro/inner": 0o555, "ro/inner/f": 0o444} {
		fi, err := os.Stat(filepath.Join(dst, p))
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want %v", p, fi.Mode(), err, want)
		}
	}
}

// TestWithheldPermissions: while a file is being written its mode is at
// most 0600 when ownership and mode are preserved (GNU's omitted
// permissions; uutils #10011).
func TestWithheldPermissions(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.WriteFile(src, testutil.Data(1<<20, 2), 0o4777)
	unix.Chmod(src, 0o4777)
	dst := filepath.Join(dir, "dst")
	var seen os.FileMode
	restore := copytree.SetTestHookAfterData(func(path string) {
		fi, err := os.Lstat(path)
		if err == nil {
			seen = fi.Mode().Perm()
		}
	})
	defer restore()
	if _, err := copytree.Copy(context.Background(), src, dst, copytree.Options{Preserve: copytree.PreserveMode | copytree.PreserveOwnership}); err != nil {
		t.Fatal(err)
	}
	if seen&^0o600 != 0 {
		t.Errorf("mode while writing %v, want 0600 or less", seen)
	}
	fi, _ := os.Stat(dst)
	if fi.Mode()&(os.ModeSetuid|0o777) != os.ModeSetuid|0o777 {
		t.Errorf("final mode %v", fi.Mode())
	}
}

// TestAtomicKeepsOldOnENOSPC: with Atomic, a copy that runs out of space
// leaves the old destination as it was and no temporary file.
func TestAtomicKeepsOldOnENOSPC(t *testing.T) {
	testutil.NeedRoot(t)
	small := testutil.TmpfsDir(t, "2m")
	big := filepath.Join(t.TempDir(), "big")
	os.WriteFile(big, testutil.Data(4<<20, 3), 0o644)
	dst := filepath.Join(small, "dst")
	os.WriteFile(dst, []byte("old contents"), 0o644)
	for _, atomicMode := range []bool{true, false} {
		os.WriteFile(dst, []byte("old contents"), 0o644)
		_, err := copytree.Copy(context.Background(), big, dst, copytree.Options{Atomic: atomicMode})
		if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("atomic=%v: err = %v, want ENOSPC", atomicMode, err)
		}
		if !strings.Contains(err.Error(), "No space left on device") {
			t.Errorf("message %q", err)
		}
		names, _ := readNames(small)
		if atomicMode {
			if b, _ := os.ReadFile(dst); string(b) != "old contents" {
				t.Errorf("atomic: old destination lost: %d bytes", len(b))
			}
			if len(names) != 1 {
				t.Errorf("atomic: left behind %v", names)
			}
		}
	}
}

// TestAtomicReplaces: the destination inode changes (rename), readers
// holding the old file keep it.
func TestAtomicReplaces(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	os.WriteFile(src, []byte("new"), 0o644)
	os.WriteFile(dst, []byte("old"), 0o644)
	old, _ := os.Open(dst)
	defer old.Close()
	if _, err := copytree.Copy(context.Background(), src, dst, copytree.Options{Atomic: true, Fsync: copytree.FsyncFile}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(dst)
	ob := make([]byte, 3)
	old.Read(ob)
	if string(b) != "new" || string(ob) != "old" {
		t.Errorf("dst %q, old handle %q", b, ob)
	}
	if names, _ := readNames(dir); len(names) != 2 {
		t.Errorf("left behind: %v", names)
	}
}

// TestHardLinksAcrossOperands: one Copier keeps links between operands.
func TestHardLinksAcrossOperands(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), []byte("x"), 0o644)
	os.Link(filepath.Join(dir, "a"), filepath.Join(dir, "b"))
	os.Mkdir(filepath.Join(dir, "t"), 0o755)
	c := copytree.New(archive)
	ctx := context.Background()
	if err := c.Copy(ctx, filepath.Join(dir, "a"), filepath.Join(dir, "t", "a")); err != nil {
		t.Fatal(err)
	}
	if err := c.Copy(ctx, filepath.Join(dir, "b"), filepath.Join(dir, "t", "b")); err != nil {
		t.Fatal(err)
	}
	a, _ := os.Stat(filepath.Join(dir, "t", "a"))
	b, _ := os.Stat(filepath.Join(dir, "t", "b"))
	if !os.SameFile(a, b) {
		t.Error("t/a and t/b are not one file")
	}
	if s := c.Summary(); s.Files != 1 || s.HardLinks != 1 {
		t.Errorf("summary %+v", s)
	}
}

// TestSameFileAndIntoItself: refused by (dev, ino), as GNU does.
func TestSameFileAndIntoItself(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	os.WriteFile(f, []byte("x"), 0o644)
	os.Link(f, filepath.Join(dir, "g"))
	_, err := copytree.Copy(context.Background(), f, filepath.Join(dir, "g"), copytree.Options{})
	if !errors.Is(err, copytree.ErrSameFile) || err.Error() != "'"+f+"' and '"+dir+"/g' are the same file" {
		t.Errorf("same file: %v", err)
	}
	d := filepath.Join(dir, "d")
	os.MkdirAll(filepath.Join(d, "sub"), 0o755)
	_, err = copytree.Copy(context.Background(), d, filepath.Join(d, "sub", "copy"), copytree.Options{ContinueOnError: true})
	if !errors.Is(err, copytree.ErrIntoItself) {
		t.Errorf("into itself: %v", err)
	}
	// GNU copies the tree once, without the copy itself, then stops.
	if _, err := os.Stat(filepath.Join(d, "sub", "copy", "sub")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(d, "sub", "copy", "sub", "copy")); err == nil {
		t.Error("into itself: recursed into the copy")
	}
}

// TestSymlinkLoopFollowed: -L over a loop is reported, the rest copies.
func TestSymlinkLoopFollowed(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "s"), 0o755)
	os.Symlink("..", filepath.Join(src, "s", "up"))
	os.Symlink("l2", filepath.Join(src, "l1"))
	os.Symlink("l1", filepath.Join(src, "l2"))
	os.WriteFile(filepath.Join(src, "f"), []byte("f"), 0o644)
	_, err := copytree.Copy(context.Background(), src, filepath.Join(dir, "dst"), copytree.Options{Deref: copytree.DerefAlways, ContinueOnError: true})
	if !errors.Is(err, copytree.ErrSymlinkLoop) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "cannot copy cyclic symbolic link '"+src+"/s/up'") {
		t.Errorf("message: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "dst", "f")); err != nil {
		t.Error(err)
	}
}

// TestSpecialFilesNotRead: a FIFO is recreated, never opened (a read
// would block forever), unless CopyContents.
func TestSpecialFilesNotRead(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	unix.Mkfifo(fifo, 0o600)
	dst := filepath.Join(dir, "copy")
	if _, err := copytree.Copy(context.Background(), fifo, dst, copytree.Options{}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(dst); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("copy is %v, %v", fi.Mode(), err)
	}
	// With CopyContents it is read: feed it.
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			w.Write([]byte("through the fifo"))
			w.Close()
		}
	}()
	dst2 := filepath.Join(dir, "contents")
	if _, err := copytree.Copy(context.Background(), fifo, dst2, copytree.Options{CopyContents: true}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst2); string(b) != "through the fifo" {
		t.Errorf("contents %q", b)
	}
}

// TestOverwritePolicies covers -n, --update=none-fail, -u, -i, --backup.
func TestOverwritePolicies(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	reset := func() {
		os.WriteFile(src, []byte("new"), 0o644)
		os.WriteFile(dst, []byte("old"), 0o644)
	}
	content := func() string { b, _ := os.ReadFile(dst); return string(b) }
	ctx := context.Background()

	reset()
	copytree.Copy(ctx, src, dst, copytree.Options{Update: copytree.UpdateNone})
	if content() != "old" {
		t.Error("-n replaced")
	}
	_, err := copytree.Copy(ctx, src, dst, copytree.Options{Update: copytree.UpdateNoneFail})
	if !errors.Is(err, copytree.ErrNotReplacing) || content() != "old" {
		t.Errorf("none-fail: %v", err)
	}
	// -u: the destination is newer: kept.
	os.Chtimes(src, testTime(1), testTime(1))
	copytree.Copy(ctx, src, dst, copytree.Options{Update: copytree.UpdateOlder})
	if content() != "old" {
		t.Error("-u replaced a newer file")
	}
	os.Chtimes(dst, testTime(0), testTime(0))
	copytree.Copy(ctx, src, dst, copytree.Options{Update: copytree.UpdateOlder})
	if content() != "new" {
		t.Error("-u kept an older file")
	}
	reset()
	asked := ""
	copytree.Copy(ctx, src, dst, copytree.Options{Interactive: func(p string) bool { asked = p; return false }})
	if asked != dst || content() != "old" {
		t.Errorf("-i asked %q", asked)
	}
	reset()
	var backup string
	copytree.Copy(ctx, src, dst, copytree.Options{Backup: copytree.BackupNumbered, OnFile: func(r copytree.FileReport) { backup = r.Backup }})
	copytree.Copy(ctx, src, dst, copytree.Options{Backup: copytree.BackupNumbered})
	if b, _ := os.ReadFile(dst + ".~1~"); string(b) != "old" || backup != dst+".~1~" {
		t.Errorf("numbered backup: %q, report %q", b, backup)
	}
	if _, err := os.Stat(dst + ".~2~"); err != nil {
		t.Error(err)
	}
	reset()
	// A read-only destination: -f unlinks and retries (as non-root the
	// open fails; as root it does not, which is fine too).
	os.Chmod(dst, 0o444)
	if _, err := copytree.Copy(ctx, src, dst, copytree.Options{Force: true}); err != nil || content() != "new" {
		t.Errorf("-f: %v, %q", err, content())
	}
}

// TestReflink: on btrfs and XFS the copy shares extents (FIEMAP) and the
// report says clone; reflink=always fails with GNU's message elsewhere.
func TestReflink(t *testing.T) {
	for _, fstype := range []string{"btrfs", "xfs"} {
		t.Run(fstype, func(t *testing.T) {
			mnt := testutil.SharedMount(t, fstype)
			dir := testutil.MkdirIn(t, mnt)
			src := filepath.Join(dir, "src")
			os.WriteFile(src, testutil.Data(8<<20, 4), 0o644)
			for _, w := range []copytree.When{copytree.Auto, copytree.Always} {
				dst := filepath.Join(dir, "dst-"+w.String())
				var rep copytree.FileReport
				if _, err := copytree.Copy(context.Background(), src, dst, copytree.Options{Reflink: w, OnFile: func(r copytree.FileReport) { rep = r }}); err != nil {
					t.Fatal(err)
				}
				shared, err := testutil.SharedBytes(dst)
				if err != nil {
					t.Fatal(err)
				}
				if shared < 8<<20 || rep.Reflink != copytree.OutcomeYes || !sameBytes(t, src, dst) {
					t.Errorf("reflink=%v: %d shared bytes, report %s", w, shared, rep.Debug())
				}
			}
			dst := filepath.Join(dir, "dst-never")
			if _, err := copytree.Copy(context.Background(), src, dst, copytree.Options{Reflink: copytree.Never}); err != nil {
				t.Fatal(err)
			}
			if shared, _ := testutil.SharedBytes(dst); shared != 0 {
				t.Errorf("reflink=never shares %d bytes", shared)
			}
		})
	}
	t.Run("always-unsupported", func(t *testing.T) {
		dir := testutil.ShmDir(t)
		src := filepath.Join(dir, "src")
		os.WriteFile(src, []byte("x"), 0o644)
		dst := filepath.Join(dir, "dst")
		_, err := copytree.Copy(context.Background(), src, dst, copytree.Options{Reflink: copytree.Always})
		if !errors.Is(err, copytree.ErrCloneRequired) || err.Error() != "failed to clone '"+dst+"' from '"+src+"': Operation not supported" {
			t.Errorf("err = %v", err)
		}
		if _, err := os.Lstat(dst); err == nil {
			t.Error("left an empty destination (GNU 9.2 removes it)")
		}
	})
}

// TestReportMethod: the per-file report names the engine's method, and
// reflink=never keeps copy_file_range out.
func TestReportMethod(t *testing.T) {
	dir := testutil.ShmDir(t)
	src := filepath.Join(dir, "src")
	os.WriteFile(src, testutil.Data(3<<20, 5), 0o644)
	for _, tc := range []struct {
		reflink copytree.When
		want    zcopy.Method
	}{{copytree.Auto, zcopy.CopyFileRange}, {copytree.Never, zcopy.Sendfile}} {
		var rep copytree.FileReport
		dst := filepath.Join(dir, "dst-"+tc.reflink.String())
		if _, err := copytree.Copy(context.Background(), src, dst, copytree.Options{Reflink: tc.reflink, OnFile: func(r copytree.FileReport) { rep = r }}); err != nil {
			t.Fatal(err)
		}
		if rep.Method != tc.want || rep.Size != 3<<20 {
			t.Errorf("reflink=%v: method %v size %d, want %v (%s)", tc.reflink, rep.Method, rep.Size, tc.want, rep.Debug())
		}
	}
}

// TestCancel: a cancelled context stops the copy with ctx.Err().
func TestCancel(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	for i := 0; i < 200; i++ {
		os.MkdirAll(filepath.Join(src, string(rune('a'+i%26)), string(rune('a'+i/26))), 0o755)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	restore := copytree.SetTestHookBeforeEntry(func(string) {
		if n++; n == 10 {
			cancel()
		}
	})
	defer restore()
	_, err := copytree.Copy(ctx, src, filepath.Join(dir, "dst"), withJobs(archive, 1))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

// TestStopOnFirstError: without ContinueOnError the first error ends the copy.
func TestStopOnFirstError(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	for i := 0; i < 100; i++ {
		os.WriteFile(filepath.Join(src, string(rune('a'+i%26))+string(rune('a'+i/26))), []byte("x"), 0o644)
	}
	restore := copytree.SetTestHookBeforeEntry(func(p string) { os.Remove(p) })
	defer restore()
	sum, err := copytree.Copy(context.Background(), src, filepath.Join(dir, "dst"), copytree.Options{Jobs: 1})
	if err == nil || sum.Errors != 1 {
		t.Errorf("err %v, %d errors", err, sum.Errors)
	}
	restore()
	defer copytree.SetTestHookBeforeEntry(func(p string) { os.Remove(p) })()
	var seen atomic.Int64
	sum, err = copytree.Copy(context.Background(), filepath.Join(dir, "src"), filepath.Join(dir, "dst2"), copytree.Options{Jobs: 1, ContinueOnError: true, OnError: func(error) { seen.Add(1) }})
	_ = sum
	if err != nil && seen.Load() == 0 {
		t.Error("OnError not called")
	}
}

// TestProgress: the final callback has the totals and everything done.
func TestProgress(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	var total int64
	for i := 0; i < 300; i++ {
		p := filepath.Join(src, string(rune('a'+i%7)), string(rune('a'+i%26))+string(rune('a'+i/26)))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, testutil.Data(i*100, uint64(i)), 0o644)
		total += int64(i * 100)
	}
	os.WriteFile(filepath.Join(src, "big"), testutil.Data(20<<20, 9), 0o644)
	total += 20 << 20
	var mu sync.Mutex
	var last copytree.Progress
	calls := 0
	_, err := copytree.Copy(context.Background(), src, filepath.Join(dir, "dst"), copytree.Options{Progress: func(p copytree.Progress) {
		mu.Lock()
		last, calls = p, calls+1
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !last.Done || !last.TotalsKnown || last.Files != 301 || last.TotalFiles != 301 || last.Bytes != total || last.TotalBytes != total {
		t.Errorf("last progress %+v (want %d bytes), %d calls", last, total, calls)
	}
}

func testTime(i int) time.Time { return time.Unix(int64(1e9+i*1000), 0) }

// TestBoundedDescriptors: open descriptors stay bounded by the worker
// count whatever the depth (300) or width (3,000) of the tree.
func TestBoundedDescriptors(t *testing.T) {
	dir := testutil.ShmDir(t)
	src := filepath.Join(dir, "src")
	p := src
	for i := 0; i < 300; i++ {
		p = filepath.Join(p, "d")
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(p, "f"), []byte("x"), 0o644)
	}
	for i := 0; i < 3000; i++ {
		os.MkdirAll(filepath.Join(src, "wide"), 0o755)
		os.WriteFile(filepath.Join(src, "wide", "f"+strconv.Itoa(i)), []byte("y"), 0o644)
	}
	base := len(testutil.OpenFDs())
	var mu sync.Mutex
	peak, n := 0, 0
	restore := copytree.SetTestHookBeforeEntry(func(string) {
		mu.Lock()
		defer mu.Unlock()
		if n++; n%7 != 0 {
			return // sample: reading /proc/self/fd is slow
		}
		if k := len(testutil.OpenFDs()); k > peak {
			peak = k
		}
	})
	defer restore()
	const jobs = 4
	if _, err := copytree.Copy(context.Background(), src, filepath.Join(dir, "dst"), withJobs(archive, jobs)); err != nil {
		t.Fatal(err)
	}
	// Per worker: a directory's two descriptors, a file's two, and the
	// queued batches of at most 2*jobs directories.
	if limit := base + 2*jobs + 2*jobs + 4*jobs + 8; peak > limit {
		t.Errorf("peak %d open descriptors (base %d), want <= %d", peak, base, limit)
	}
	t.Logf("peak %d descriptors, base %d", peak, base)
}

// TestOneFileSystem: with OneFileSystem a directory on another filesystem
// is created, empty, as cp -x does.
func TestOneFileSystem(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "mnt"), 0o755)
	os.WriteFile(filepath.Join(src, "f"), []byte("f"), 0o644)
	testutil.NeedRoot(t)
	if err := unix.Mount("tmpfs", filepath.Join(src, "mnt"), "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("mount tmpfs: %v", err)
	}
	defer unix.Unmount(filepath.Join(src, "mnt"), 0)
	os.WriteFile(filepath.Join(src, "mnt", "other"), []byte("o"), 0o644)
	dst := filepath.Join(dir, "dst")
	if _, err := copytree.Copy(context.Background(), src, dst, copytree.Options{OneFileSystem: true}); err != nil {
		t.Fatal(err)
	}
	if names, err := readNames(filepath.Join(dst, "mnt")); err != nil || len(names) != 0 {
		t.Errorf("mnt: %v %v, want an empty directory", names, err)
	}
	if _, err := os.Stat(filepath.Join(dst, "f")); err != nil {
		t.Error(err)
	}
}

// TestCopyFS: an fs.FS with directories, modes, symlinks; the existing
// file policy of os.CopyFS is UpdateNoneFail.
func TestCopyFS(t *testing.T) {
	dir := t.TempDir()
	fsys := fstest.MapFS{
		"a/b/c.txt": {Data: []byte("c"), Mode: 0o600},
		"a/run":     {Data: []byte("#!"), Mode: 0o755},
		"a/link":    {Data: []byte("b/c.txt"), Mode: fs.ModeSymlink},
	}
	sum, err := copytree.CopyFS(context.Background(), dir, fsys, copytree.Options{Preserve: copytree.PreserveMode})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != 2 || sum.Symlinks != 1 {
		t.Errorf("summary %+v", sum)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "a", "link")); err != nil || string(b) != "c" {
		t.Errorf("through the link: %q %v", b, err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "a", "b", "c.txt")); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	_, err = copytree.CopyFS(context.Background(), dir, fsys, copytree.Options{Update: copytree.UpdateNoneFail})
	if !errors.Is(err, copytree.ErrNotReplacing) {
		t.Errorf("second copy: %v", err)
	}
	// A real directory through os.DirFS: the fast path still applies.
	var methods []zcopy.Method
	_, err = copytree.CopyFS(context.Background(), filepath.Join(dir, "again"), os.DirFS(filepath.Join(dir, "a", "b")),
		copytree.Options{OnFile: func(r copytree.FileReport) { methods = append(methods, r.Method) }})
	if err != nil || len(methods) != 2 || methods[1] != zcopy.CopyFileRange {
		t.Errorf("os.DirFS: %v, methods %v", err, methods)
	}
}
