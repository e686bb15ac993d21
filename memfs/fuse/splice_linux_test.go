//go:build amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64 || mips64 || mips64le

package fuse

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/zcopy/zcopy/memfs"
)

// TestReadAnswersHostRangesWithDescriptor: a read inside one untouched
// host extent is answered with a descriptor of the host file (which
// go-fuse splices); reads that meet heap bytes or holes get bytes. Both
// give the file's bytes.
func TestReadAnswersHostRangesWithDescriptor(t *testing.T) {
	host := filepath.Join(t.TempDir(), "host")
	data := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	if err := os.WriteFile(host, data, 0o644); err != nil {
		t.Fatal(err)
	}
	hf, err := os.Open(host)
	if err != nil {
		t.Fatal(err)
	}
	defer hf.Close()
	fsys := memfs.New()
	defer fsys.Close()
	if err := fsys.ImportFile("f", hf); err != nil {
		t.Fatal(err)
	}
	f, err := fsys.OpenFile("f", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte("HEAP"), 500<<10); err != nil {
		t.Fatal(err)
	}
	want := bytes.Clone(data)
	copy(want[500<<10:], "HEAP")
	h := &handle{f: f, splice: true}
	for _, c := range []struct {
		off, n int64
		fd     bool
	}{
		{0, 128 << 10, true},                 // inside the first host extent
		{100, 4096, true},                    // at an odd offset
		{500<<10 - 10, 4096, false},          // meets the heap bytes
		{500 << 10, 4096, false},             // starts in them
		{1<<20 - 1000, 128 << 10, true},      // host extent to the end of the file
		{600 << 10, 128 << 10, true},         // the host extent after the heap bytes
		{1 << 20, 4096, false},               // at the end: nothing to read
		{1<<20 + 5000, 4096, false},          // past it
		{500<<10 + 4, 1<<20 - 500<<10, true}, // from just after the heap to the end
	} {
		rr, errno := h.read(make([]byte, c.n), c.off)
		if errno != 0 {
			t.Fatalf("read %d@%d: %v", c.n, c.off, errno)
		}
		_, isFd := rr.(*hostRead)
		got, st := rr.Bytes(make([]byte, c.n))
		wantBytes := want[min(c.off, int64(len(want))):min(c.off+c.n, int64(len(want)))]
		if st != gofuse.OK || !bytes.Equal(got, wantBytes) {
			t.Errorf("read %d@%d: %d bytes (status %v), want %d", c.n, c.off, len(got), st, len(wantBytes))
		}
		if rr.Size() < len(wantBytes) {
			t.Errorf("read %d@%d: size %d", c.n, c.off, rr.Size())
		}
		if isFd != c.fd {
			t.Errorf("read %d@%d: answered with a descriptor %v, want %v", c.n, c.off, isFd, c.fd)
		}
		rr.Done()
	}
	h.splice = false
	if rr, _ := h.read(make([]byte, 4096), 0); func() bool { _, ok := rr.(*hostRead); return ok }() {
		t.Error("NoSplice: answered with a descriptor")
	}
}
