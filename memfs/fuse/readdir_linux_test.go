//go:build amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64 || mips64 || mips64le

package fuse_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/memfs"
)

type dirent struct {
	name string
	off  int64
}

// getdents reads one small batch of entries of the open directory fd.
func getdents(t *testing.T, fd int) []dirent {
	t.Helper()
	buf := make([]byte, 512)
	n, err := unix.Getdents(fd, buf)
	if err != nil {
		t.Fatal(err)
	}
	var out []dirent
	for b := buf[:n]; len(b) > 0; {
		d := (*unix.Dirent)(unsafe.Pointer(&b[0]))
		name := unsafe.Slice((*byte)(unsafe.Pointer(&d.Name[0])), int(d.Reclen)-int(unsafe.Offsetof(d.Name)))
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		out = append(out, dirent{string(name), d.Off})
		b = b[d.Reclen:]
	}
	return out
}

// TestReaddirOffsetsStable: a directory read in small batches, changed
// between them, and seeked back to an offset it returned goes on from the
// same place: the listing is the one taken at opendir.
func TestReaddirOffsetsStable(t *testing.T) {
	mnt, _ := overlay(t, "", memfs.WithUmask(0))
	dir := filepath.Join(mnt, "d")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("file-%03d", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	var all []dirent
	for i := 0; i < 1000; i++ {
		batch := getdents(t, fd)
		if len(batch) == 0 {
			break
		}
		all = append(all, batch...)
		if i == 1 {
			// Change the directory while it is being read.
			for j := range 50 {
				os.Remove(filepath.Join(dir, fmt.Sprintf("file-%03d", 100+j)))
				os.WriteFile(filepath.Join(dir, fmt.Sprintf("new-%03d", j)), nil, 0o644)
			}
		}
	}
	if len(all) != 202 {
		t.Fatalf("read %d entries, want 202 (200 files, . and ..)", len(all))
	}
	seen := map[string]bool{}
	for _, d := range all {
		if seen[d.name] {
			t.Errorf("%s listed twice", d.name)
		}
		seen[d.name] = true
	}
	mid := all[120]
	if _, err := unix.Seek(fd, mid.off, 0); err != nil {
		t.Fatal(err)
	}
	var again []dirent
	for i := 0; i < 1000; i++ {
		batch := getdents(t, fd)
		if len(batch) == 0 {
			break
		}
		again = append(again, batch...)
	}
	if want := all[121:]; fmt.Sprint(again) != fmt.Sprint(want) {
		t.Errorf("after seeking to the offset of %s: %d entries, want the %d that followed it", mid.name, len(again), len(want))
	}
	// A new opendir sees the changes.
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 200 {
		t.Errorf("new listing: %d entries, %v", len(entries), err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new-049")); err != nil {
		t.Error(err)
	}
}

// TestXattrLimits: values above 64 KiB are refused (E2BIG), and one
// inode holds at most 1 MiB of names and values (ENOSPC).
func TestXattrLimits(t *testing.T) {
	mnt, _ := overlay(t, "", memfs.WithUmask(0))
	p := filepath.Join(mnt, "f")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setxattr(p, "user.big", make([]byte, 64<<10+1), 0); !errors.Is(err, syscall.E2BIG) {
		t.Errorf("65537-byte value: %v, want E2BIG", err)
	}
	var err error
	var i int
	for i = 0; i < 100 && err == nil; i++ {
		err = unix.Setxattr(p, fmt.Sprintf("user.v%02d", i), make([]byte, 60<<10), 0)
	}
	if !errors.Is(err, syscall.ENOSPC) || i != 18 {
		t.Errorf("value %d of 60 KiB: %v, want ENOSPC at the 18th (1 MiB per inode)", i, err)
	}
}
