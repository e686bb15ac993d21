package uring_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/uring"
)

// CopyFiles as a tree copy uses it: the walk creates the directories and
// hands over the regular files; the destinations are created 0600 and kept
// open so that the caller can apply the source's metadata on the
// descriptor, then close it.
func ExampleCopyFiles() {
	src, _ := os.MkdirTemp("", "src")
	dst, _ := os.MkdirTemp("", "dst")
	defer os.RemoveAll(src)
	defer os.RemoveAll(dst)
	os.WriteFile(filepath.Join(src, "a"), []byte("alpha"), 0o640)
	os.WriteFile(filepath.Join(src, "b"), []byte("beta"), 0o644)

	srcDir, _ := os.Open(src)
	defer srcDir.Close()
	dstDir, _ := os.Open(dst)
	defer dstDir.Close()
	var jobs []uring.Job
	for _, name := range []string{"a", "b", "missing"} {
		jobs = append(jobs, uring.Job{
			SrcDir: int(srcDir.Fd()), Src: name,
			DstDir: int(dstDir.Fd()), Dst: name,
			KeepDst: true,
		})
	}
	// EngineUring falls back to the goroutine pool where io_uring is
	// unavailable; EngineAuto picks what measured faster (the pool).
	for i, r := range uring.CopyFiles(context.Background(), jobs, uring.FilesConfig{Engine: uring.EngineUring}) {
		if r.Err != nil {
			fmt.Println(jobs[i].Src, "error:", r.Err.(*os.PathError).Op, r.Err.(*os.PathError).Err)
			continue
		}
		r.DstFile.Chmod(os.FileMode(r.Stat.Mode & 0o777)) // fchmod: not an io_uring op
		r.DstFile.Close()
		fi, _ := os.Stat(filepath.Join(dst, jobs[i].Dst))
		fmt.Println(jobs[i].Src, r.Written, fi.Mode(), r.Stat.Mode&unix.S_IFMT == unix.S_IFREG)
	}
	// Output:
	// a 5 -rw-r----- true
	// b 4 -rw-r--r-- true
	// missing error: statx no such file or directory
}
