package fuse_test

import (
	"context"
	"log"

	"github.com/zcopy/zcopy/memfs"
	memfuse "github.com/zcopy/zcopy/memfs/fuse"
)

// Mount a copy-on-write memory overlay of a host tree for every program.
// (Not run by go test: it needs root or fusermount3, and a mount point;
// the tests mount the same way.)
func ExampleMount() {
	// Umask 0: the kernel applies each caller's umask itself.
	fsys := memfs.New(memfs.WithUmask(0), memfs.WithMemoryLimit(1<<30))
	defer fsys.Close()
	if err := fsys.Import(context.Background(), "/srv/src", "."); err != nil {
		log.Fatal(err)
	}
	srv, err := memfuse.Mount("/mnt/work", fsys, &memfuse.Options{FsName: "memfs:/srv/src"})
	if err != nil {
		log.Fatal(err)
	}
	srv.Wait() // until umount /mnt/work, or srv.Unmount from another goroutine
}
