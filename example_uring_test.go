package zcopy_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zcopy/zcopy"
)

// Force the io_uring engine, with the read/write loop as the fallback
// where io_uring is unavailable (seccomp, kernel.io_uring_disabled, not
// Linux), and tune it.
func ExampleWithUring() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "src"), []byte("hello, ring\n"), 0o644)
	src, _ := os.Open(filepath.Join(dir, "src"))
	defer src.Close()
	dst, _ := os.Create(filepath.Join(dir, "dst"))
	defer dst.Close()

	n, err := zcopy.CopyContext(context.Background(), dst, src,
		zcopy.Only(zcopy.Uring, zcopy.ReadWrite),
		zcopy.WithUring(zcopy.UringOptions{QueueDepth: 16, BlockSize: 1 << 20}))
	fmt.Println(n, err)
	// Output: 12 <nil>
}
