package memfs_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/memfs"
	"golang.org/x/sys/unix"
)

// treeShape lists what Export must reproduce of a host tree: per name its
// type, mode, mtime and link target, and which names share an inode.
func treeShape(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	inos := map[uint64][]string{}
	err := filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		st := fi.Sys().(*syscall.Stat_t)
		line := fmt.Sprintf("%s %v mtime %v", rel, fi.Mode(), time.Unix(st.Mtim.Unix()).UTC())
		if fi.Mode()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(path)
			line += " -> " + target
		}
		if !fi.IsDir() {
			inos[st.Ino] = append(inos[st.Ino], rel)
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, names := range inos {
		if len(names) > 1 {
			sort.Strings(names)
			out = append(out, fmt.Sprintf("links %v", names))
		}
	}
	sort.Strings(out)
	return out
}

// TestExportSymlinksLikeTheSource pins issue 14 item 9: Export gives a
// symlink its own times (utimensat with AT_SYMLINK_NOFOLLOW), and hard
// links to one symlink stay one inode; the oracle is the host tree the
// memfs tree was imported from, changed by the same system calls.
func TestExportSymlinksLikeTheSource(t *testing.T) {
	shm := testutil.ShmDir(t)
	src := filepath.Join(shm, "src")
	os.Mkdir(src, 0o755)
	os.WriteFile(filepath.Join(src, "f"), []byte("data"), 0o644)
	os.Symlink("f", filepath.Join(src, "l"))
	os.Symlink("nowhere", filepath.Join(src, "dl"))
	if err := unix.Linkat(unix.AT_FDCWD, filepath.Join(src, "l"), unix.AT_FDCWD, filepath.Join(src, "l2"), 0); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"l", "dl", "f"} {
		ts := unix.NsecToTimespec(time.Date(2001, 2, 3, 4, 5, 6, 700+i, time.UTC).UnixNano())
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, filepath.Join(src, name), []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)
	os.Chtimes(src, old, old)

	mem := memfs.New()
	defer mem.Close()
	if err := mem.Import(t.Context(), src, "t"); err != nil {
		t.Fatal(err)
	}
	// One more link to the symlink, on both sides.
	if err := unix.Linkat(unix.AT_FDCWD, filepath.Join(src, "l"), unix.AT_FDCWD, filepath.Join(src, "l3"), 0); err != nil {
		t.Fatal(err)
	}
	if err := mem.Link("t/l", "t/l3"); err != nil {
		t.Fatal(err)
	}
	// Linking changed the symlink's ctime only and the directory's
	// times: put the directory's back on both sides.
	os.Chtimes(src, old, old)
	mem.Chtimes("t", old, old)

	out := filepath.Join(shm, "out")
	time.Sleep(10 * time.Millisecond) // the export time differs from every time above
	if err := mem.Export(t.Context(), "t", out); err != nil {
		t.Fatal(err)
	}
	want, got := treeShape(t, src), treeShape(t, out)
	if fmt.Sprint(want) != fmt.Sprint(got) {
		t.Fatalf("exported tree:\n%q\nwant (the source):\n%q", got, want)
	}
}
