package memfs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/zcopy/zcopy/memfs"
)

func Example() {
	fsys := memfs.New()
	defer fsys.Close()
	fsys.MkdirAll("etc/app", 0o755)
	fsys.WriteFile("etc/app/config", []byte("debug = true\n"), 0o644)
	fsys.Symlink("app/config", "etc/current")

	b, _ := fs.ReadFile(fsys, "etc/current")
	fmt.Print(string(b))
	_, err := fsys.Open("etc/missing")
	fmt.Println(errors.Is(err, fs.ErrNotExist), err)
	// Output:
	// debug = true
	// true openat etc/missing: no such file or directory
}

// A host file becomes a memfs file without a byte read or copied; writes
// stay in memory, the host file is never written.
func ExampleFS_ImportFile() {
	dir, _ := os.MkdirTemp("", "memfs-example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "big"), []byte("hello, host file"), 0o644)
	host, _ := os.Open(filepath.Join(dir, "big"))
	defer host.Close()

	fsys := memfs.New()
	defer fsys.Close()
	fsys.ImportFile("big", host)
	f, _ := fsys.OpenFile("big", os.O_RDWR, 0)
	f.WriteAt([]byte("HELLO"), 0)
	f.Close()

	b, _ := fsys.ReadFile("big")
	onHost, _ := os.ReadFile(filepath.Join(dir, "big"))
	u := fsys.Usage()
	fmt.Printf("%s / %s\noffloaded %d, in memory %d\n", b, onHost, u.Offloaded, u.InMemory)
	// Output:
	// HELLO, host file / hello, host file
	// offloaded 11, in memory 5
}

// Holes cost no memory, and the memory limit refuses what does not fit.
func ExampleWithMemoryLimit() {
	fsys := memfs.New(memfs.WithMemoryLimit(1 << 20))
	defer fsys.Close()
	f, _ := fsys.Create("sparse")
	defer f.Close()
	f.Truncate(1 << 40)        // a 1 TiB hole
	f.WriteAt([]byte("x"), 42) // 1 byte of data
	_, err := f.Write(make([]byte, 2<<20))
	fmt.Println(errors.Is(err, syscall.ENOSPC))
	u := fsys.Usage()
	fmt.Printf("holes %d, in memory %d\n", u.Holes, u.InMemory)
	// Output:
	// true
	// holes 1099511627775, in memory 1
}

// Punching a hole gives the memory of the range back at once.
func ExampleFile_PunchHole() {
	fsys := memfs.New(memfs.WithMemoryLimit(1 << 20))
	defer fsys.Close()
	f, _ := fsys.Create("f")
	defer f.Close()
	f.Write(make([]byte, 1<<20)) // the whole limit
	f.PunchHole(4096, 1<<20)     // all but the first page; the size stays
	fi, _ := f.Stat()
	u := fsys.Usage()
	fmt.Printf("size %d, heap %d, holes %d\n", fi.Size(), u.Heap, u.Holes)
	// Output:
	// size 1048576, heap 4096, holes 1044480
}

// Rename follows os.Root and never replaces a directory; Rename2 has
// rename(2)'s rules and renameat2(2)'s flags.
func ExampleFS_Rename2() {
	fsys := memfs.New()
	defer fsys.Close()
	fsys.Mkdir("build", 0o755)
	fsys.WriteFile("build/out", []byte("new"), 0o644)
	fsys.Mkdir("dist", 0o755) // empty
	fmt.Println(errors.Is(fsys.Rename("build", "dist"), fs.ErrExist))
	fmt.Println(fsys.Rename2("build", "dist", 0))
	b, _ := fsys.ReadFile("dist/out")
	fmt.Printf("%s\n", b)
	fsys.WriteFile("a", []byte("a"), 0o644)
	fmt.Println(fsys.Rename2("a", "dist", memfs.RenameExchange))
	b, _ = fsys.ReadFile("a/out")
	fmt.Printf("%s\n", b)
	// Output:
	// true
	// <nil>
	// new
	// <nil>
	// new
}

// Import a whole host tree: O(entries), no file data read.
func ExampleFS_Import() {
	dir, _ := os.MkdirTemp("", "memfs-example")
	defer os.RemoveAll(dir)
	os.MkdirAll(filepath.Join(dir, "src", "pkg"), 0o755)
	os.WriteFile(filepath.Join(dir, "src", "pkg", "a.go"), []byte("package pkg\n"), 0o644)

	fsys := memfs.New()
	defer fsys.Close()
	if err := fsys.Import(context.Background(), dir, "tree"); err != nil {
		fmt.Println(err)
		return
	}
	fs.WalkDir(fsys, "tree", func(path string, d fs.DirEntry, err error) error {
		fmt.Println(path)
		return err
	})
	f, _ := fsys.Open("tree/src/pkg/a.go")
	defer f.Close()
	io.Copy(os.Stdout, f)
	// Output:
	// tree
	// tree/src
	// tree/src/pkg
	// tree/src/pkg/a.go
	// package pkg
}
