package zcopy_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/internal/testutil"
)

// TestRawConnCacheKeepsContract pins that the RawConns zcopy keeps from
// one copy to the next behave like new ones: a copy into a conn or file
// closed since the last copy into it fails as io.Copy's does, and a new
// object at the same place gets its own descriptor.
func TestRawConnCacheKeepsContract(t *testing.T) {
	data := testutil.Data(1<<10, 71)
	dir := t.TempDir()
	t.Run("closed-conn", func(t *testing.T) {
		oracle(t, func(t *testing.T) (io.Writer, io.Reader, func() (digest, int64)) {
			a, b := unixPair(t)
			go io.Copy(io.Discard, b)
			if _, err := zcopy.Copy(a, newSrcFile(t, dir, data, 0)); err != nil {
				t.Fatal(err)
			}
			a.Close()
			src := newSrcFile(t, dir, data, 0)
			return a, src, func() (digest, int64) { return digestOf(nil), fileOffset(src) }
		})
	})
	t.Run("closed-file", func(t *testing.T) {
		oracle(t, func(t *testing.T) (io.Writer, io.Reader, func() (digest, int64)) {
			dst := emptyFile(t, dir)
			src := newSrcFile(t, dir, data, 0)
			if _, err := zcopy.Copy(dst, src); err != nil {
				t.Fatal(err)
			}
			src.Close()
			return dst, src, func() (digest, int64) { return digestOf(nil), -1 }
		})
	})
	t.Run("new-object-same-name", func(t *testing.T) {
		// The copy goes to the file now open, not the one cached.
		name := filepath.Join(dir, "again")
		for i := range 3 {
			dst, err := os.Create(name)
			if err != nil {
				t.Fatal(err)
			}
			want := testutil.Data(100+i, uint64(72+i))
			if _, err := zcopy.Copy(dst, newSrcFile(t, dir, want, 0)); err != nil {
				t.Fatal(err)
			}
			dst.Close()
			if got, _ := os.ReadFile(name); string(got) != string(want) {
				t.Fatalf("copy %d: file holds %d bytes, want %d", i, len(got), len(want))
			}
		}
	})
}
