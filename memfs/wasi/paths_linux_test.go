package wasi_test

import (
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"

	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/memfs"
	"github.com/zcopy/zcopy/memfs/wasi"
)

// TestPathRulesLikeDirFS runs every pair of the names below through
// link(2), rename(2), symlink(2) and open(2) with O_CREAT, each from the
// same fresh tree, on a tmpfs directory through wazero's sysfs.DirFS and
// on memfs through the adapter, and compares the errno and the tree
// after. These are the shapes where the kernel and os.Root (whose answers
// memfs gives) differ: a trailing slash on a name being created (open(2)
// says EISDIR, link(2) and symlink(2) EEXIST or ENOENT) and the order of
// rename(2)'s and link(2)'s checks (the old name first, both parents
// before either final name). Names are clean, as wazero gives them to a
// filesystem (path.Clean, then the trailing slash put back).
func TestPathRulesLikeDirFS(t *testing.T) {
	setup := func(fsys experimentalsys.FS) {
		for _, f := range []string{"a", "d"} { // d is a file: "d/b" has no parent
			f, e := fsys.OpenFile(f, experimentalsys.O_RDWR|experimentalsys.O_CREAT, 0o644)
			if e != 0 {
				t.Fatal(e)
			}
			f.Close()
		}
		for _, d := range []string{"dd", "dd/sub", "ee"} {
			if e := fsys.Mkdir(d, 0o755); e != 0 {
				t.Fatal(e)
			}
		}
		for _, l := range [][2]string{{"nowhere", "dang"}, {"a", "la"}, {"dd", "ldd"}, {"nowhere/", "dangs"}, {"ee/", "lee"}, {"d/", "lds"}, {"d/b/", "ldbs"}, {"dangs", "ldangs"}} {
			if e := fsys.Symlink(l[0], l[1]); e != 0 {
				t.Fatal(e)
			}
		}
	}
	olds := []string{"e", "a", "a/", "e/", "dd", "dd/", "ee", "ee/", "la", "la/", "ldd", "ldd/", "x/y", "d/b", "dang", "dang/"}
	news := []string{"e", "e/", "d/b", "d/", "dd/", "dd/x/", "ee", "ee/", "a/", "a", "dang", "dang/", "la/", "ldd/", "x/y", "x/y/",
		"dangs", "dd", "dd/sub", "dd/sub/", "lee", "lee/", "d/b/", "lds", "ldbs", "ldangs"}
	type op struct {
		name string
		do   func(experimentalsys.FS) experimentalsys.Errno
	}
	var ops []op
	for _, o := range olds {
		for _, n := range news {
			ops = append(ops,
				op{"link " + o + " " + n, func(fsys experimentalsys.FS) experimentalsys.Errno { return fsys.Link(o, n) }},
				op{"rename " + o + " " + n, func(fsys experimentalsys.FS) experimentalsys.Errno { return fsys.Rename(o, n) }})
		}
	}
	for _, n := range append(news, olds...) {
		ops = append(ops, op{"symlink x " + n, func(fsys experimentalsys.FS) experimentalsys.Errno { return fsys.Symlink("x", n) }})
		for _, fl := range []experimentalsys.Oflag{experimentalsys.O_CREAT, experimentalsys.O_CREAT | experimentalsys.O_EXCL,
			experimentalsys.O_CREAT | experimentalsys.O_RDWR | experimentalsys.O_TRUNC} {
			ops = append(ops, op{fmt.Sprintf("open %s %#x", n, fl), func(fsys experimentalsys.FS) experimentalsys.Errno {
				f, e := fsys.OpenFile(n, fl, 0o644)
				if e == 0 {
					f.Close()
				}
				return e
			}})
		}
	}
	for _, o := range ops {
		host := testutil.ShmDir(t)
		dirfs := sysfs.DirFS(host)
		mfs := memfs.New()
		ours := wasi.New(mfs)
		setup(dirfs)
		setup(ours)
		want, got := o.do(dirfs), o.do(ours)
		if want != got {
			t.Errorf("%s: DirFS %s, memfs %s", o.name, errnoStr(want), errnoStr(got))
		} else if w, g := treeOf(t, os.DirFS(host)), treeOf(t, mfs); w != g {
			t.Errorf("%s (%s): trees differ:\nDirFS:\n%s\nmemfs:\n%s", o.name, errnoStr(want), w, g)
		}
		mfs.Close()
		os.RemoveAll(host)
	}
}

// treeOf lists a tree: names, types and link targets.
func treeOf(t *testing.T, fsys fs.FS) string {
	var b strings.Builder
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %v", p, d.Type())
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := fs.ReadLink(fsys, p)
			fmt.Fprintf(&b, " -> %s %v", target, err)
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
