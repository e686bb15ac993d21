package memfs_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/copytree"
	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/memfs"
	"golang.org/x/sys/unix"
)

// hostDirs are the host filesystems host-backed data is tested on: the
// tmpfs at /dev/shm and the ext4 root (/var/tmp).
func hostDirs(t *testing.T) map[string]string {
	dirs := map[string]string{"tmpfs": testutil.ShmDir(t)}
	var st unix.Statfs_t
	if err := unix.Statfs("/var/tmp", &st); err == nil && st.Type == unix.EXT4_SUPER_MAGIC {
		dirs["ext4"] = testutil.MkdirIn(t, "/var/tmp")
	} else {
		t.Log("/var/tmp is not ext4: testing tmpfs only")
	}
	return dirs
}

// importBoth imports the host file path into mem twice: as an open file
// (ImportFile) and through a tree import (Import of its directory).
func importBoth(t *testing.T, mem *memfs.FS, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := mem.ImportFile("file", f); err != nil {
		t.Fatal(err)
	}
	if err := mem.Import(t.Context(), filepath.Dir(path), "tree"); err != nil {
		t.Fatal(err)
	}
	return []string{"file", "tree/" + filepath.Base(path)}
}

func blocks(t *testing.T, path string) int64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Blocks
}

// TestSparseHostReadsKeepHoles pins issue 14 item 10: reading an imported
// sparse file every way memfs reads leaves the host file's allocation as
// reading it with read(2) does: holes stay holes.
func TestSparseHostReadsKeepHoles(t *testing.T) {
	for fsName, dir := range hostDirs(t) {
		t.Run(fsName, func(t *testing.T) {
			path := filepath.Join(dir, "sub", "sparse")
			os.Mkdir(filepath.Dir(path), 0o755)
			data := testutil.Data(4096, 7)
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteAt(data, 0)
			f.WriteAt(data, 2<<20)
			f.Truncate(3 << 20)
			f.Close()
			before := blocks(t, path)
			want, err := os.ReadFile(path) // Linux's read(2): the oracle
			if err != nil {
				t.Fatal(err)
			}
			if b := blocks(t, path); b != before {
				t.Fatalf("read(2) changed the blocks: %d -> %d", before, b)
			}
			mem := newFS(t)
			for _, name := range importBoth(t, mem, path) {
				got := readAll(t, mem, name)
				mf, _ := mem.Open(name)
				var buf bytes.Buffer
				io.Copy(&buf, mf.(io.Reader))
				mf.Close()
				mf, _ = mem.Open(name)
				p := make([]byte, 64<<10)
				for off := int64(0); off < int64(len(want)); off += int64(len(p)) {
					mf.(io.ReaderAt).ReadAt(p, off)
				}
				mf.Close()
				if !bytes.Equal(got, want) || !bytes.Equal(buf.Bytes(), want) {
					t.Fatalf("%s: bytes differ", name)
				}
				if b := blocks(t, path); b != before {
					t.Fatalf("%s: reading through memfs changed the host's blocks: %d -> %d", name, before, b)
				}
			}
		})
	}
}

