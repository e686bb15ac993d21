package memfs_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/memfs"
)

// buildTree makes a tree with every kind of entry memfs has.
func buildTree(t testing.TB, fsys *memfs.FS) []string {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(fsys.MkdirAll("a/b/c", 0o755))
	must(fsys.Mkdir("empty", 0o700))
	must(fsys.WriteFile("a/small.txt", []byte("hello, world\n"), 0o644))
	must(fsys.WriteFile("a/b/c/data.bin", testutil.Data(20<<10, 7), 0o600))
	must(fsys.WriteFile("zero", nil, 0o644))
	f, err := fsys.Create("a/sparse")
	must(err)
	f.WriteAt([]byte("tail"), 64<<10)
	f.Close()
	host := hostFile(t, testutil.Data(30<<10, 8))
	must(fsys.ImportFile("a/b/imported", host))
	g, _ := fsys.OpenFile("a/b/imported", os.O_RDWR, 0)
	g.WriteAt([]byte("patched"), 1000)
	g.Close()
	must(fsys.Symlink("small.txt", "a/link"))
	must(fsys.Symlink("b/c", "a/dirlink"))
	must(fsys.Link("a/small.txt", "hard"))
	return []string{"a/small.txt", "a/b/c/data.bin", "zero", "a/sparse", "a/b/imported", "a/link", "hard", "empty"}
}

func TestFSTest(t *testing.T) {
	fsys := newFS(t)
	want := buildTree(t, fsys)
	// fstest.TestFS does not follow symlinks to directories
	// (golang/go#50401): list what it should find without a/dirlink's
	// contents.
	if err := fstest.TestFS(fsys, want...); err != nil {
		t.Fatal(err)
	}
	sub, err := fsys.Sub("a")
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(sub, "small.txt", "b/imported"); err != nil {
		t.Fatal(err)
	}
}

// smallHostTree builds a real directory with files, links and a hole.
func smallHostTree(t testing.TB) string {
	dir := t.TempDir()
	for i, name := range []string{"x/1", "x/y/2", "x/y/z/3", "top", "empty"} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, testutil.Data(i*3000, uint64(i)), 0o640)
	}
	os.Mkdir(filepath.Join(dir, "emptydir"), 0o750)
	os.Symlink("x/y/2", filepath.Join(dir, "sym"))
	os.Link(filepath.Join(dir, "top"), filepath.Join(dir, "x/hardtop"))
	f, _ := os.Create(filepath.Join(dir, "holey"))
	f.WriteAt([]byte("end"), 256<<10)
	f.Close()
	os.Chtimes(filepath.Join(dir, "top"), time.Unix(1e9, 123), time.Unix(1e9, 456))
	return dir
}

func TestImportTree(t *testing.T) {
	dir := smallHostTree(t)
	fsys := newFS(t)
	if err := fsys.Import(t.Context(), dir, "imp"); err != nil {
		t.Fatal(err)
	}
	u := fsys.Usage()
	if u.Heap != 0 || u.InMemory != 0 {
		t.Fatalf("import read data into memory: %+v", u)
	}
	sub, _ := fsys.Sub("imp")
	if err := fstest.TestFS(sub, "x/1", "x/y/z/3", "top", "sym", "holey", "emptydir"); err != nil {
		t.Fatal(err)
	}
	compareTrees(t, os.DirFS(dir), sub)
	fi, _ := fsys.Stat("imp/top")
	if fi.ModTime() != time.Unix(1e9, 456) || fi.Sys().(*memfs.Stat).Nlink != 2 {
		t.Fatalf("metadata: %v %+v", fi.ModTime(), fi.Sys())
	}
	a, _ := fsys.Stat("imp/top")
	b, _ := fsys.Stat("imp/x/hardtop")
	if a.Sys().(*memfs.Stat).Ino != b.Sys().(*memfs.Stat).Ino {
		t.Fatal("hard link not kept")
	}

	// Copy-on-write: a write touches memory only for its bytes and never
	// the host file.
	f, _ := fsys.OpenFile("imp/x/y/z/3", os.O_RDWR, 0)
	f.WriteAt([]byte("COW"), 10)
	f.Close()
	host, _ := os.ReadFile(filepath.Join(dir, "x/y/z/3"))
	got := readAll(t, fsys, "imp/x/y/z/3")
	if !bytes.Equal(got[:10], host[:10]) || string(got[10:13]) != "COW" || !bytes.Equal(got[13:], host[13:]) {
		t.Fatal("copy-on-write content wrong")
	}
	if u := fsys.Usage(); u.InMemory != 3 {
		t.Fatalf("a 3-byte write used %d heap bytes of file data", u.InMemory)
	}

	// Export and compare with the source.
	out := filepath.Join(t.TempDir(), "out")
	f, _ = fsys.OpenFile("imp/x/y/z/3", os.O_RDWR, 0)
	f.WriteAt(host[10:13], 10)
	f.Close()
	if err := fsys.Export(t.Context(), "imp", out); err != nil {
		t.Fatal(err)
	}
	compareTrees(t, os.DirFS(dir), os.DirFS(out))
	var st1, st2 = statHost(t, filepath.Join(out, "top")), statHost(t, filepath.Join(out, "x/hardtop"))
	if !os.SameFile(st1, st2) {
		t.Fatal("export lost the hard link")
	}
	if fi := statHost(t, filepath.Join(out, "top")); fi.ModTime() != time.Unix(1e9, 456) || fi.Mode().Perm() != 0o640 {
		t.Fatalf("export metadata: %v %v", fi.ModTime(), fi.Mode())
	}
	if runtime.GOOS == "linux" {
		if blocks := blocksOf(statHost(t, filepath.Join(out, "holey"))); blocks > 64 {
			t.Fatalf("export filled the hole: %d blocks", blocks)
		}
	}
}

