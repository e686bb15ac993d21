//go:build amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64 || mips64 || mips64le

package fuse_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hanwen/go-fuse/v2/splice"
	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/memfs"
	memfuse "github.com/zcopy/zcopy/memfs/fuse"
)

// releaseSplicePipes closes the pipes go-fuse keeps for splicing, which
// the descriptor leak check would count.
func releaseSplicePipes() { splice.ClearSplicePool() }

// openSpliceDevNull makes go-fuse open the /dev/null it keeps for the
// life of the process (to empty pipes into), before the leak check's
// first count.
func openSpliceDevNull() {
	p, err := splice.Get()
	if err != nil {
		return
	}
	p.Write([]byte("x"))
	splice.Done(p)
	splice.ClearSplicePool()
}

// Mounts are watched: if the test binary still runs after
// watchdogTimeout, their FUSE connections are aborted, so that a request
// the server never answers fails with ENOTCONN instead of hanging the
// test (and its process, whose exit would wait for its own mount).
const watchdogTimeout = 5 * time.Minute

var watched struct {
	sync.Mutex
	conns []uint32
	once  sync.Once
}

// watchMount registers the FUSE connection of the mount at dir.
func watchMount(dir string) {
	var st unix.Stat_t
	if unix.Stat(dir, &st) != nil {
		return
	}
	watched.Lock()
	watched.conns = append(watched.conns, unix.Minor(st.Dev))
	watched.Unlock()
	watched.once.Do(func() {
		time.AfterFunc(watchdogTimeout, func() {
			watched.Lock()
			defer watched.Unlock()
			for _, c := range watched.conns {
				os.WriteFile(fmt.Sprintf("/sys/fs/fuse/connections/%d/abort", c), []byte("1"), 0)
			}
			fmt.Fprintf(os.Stderr, "memfs/fuse tests: still running after %v: aborted the FUSE connections %v\n", watchdogTimeout, watched.conns)
		})
	})
}

// needFUSE skips t without a way to mount: root (mount(2)) or
// fusermount3, and /dev/fuse.
func needFUSE(t testing.TB) {
	t.Helper()
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no FUSE: %v", err)
	}
	f.Close()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount FUSE with mount(2)")
	}
}

// mountFS mounts fsys on a new directory, unmounted (lazily if busy) when
// t ends, and returns the directory.
func mountFS(t testing.TB, fsys *memfs.FS, opts *memfuse.Options) string {
	t.Helper()
	dir, _ := mountServer(t, fsys, opts)
	return dir
}

// passthroughEnv, set to 1, mounts with Options.Passthrough where a test
// passes no options: `MEMFS_FUSE_PASSTHROUGH=1 go test -run Programs`
// runs the real programs on a passthrough mount.
const passthroughEnv = "MEMFS_FUSE_PASSTHROUGH"

// skipWithPassthrough skips a test that writes files other handles are
// reading when passthroughEnv is set: that is ETXTBSY with passthrough,
// by design (docs/zmount.md), where tmpfs lets it happen.
func skipWithPassthrough(t testing.TB) {
	t.Helper()
	if os.Getenv(passthroughEnv) == "1" {
		t.Skip("writes files that other handles read: ETXTBSY with passthrough (by design)")
	}
}

// mountServer is mountFS returning the server too.
func mountServer(t testing.TB, fsys *memfs.FS, opts *memfuse.Options) (string, *memfuse.Server) {
	t.Helper()
	needFUSE(t)
	if opts == nil && os.Getenv(passthroughEnv) == "1" {
		opts = &memfuse.Options{Passthrough: true}
	}
	dir := t.TempDir()
	srv, err := memfuse.Mount(dir, fsys, opts)
	if err != nil {
		t.Fatal(err)
	}
	watchMount(dir)
	t.Cleanup(func() {
		if err := srv.Unmount(); err != nil {
			// Busy (the kernel releases closed files
			// asynchronously) or gone: detach.
			unix.Unmount(dir, unix.MNT_DETACH)
		}
		done := make(chan struct{})
		go func() { srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("server of %s did not stop", dir)
		}
		fsys.Close()
	})
	return dir, srv
}

