package copytree_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing/fstest"

	"github.com/zcopy/zcopy/copytree"
)

// Copy a tree like cp -a: contents, modes, owners, timestamps, xattrs and
// hard links, in parallel.
func ExampleCopy() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "docs"), 0o755)
	os.WriteFile(filepath.Join(src, "docs", "readme"), []byte("hello\n"), 0o644)
	os.Symlink("docs/readme", filepath.Join(src, "README"))

	sum, err := copytree.Copy(context.Background(), src, filepath.Join(dir, "dst"),
		copytree.Options{Preserve: copytree.PreserveAll})
	if err != nil {
		fmt.Println(err)
		return
	}
	target, _ := os.Readlink(filepath.Join(dir, "dst", "README"))
	fmt.Println(sum.Files, "file,", sum.Dirs, "directories,", sum.Symlinks, "symlink ->", target)
	// Output: 1 file, 2 directories, 1 symlink -> docs/readme
}

// Errors carry GNU cp's message and match the errno and the sentinels.
func ExampleError() {
	_, err := copytree.Copy(context.Background(), "/nonexistent", "/tmp/x", copytree.Options{})
	fmt.Println(err)
	fmt.Println(errors.Is(err, fs.ErrNotExist))
	// Output:
	// cannot stat '/nonexistent': No such file or directory
	// true
}

// A Copier copies several operands into one directory and keeps hard
// links between them; OnFile reports how each file was copied.
func ExampleCopier() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "a"), []byte("same inode"), 0o644)
	os.Link(filepath.Join(dir, "a"), filepath.Join(dir, "b"))
	os.Mkdir(filepath.Join(dir, "t"), 0o755)

	var mu sync.Mutex
	var kinds []string
	c := copytree.New(copytree.Options{
		Preserve: copytree.PreserveAll,
		OnFile: func(r copytree.FileReport) {
			mu.Lock()
			kinds = append(kinds, filepath.Base(r.Dst)+": "+r.Kind.String())
			mu.Unlock()
		},
	})
	c.RefuseJustCreated()
	for _, name := range []string{"a", "b"} {
		if err := c.Copy(context.Background(), filepath.Join(dir, name), filepath.Join(dir, "t", name)); err != nil {
			fmt.Println(err)
		}
	}
	sort.Strings(kinds)
	fmt.Println(kinds)
	// Output: [a: file b: hardlink]
}

// CopyFS is os.CopyFS with cp's options: here an in-memory tree.
func ExampleCopyFS() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	fsys := fstest.MapFS{
		"site/index.html": {Data: []byte("<h1>hi</h1>"), Mode: 0o644},
		"site/run.sh":     {Data: []byte("#!/bin/sh\n"), Mode: 0o755},
	}
	sum, err := copytree.CopyFS(context.Background(), dir, fsys, copytree.Options{Preserve: copytree.PreserveMode})
	if err != nil {
		fmt.Println(err)
		return
	}
	fi, _ := os.Stat(filepath.Join(dir, "site", "run.sh"))
	fmt.Println(sum.Files, "files;", "run.sh", fi.Mode())
	// Output: 2 files; run.sh -rwxr-xr-x
}

// CopyOperands copies several operands, at once where their order
// cannot show; with OrderedOutput the lines come as cp -v prints them:
// operand after operand, each tree depth first.
func ExampleCopier_CopyOperands() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	for _, name := range []string{"a/x", "b/z"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644)
	}
	os.Mkdir(filepath.Join(dir, "t"), 0o755)
	c := copytree.New(copytree.Options{Jobs: 4, OrderedOutput: true, ContinueOnError: true,
		OnFile: func(r copytree.FileReport) {
			rel, _ := filepath.Rel(dir, r.Src)
			fmt.Println(rel)
		}})
	c.RefuseJustCreated() // cp does with several operands
	errs := c.CopyOperands(context.Background(), []copytree.Operand{
		{Src: filepath.Join(dir, "a"), Dst: filepath.Join(dir, "t/a")},
		{Src: filepath.Join(dir, "b"), Dst: filepath.Join(dir, "t/b")},
	})
	fmt.Println(errors.Join(errs...))
	// Output:
	// a
	// a/x
	// b
	// b/z
	// <nil>
}
