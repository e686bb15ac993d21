package zcopy_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy"
)

// A program that opens files with openat, as a tree copy does, copies
// between the bare descriptors: no *os.File is made for either.
func ExampleCopyFD() {
	dir, err := os.MkdirTemp("", "zcopy-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "src"), []byte("hello, descriptors\n"), 0o644); err != nil {
		panic(err)
	}
	d, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		panic(err)
	}
	defer unix.Close(d)
	src, err := unix.Openat(d, "src", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		panic(err)
	}
	defer unix.Close(src)
	dst, err := unix.Openat(d, "dst", unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o644)
	if err != nil {
		panic(err)
	}
	defer unix.Close(dst)

	var st unix.Stat_t
	if err := unix.Fstat(src, &st); err != nil {
		panic(err)
	}
	n, err := zcopy.CopyFD(context.Background(), dst, src, st.Size)
	fmt.Println(n, err)
	b, _ := os.ReadFile(filepath.Join(dir, "dst"))
	fmt.Print(string(b))
	// Output:
	// 19 <nil>
	// hello, descriptors
}