// TestShrunkHostNeverReadsZeros pins issue 14 item 11: once the host file
// shrinks below an imported range, every way of reading the memfs file
// fails with EIO, and what it gave before the error is the host's bytes,
// never zeros in place of the lost ones.
func TestShrunkHostNeverReadsZeros(t *testing.T) {
	const size, shrunk = 256 << 10, 4096 + 100
	data := testutil.Data(size, 11)
	type reader struct {
		name string
		read func(t *testing.T, mem *memfs.FS, name, out string) ([]byte, error)
	}
	open := func(t *testing.T, mem *memfs.FS, name string) *memfs.File {
		f, err := mem.OpenFile(name, os.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	readers := []reader{
		{"ReadAt", func(t *testing.T, mem *memfs.FS, name, _ string) ([]byte, error) {
			p := make([]byte, size)
			n, err := open(t, mem, name).ReadAt(p, 0)
			return p[:n], err
		}},
		{"ReadAt across the end", func(t *testing.T, mem *memfs.FS, name, _ string) ([]byte, error) {
			p := make([]byte, 8192)
			n, err := open(t, mem, name).ReadAt(p, 0)
			return p[:n], err
		}},
		{"Read", func(t *testing.T, mem *memfs.FS, name, _ string) ([]byte, error) {
			f := open(t, mem, name)
			var got []byte
			p := make([]byte, 3000)
			for {
				n, err := f.Read(p)
				got = append(got, p[:n]...)
				if err != nil {
					return got, err
				}
			}
		}},
		{"ReadFile", func(t *testing.T, mem *memfs.FS, name, _ string) ([]byte, error) {
			return mem.ReadFile(name)
		}},
		{"io.Copy to a buffer", func(t *testing.T, mem *memfs.FS, name, _ string) ([]byte, error) {
			var buf bytes.Buffer
			_, err := io.Copy(&buf, open(t, mem, name))
			return buf.Bytes(), err
		}},
		{"io.Copy to a file", func(t *testing.T, mem *memfs.FS, name, out string) ([]byte, error) {
			f, err := os.Create(out)
			if err != nil {
				t.Fatal(err)
			}
			_, err = io.Copy(f, open(t, mem, name))
			f.Close()
			got, _ := os.ReadFile(out)
			return got, err
		}},
		{"io.Copy to a pipe", func(t *testing.T, mem *memfs.FS, name, _ string) ([]byte, error) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan []byte)
			go func() {
				b, _ := io.ReadAll(r)
				r.Close()
				done <- b
			}()
			_, err = io.Copy(w, open(t, mem, name))
			w.Close()
			return <-done, err
		}},
		{"CopySegments", func(t *testing.T, mem *memfs.FS, name, out string) ([]byte, error) {
			f, err := os.Create(out)
			if err != nil {
				t.Fatal(err)
			}
			_, err = zcopy.CopySegments(f, open(t, mem, name))
			f.Close()
			got, _ := os.ReadFile(out)
			return got, err
		}},
		{"Export", func(t *testing.T, mem *memfs.FS, name, out string) ([]byte, error) {
			mem.RemoveAll("x")
			mem.Mkdir("x", 0o755)
			mem.Link(name, "x/f")
			err := mem.Export(t.Context(), "x", out)
			got, _ := os.ReadFile(filepath.Join(out, "f"))
			return got, err
		}},
		{"copytree.CopyFS", func(t *testing.T, mem *memfs.FS, name, out string) ([]byte, error) {
			mem.RemoveAll("x")
			mem.Mkdir("x", 0o755)
			mem.Link(name, "x/f")
			sub, _ := mem.Sub("x")
			_, err := copytree.CopyFS(t.Context(), out, sub, copytree.Options{})
			got, _ := os.ReadFile(filepath.Join(out, "f"))
			return got, err
		}},
	}
	for fsName, dir := range hostDirs(t) {
		for _, warm := range []bool{false, true} {
			for _, rd := range readers {
				t.Run(fmt.Sprintf("%s/read before %v/%s", fsName, warm, rd.name), func(t *testing.T) {
					path := filepath.Join(testutil.MkdirIn(t, dir), "h")
					if err := os.WriteFile(path, data, 0o644); err != nil {
						t.Fatal(err)
					}
					mem := newFS(t)
					for _, name := range importBoth(t, mem, path) {
						if warm { // map it (or open it) before it shrinks
							readAll(t, mem, name)
						}
					}
					if err := os.Truncate(path, shrunk); err != nil {
						t.Fatal(err)
					}
					for i, name := range []string{"file", "tree/h"} {
						got, err := rd.read(t, mem, name, filepath.Join(dir, fmt.Sprintf("out-%s-%d", filepath.Base(filepath.Dir(path)), i)))
						if !errors.Is(err, syscall.EIO) {
							t.Errorf("%s: %d bytes, error %v; want EIO", name, len(got), err)
						}
						if len(got) > shrunk || !bytes.Equal(got, data[:len(got)]) {
							t.Errorf("%s: %d bytes, not a prefix of the host's %d: %s", name, len(got), shrunk, testutil.FirstDiff(got, data[:min(len(got), size)]))
						}
					}
				})
			}
		}
	}
}
