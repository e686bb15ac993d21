package memfs_test

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSeekDataHole compares SEEK_DATA and SEEK_HOLE with tmpfs, which
// tracks holes exactly at page granularity, on a page-aligned layout.
func TestSeekDataHole(t *testing.T) {
	dir, err := os.MkdirTemp("/dev/shm", "memfs-seek")
	if err != nil {
		t.Skip("no tmpfs at /dev/shm:", err)
	}
	defer os.RemoveAll(dir)
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	fsys := newFS(t)
	const pg = 4096
	data := make([]byte, pg)
	for i := range data {
		data[i] = 1
	}
	mf, _ := fsys.Create("f")
	defer mf.Close()
	of, _ := root.Create("f")
	defer of.Close()
	for _, w := range []interface {
		WriteAt([]byte, int64) (int, error)
		Truncate(int64) error
	}{mf, of} {
		w.WriteAt(data, 0)
		w.WriteAt(data, 3*pg)
		w.WriteAt(data, 4*pg)
		w.Truncate(8 * pg)
	}
	for _, whence := range []int{unix.SEEK_DATA, unix.SEEK_HOLE} {
		for _, off := range []int64{0, 100, pg, pg + 5, 3 * pg, 5*pg - 1, 5 * pg, 7 * pg, 8*pg - 1, 8 * pg, 9 * pg} {
			mp, merr := mf.Seek(off, whence)
			op, oerr := of.Seek(off, whence)
			if mp != op || errShape(merr) != errShape(oerr) || errOp(merr) != errOp(oerr) {
				t.Errorf("Seek(%d, %d): memfs %d, %v; tmpfs %d, %v", off, whence, mp, merr, op, oerr)
			}
		}
	}
}
