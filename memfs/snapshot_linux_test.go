package memfs_test

import (
	"bytes"
	"errors"
	"os"
	"syscall"
	"testing"

	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/memfs"
)

func TestImportSnapshot(t *testing.T) {
	data := testutil.Data(1<<20, 41)
	host := hostFile(t, data)
	fsys := memfs.New(memfs.WithMemoryLimit(3 << 20))
	defer fsys.Close()
	if err := fsys.ImportSnapshot("snap", host); err != nil {
		t.Fatal(err)
	}
	// The host file changes and shrinks: the snapshot does not.
	os.WriteFile(host.Name(), []byte("gone"), 0o644)
	if got := readAll(t, fsys, "snap"); !bytes.Equal(got, data) {
		t.Fatal(testutil.FirstDiff(got, data))
	}
	if u := fsys.Usage(); u.Snapshots != 1<<20 || u.Heap != 1<<20 {
		t.Fatalf("usage %+v", u)
	}
	// Snapshots count against the limit.
	big := hostFile(t, make([]byte, 3<<20))
	err := fsys.ImportSnapshot("big", big)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("over the limit: %v", err)
	}
	if u := fsys.Usage(); u.Heap != 1<<20 {
		t.Fatalf("refused snapshot charged: %+v", u)
	}
	fsys.Close()
	if u := fsys.Usage(); u.Heap != 0 || u.Snapshots != 0 {
		t.Fatalf("Close did not refund: %+v", u)
	}
}
