//go:build amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64 || mips64 || mips64le

package fuse

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/memfs"
)

// TestXattrsGoWithTheInode: the server keeps the extended attributes of
// a file unlinked while open and drops them once the kernel forgets the
// inode (after the last close), but not those of a file with a link left.
func TestXattrsGoWithTheInode(t *testing.T) {
	if f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0); err != nil {
		t.Skipf("no FUSE: %v", err)
	} else {
		f.Close()
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount FUSE with mount(2)")
	}
	dir := t.TempDir()
	fsys := memfs.New(memfs.WithUmask(0))
	defer fsys.Close()
	srv, err := Mount(dir, fsys, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if srv.Unmount() != nil {
			unix.Unmount(dir, unix.MNT_DETACH)
		}
		srv.Wait()
	}()
	p := func(name string) string { return filepath.Join(dir, name) }
	for _, name := range []string{"gone", "kept"} {
		if err := os.WriteFile(p(name), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := unix.Setxattr(p(name), "user.k", []byte(name), 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Link(p("kept"), p("kept2")); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p("gone"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"gone", "kept"} {
		if err := os.Remove(p(name)); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 16)
	if n, err := unix.Fgetxattr(int(f.Fd()), "user.k", buf); err != nil || string(buf[:n]) != "gone" {
		t.Errorf("fgetxattr of the unlinked file: %q %v", buf[:max(n, 0)], err)
	}
	f.Close()
	stored := func() int {
		srv.xattrs.mu.Lock()
		defer srv.xattrs.mu.Unlock()
		return len(srv.xattrs.m)
	}
	for i := 0; i < 500 && stored() != 1; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := stored(); n != 1 {
		t.Errorf("attributes of %d inodes stored after the unlinked file's last close, want 1 (kept)", n)
	}
	if n, err := unix.Getxattr(p("kept2"), "user.k", buf); err != nil || string(buf[:n]) != "kept" {
		t.Errorf("getxattr through the link left: %q %v", buf[:max(n, 0)], err)
	}
}