// overlay imports host into a new memfs (umask 0: the kernel applies the
// caller's) and mounts it.
func overlay(t testing.TB, host string, opts ...memfs.Option) (string, *memfs.FS) {
	t.Helper()
	fsys := memfs.New(opts...)
	if host != "" {
		if err := fsys.Import(context.Background(), host, "tree"); err != nil {
			t.Fatal(err)
		}
		sub, err := fsys.SubTree("tree")
		if err != nil {
			t.Fatal(err)
		}
		fsys = sub
	}
	return mountFS(t, fsys, nil), fsys
}

// treeSum describes a tree: every entry's path, type, permissions and
// content (or symlink target) hashed, one line each, sorted; with
// withTimes, also the mtimes of files (not directories).
func treeSum(t testing.TB, dir string, withTimes bool) string {
	return treeSumBefore(t, dir, withTimes, time.Time{})
}

// treeSumBefore is treeSum listing only the mtimes before since (all
// when since is zero): the times a program preserved or left alone, not
// the ones of its own writes, which differ between two runs.
func treeSumBefore(t testing.TB, dir string, withTimes bool, since time.Time) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		line := fmt.Sprintf("%s %v %d:%d", rel, fi.Mode(), st.Uid, st.Gid)
		switch {
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h := sha256.Sum256(b)
			line += fmt.Sprintf(" %d %s nlink=%d", len(b), hex.EncodeToString(h[:8]), st.Nlink)
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			line += " -> " + target
		}
		if withTimes && !fi.IsDir() && (since.IsZero() || fi.ModTime().Before(since)) {
			line += " " + fi.ModTime().UTC().Format(time.RFC3339Nano)
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// guardHost checks at the end of t that the host tree did not change.
func guardHost(t testing.TB, host string) {
	t.Helper()
	before := treeSum(t, host, true)
	t.Cleanup(func() {
		if after := treeSum(t, host, true); after != before {
			t.Errorf("host tree %s changed:\n%s", host, lineDiff(before, after))
		}
	})
}

// lineDiff lists the lines only in a (-) or only in b (+).
func lineDiff(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !mb[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !ma[l] {
			out = append(out, "+ "+l)
		}
	}
	if len(out) > 40 {
		out = append(out[:40], fmt.Sprintf("... %d more", len(out)-40))
	}
	return strings.Join(out, "\n")
}

// makeHostTree writes a small host tree: files, an empty file, a sparse
// file, a symlink, a hard link, nested directories and odd modes.
func makeHostTree(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "a/b/c"), 0o755))
	must(os.Mkdir(filepath.Join(dir, "empty"), 0o700))
	must(os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello, world\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "a/b/c/deep.txt"), []byte(strings.Repeat("deep ", 1000)), 0o600))
	must(os.WriteFile(filepath.Join(dir, "a/zero"), nil, 0o640))
	must(os.WriteFile(filepath.Join(dir, "a/exec.sh"), []byte("#!/bin/sh\necho hi\n"), 0o755))
	big := make([]byte, 3<<20+123)
	for i := range big {
		big[i] = byte(i*7 + i>>9)
	}
	must(os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o644))
	f, err := os.Create(filepath.Join(dir, "sparse"))
	must(err)
	_, err = f.WriteAt([]byte("end"), 8<<20)
	must(err)
	must(f.Close())
	must(os.Symlink("hello.txt", filepath.Join(dir, "link")))
	must(os.Symlink("../../hello.txt", filepath.Join(dir, "a/b/up")))
	must(os.Symlink("/nonexistent/abs", filepath.Join(dir, "abs")))
	must(os.Link(filepath.Join(dir, "hello.txt"), filepath.Join(dir, "a/hard")))
	// Old times on every entry, so that the times a program preserves
	// are told from the ones it writes (treeSumBefore).
	old := time.Date(2001, 2, 3, 4, 5, 6, 7, time.UTC)
	ts := []unix.Timespec{unix.NsecToTimespec(old.UnixNano()), unix.NsecToTimespec(old.UnixNano() + 1000)}
	must(filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW)
	}))
	return dir
}

// copyToTmpfs copies host to a new directory on tmpfs with cp -a: the
// oracle's copy of the tree.
func copyToTmpfs(t testing.TB, host string) string {
	t.Helper()
	dst := filepath.Join(shmDir(t), "tree")
	run(t, "", "cp", "-a", host, dst)
	return dst
}
