//go:build amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64 || mips64 || mips64le

package fuse_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/memfs"
)

// TestDifferencesFromTmpfs pins where the mount differs from tmpfs, as
// docs/zmount.md lists.
func TestDifferencesFromTmpfs(t *testing.T) {
	host := makeHostTree(t)
	guardHost(t, host)
	mnt, _ := overlay(t, host, memfs.WithUmask(0))
	p := func(name string) string { return filepath.Join(mnt, name) }

	if err := unix.Mkfifo(p("fifo"), 0o644); !errors.Is(err, syscall.EPERM) {
		t.Errorf("mkfifo: %v, want EPERM", err)
	}
	if err := unix.Mknod(p("sock"), unix.S_IFSOCK|0o644, 0); !errors.Is(err, syscall.EPERM) {
		t.Errorf("mknod socket: %v, want EPERM", err)
	}
	acl := []byte{2, 0, 0, 0, 1, 0, 6, 0, 255, 255, 255, 255, 4, 0, 4, 0, 255, 255, 255, 255, 32, 0, 4, 0, 255, 255, 255, 255}
	if err := unix.Setxattr(p("big.bin"), "system.posix_acl_access", acl, 0); !errors.Is(err, syscall.EOPNOTSUPP) {
		t.Errorf("set a POSIX ACL: %v, want EOPNOTSUPP", err)
	}
	s, err := os.Open(p("sparse"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if pos, err := unix.Seek(int(s.Fd()), 0, unix.SEEK_HOLE); err != nil || pos != 8<<20+3 {
		t.Errorf("SEEK_HOLE in an imported sparse file: %d %v, want its size (host holes are data)", pos, err)
	}
	var st unix.Stat_t
	if err := unix.Stat(p("big.bin"), &st); err != nil || st.Blocks != (st.Size+511)/512 {
		t.Errorf("st_blocks %d for size %d, want the size in 512-byte units (%v)", st.Blocks, st.Size, err)
	}
	if err := unix.Stat(p("a"), &st); err != nil || st.Size != 0 {
		t.Errorf("directory size %d, want 0 (%v)", st.Size, err)
	}
	var fsst unix.Statfs_t
	var si unix.Sysinfo_t
	if err := unix.Statfs(mnt, &fsst); err != nil || unix.Sysinfo(&si) != nil {
		t.Fatal(err)
	}
	if got, want := int64(fsst.Blocks)*fsst.Bsize, int64(si.Totalram)*int64(si.Unit)/4096*4096; got != want {
		t.Errorf("statfs size without a limit: %d, want the machine's RAM %d", got, want)
	}
}
