//go:build amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64 || mips64 || mips64le

package fuse_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/memfs"
	memfuse "github.com/zcopy/zcopy/memfs/fuse"
)

// TestMemoryCost: through the mount, a 4 KiB write into an imported file
// costs 4 KiB of memory, and copy_file_range of imported data costs none
// (the copy shares the host extents).
func TestMemoryCost(t *testing.T) {
	skipWithPassthrough(t)
	host := makeHostTree(t)
	guardHost(t, host)
	mnt, fsys := overlay(t, host, memfs.WithUmask(0))
	big := filepath.Join(mnt, "big.bin")
	want, err := os.ReadFile(filepath.Join(host, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}

	src, err := os.Open(big)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(filepath.Join(mnt, "copy"))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	var total int
	for i := 0; i < 100; i++ {
		n, err := unix.CopyFileRange(int(src.Fd()), nil, int(dst.Fd()), nil, 1<<30, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		total += n
	}
	got, err := os.ReadFile(filepath.Join(mnt, "copy"))
	if err != nil || total != len(want) || !bytes.Equal(got, want) {
		t.Fatalf("copy: %d bytes copied, %d read, equal %v, %v", total, len(got), bytes.Equal(got, want), err)
	}
	if u := fsys.Usage(); u.Heap != 0 {
		t.Errorf("after copy_file_range of %d imported bytes: heap %d, want 0", total, u.Heap)
	}

	f, err := os.OpenFile(big, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte{'w'}, 4096), 1<<20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if u := fsys.Usage(); u.Heap != 4096 {
		t.Errorf("after a 4 KiB write into an imported file: heap %d, want 4096", u.Heap)
	}
	copy(want[1<<20:], bytes.Repeat([]byte{'w'}, 4096))
	if got, _ := os.ReadFile(big); !bytes.Equal(got, want) {
		t.Error("big.bin after the write: wrong bytes")
	}
}

// TestPermissionsMatchTmpfs: with default_permissions the kernel checks
// access against the stored modes and owners, as on tmpfs: an ordinary
// user (nobody) reads what is readable, cannot write root's files, and
// owns what it creates.
func TestPermissionsMatchTmpfs(t *testing.T) {
	needFUSE(t)
	host := makeHostTree(t)
	guardHost(t, host)
	oracle := copyToTmpfs(t, host)
	fsys := memfs.New(memfs.WithUmask(0))
	if err := fsys.Import(t.Context(), host, "."); err != nil {
		t.Fatal(err)
	}
	mnt := mountFS(t, fsys, &memfuse.Options{AllowOther: true})
	for _, dir := range []string{oracle, mnt} {
		// Let nobody reach the trees, and write in one directory.
		for d := filepath.Dir(dir); d != "/" && d != "/tmp" && d != "/dev/shm"; d = filepath.Dir(d) {
			os.Chmod(d, 0o755)
		}
		os.Chmod(dir, 0o755)
		if err := os.Mkdir(filepath.Join(dir, "pub"), 0o777); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(dir, "pub"), 0o1777)
	}
	session := func(dir string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "sh", "-c", `
			cat hello.txt; echo "cat: $?"
			cat a/b/c/deep.txt > /dev/null; echo "cat 0600: $?"
			echo x >> hello.txt; echo "append: $?"
			mkdir newdir; echo "mkdir in root's 755: $?"
			rm a/zero; echo "rm in root's dir: $?"
			echo mine > pub/mine; echo "create in 1777: $?"
			stat -c '%u %g %a' pub/mine
			mkdir pub/d && stat -c '%u %g %a' pub/d
			chmod 600 pub/mine; echo "chmod own: $?"
			chmod 600 hello.txt; echo "chmod root's: $?"
			touch -d 2001-01-01 hello.txt; echo "utimes root's: $?"
			touch hello.txt; echo "touch root's: $?"
			ln -s x pub/l && stat -c '%u %g' pub/l`)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return strings.ReplaceAll(string(out), dir, "$DIR")
	}
	want, got := session(oracle), session(mnt)
	t.Logf("as nobody:\n%s", got)
	if got != want {
		t.Errorf("as nobody:\n%s", lineDiff(want, got))
	}
	if !strings.Contains(want, "65534 65534 644") {
		t.Errorf("the session did not run as nobody:\n%s", want)
	}
}
