package fuse_test

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/zcopy/zcopy/memfs"
	memfuse "github.com/zcopy/zcopy/memfs/fuse"
)

// serveArg makes the test binary a mount server: serveArg HOST MOUNTPOINT
// LIMIT. It prints "ready" once mounted and serves until unmounted.
const serveArg = "-memfs-fuse-serve"

func serveMain(args []string) int {
	if len(args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: serve HOST MOUNTPOINT LIMIT")
		return 2
	}
	limit, err := strconv.ParseInt(args[2], 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fsys := memfs.New(memfs.WithUmask(0), memfs.WithMemoryLimit(limit))
	if err := fsys.Import(context.Background(), args[0], "tree"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sub, err := fsys.SubTree("tree")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv, err := memfuse.Mount(args[1], sub, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	srv.Wait()
	return 0
}