func statHost(t testing.TB, path string) os.FileInfo {
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

// compareTrees checks that two trees have the same names, types, modes,
// link targets and contents.
func compareTrees(t testing.TB, want, got fs.FS) {
	t.Helper()
	seen := 0
	err := fs.WalkDir(want, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		seen++
		wi, err := d.Info()
		if err != nil {
			return err
		}
		gi, err := fs.Lstat(got, path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		if path != "." && wi.Mode() != gi.Mode() {
			t.Errorf("%s: mode %v, want %v", path, gi.Mode(), wi.Mode())
		}
		switch {
		case wi.Mode()&fs.ModeSymlink != 0:
			wl, _ := fs.ReadLink(want, path)
			gl, _ := fs.ReadLink(got, path)
			if wl != gl {
				t.Errorf("%s: link %q, want %q", path, gl, wl)
			}
		case wi.Mode().IsRegular():
			wb, err1 := fs.ReadFile(want, path)
			gb, err2 := fs.ReadFile(got, path)
			if err1 != nil || err2 != nil || !bytes.Equal(wb, gb) {
				t.Errorf("%s: content differs (%v, %v): %s", path, err1, err2, testutil.FirstDiff(gb, wb))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	fs.WalkDir(got, ".", func(string, fs.DirEntry, error) error { n++; return nil })
	if n != seen {
		t.Errorf("%d entries, want %d", n, seen)
	}
}

// TestImportGoRoot imports the Go distribution, runs fstest.TestFS over
// parts of it and compares all of it with the host (not with -short: it
// reads 270 MB).
func TestImportGoRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the whole Go distribution")
	}
	goroot := goroot()
	if goroot == "" {
		t.Skip("no go command to find GOROOT")
	}
	if _, err := os.Stat(filepath.Join(goroot, "src")); err != nil {
		t.Skip("no Go distribution at", goroot)
	}
	fsys := newFS(t)
	start := time.Now()
	if err := fsys.Import(t.Context(), goroot, "go"); err != nil {
		t.Fatal(err)
	}
	t.Logf("imported %s in %v: %+v", goroot, time.Since(start), fsys.Usage())
	// fstest.TestFS reads every file many ways: over a few packages it
	// is thorough enough and keeps the test to seconds.
	for dir, file := range map[string]string{"src/io": "io.go", "src/unicode/utf8": "utf8.go", "src/testing/fstest": "testfs.go"} {
		sub, err := fsys.Sub("go/" + dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := fstest.TestFS(sub, file); err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
	}
	// Every file of the distribution reads back as on the host.
	sub, _ := fsys.Sub("go")
	compareTrees(t, os.DirFS(goroot), sub)
}

// goroot is the Go distribution of the go command on PATH ("" if none).
func goroot() string {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
