//go:build amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64 || mips64 || mips64le

package fuse_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/memfs"
	memfuse "github.com/zcopy/zcopy/memfs/fuse"
)

// passthroughHost writes host files of the sizes around FUSE's page and
// request boundaries, and sparse ones.
func passthroughHost(t *testing.T) (dir string, names []string) {
	t.Helper()
	dir = t.TempDir()
	write := func(name string, size int64, at ...int64) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if len(at) == 0 {
			b := make([]byte, size)
			for i := range b {
				b[i] = byte(i*13 + i>>8 + 1)
			}
			if _, err := f.Write(b); err != nil {
				t.Fatal(err)
			}
		} else {
			for _, off := range at {
				if _, err := f.WriteAt([]byte("data"), off); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.Truncate(size); err != nil {
				t.Fatal(err)
			}
		}
		names = append(names, name)
	}
	for _, n := range []int64{0, 1, 4095, 4096, 4097, 128<<10 - 1, 128 << 10, 128<<10 + 1, 3<<20 + 5} {
		write("size-"+strconv.FormatInt(n, 10), n)
	}
	write("sparse-middle", 2<<20, 1<<20)       // hole, data, hole
	write("sparse-ends", 1<<20+4, 0, 1<<20)    // data, hole, data
	write("sparse-all", 256<<10, []int64{}...) // only a hole
	return dir, names
}

// mountImport imports host into a new memfs and mounts it with opts.
func mountImport(t *testing.T, host string, opts *memfuse.Options) (string, *memfuse.Server) {
	t.Helper()
	fsys := memfs.New(memfs.WithUmask(0))
	if err := fsys.Import(context.Background(), host, "."); err != nil {
		t.Fatal(err)
	}
	return mountServer(t, fsys, opts)
}

// TestPassthroughReads: with Passthrough, reads of untouched imported
// files never reach the server (the kernel reads the host file) and give
// the host file's bytes; without it, they reach the server.
func TestPassthroughReads(t *testing.T) {
	needFUSE(t)
	host, names := passthroughHost(t)
	guardHost(t, host)
	for _, pass := range []bool{false, true} {
		mnt, srv := mountImport(t, host, &memfuse.Options{Passthrough: pass})
		for _, name := range names {
			want, err := os.ReadFile(filepath.Join(host, name))
			if err != nil {
				t.Fatal(err)
			}
			before := memfuse.ReadRequests(srv)
			got, err := os.ReadFile(filepath.Join(mnt, name))
			if err != nil {
				t.Fatalf("passthrough %v: %v", pass, err)
			}
			reads := memfuse.ReadRequests(srv) - before
			if !bytes.Equal(got, want) {
				t.Errorf("passthrough %v: %s: read %d bytes, not the host file's %d", pass, name, len(got), len(want))
			}
			if len(want) == 0 {
				continue // the kernel knows the size: no read either way
			}
			if pass && reads != 0 {
				t.Errorf("passthrough: %s: %d read requests reached the server, want 0", name, reads)
			}
			if !pass && reads == 0 {
				t.Errorf("no passthrough: %s: no read request reached the server", name)
			}
		}
	}
}

// TestPassthroughRefusesChanges: while a passthrough open of a file
// exists, what would change its bytes or size fails with ETXTBSY; after
// the readers close it works, the bytes move to memory, and later opens
// read them from the server. The host file never changes.
func TestPassthroughRefusesChanges(t *testing.T) {
	needFUSE(t)
	host, _ := passthroughHost(t)
	guardHost(t, host)
	mnt, srv := mountImport(t, host, &memfuse.Options{Passthrough: true})
	name := filepath.Join(mnt, "size-4097")
	want, err := os.ReadFile(filepath.Join(host, "size-4097"))
	if err != nil {
		t.Fatal(err)
	}
	// readAll reads f from the start and reports how many read
	// requests the server saw meanwhile.
	readAll := func(f *os.File) ([]byte, int64) {
		t.Helper()
		before := memfuse.ReadRequests(srv)
		b, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<30))
		if err != nil {
			t.Fatal(err)
		}
		return b, memfuse.ReadRequests(srv) - before
	}
	r1, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	if b, reads := readAll(r1); !bytes.Equal(b, want) || reads != 0 {
		t.Fatalf("passthrough open: %d bytes (equal %v), %d server reads", len(b), bytes.Equal(b, want), reads)
	}
	r2, err := os.Open(name) // a second reader: passthrough too
	if err != nil {
		t.Fatal(err)
	}
	if b, reads := readAll(r2); !bytes.Equal(b, want) || reads != 0 {
		t.Fatalf("second passthrough open: %d bytes, %d server reads", len(b), reads)
	}
	for _, c := range []struct {
		what string
		do   func() error
	}{
		{"O_WRONLY", func() error { return openClose(name, os.O_WRONLY) }},
		{"O_RDWR", func() error { return openClose(name, os.O_RDWR) }},
		{"O_RDONLY|O_TRUNC", func() error { return openClose(name, os.O_RDONLY|os.O_TRUNC) }},
		{"O_WRONLY|O_CREATE", func() error { return openClose(name, os.O_WRONLY|os.O_CREATE) }},
		{"truncate(path)", func() error { return os.Truncate(name, 1) }},
	} {
		if err := c.do(); !errors.Is(err, syscall.ETXTBSY) {
			t.Errorf("%s during a passthrough open: %v, want ETXTBSY", c.what, err)
		}
	}
	if b, _ := readAll(r1); !bytes.Equal(b, want) {
		t.Errorf("after the refused changes: the reader sees %d bytes, not the file's", len(b))
	}
	r1.Close()
	r2.Close()

	// The readers are closed (their release reaches the server a little
	// later): writing works now.
	w, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("open for writing after the readers closed: %v", err)
	}
	if _, err := w.WriteAt([]byte("NEW"), 0); err != nil {
		t.Fatal(err)
	}
	// A reader while a writer is open: a cached open, served by the
	// server, seeing the write.
	r3, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	newWant := append([]byte("NEW"), want[3:]...)
	if b, _ := readAll(r3); !bytes.Equal(b, newWant) {
		t.Errorf("reader beside a writer: %q..., want %q...", b[:8], newWant[:8])
	}
	r3.Close()
	w.Close()
	// The bytes are in memory now: a new read-only open is not
	// passthrough (it would read the host file) and reads the write.
	r4, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	drop := func(f *os.File) { // evict the page cache: reads reach the server
		t.Helper()
		if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
			t.Log(err)
		}
	}
	drop(r4)
	b, reads := readAll(r4)
	if !bytes.Equal(b, newWant) {
		t.Errorf("open after the write: %q..., want %q...", b[:8], newWant[:8])
	}
	if reads == 0 {
		t.Error("open after the write: no read reached the server (passthrough to the stale host file?)")
	}
	r4.Close()
	if err := os.Truncate(name, 1); err != nil {
		t.Errorf("truncate after the readers closed: %v", err)
	}
	if b, err := os.ReadFile(name); err != nil || string(b) != "N" {
		t.Errorf("after truncate: %q, %v", b, err)
	}
	// truncate(path) during a passthrough open of another file, then
	// after it closed.
	other := filepath.Join(mnt, "size-4096")
	r5, err := os.Open(other)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(other, 0); !errors.Is(err, syscall.ETXTBSY) {
		t.Errorf("truncate(path) during a passthrough open: %v, want ETXTBSY", err)
	}
	r5.Close()
	if err := os.Truncate(other, 0); err != nil {
		t.Errorf("truncate(path) after close: %v", err)
	}
}

// TestPassthroughChangesAfterClose: each change refused during a
// passthrough open works right after the reader closes (its release
// reaches the server after close returns: the server waits for it).
func TestPassthroughChangesAfterClose(t *testing.T) {
	needFUSE(t)
	host, _ := passthroughHost(t)
	guardHost(t, host)
	mnt, srv := mountImport(t, host, &memfuse.Options{Passthrough: true})
	for _, c := range []struct {
		file string
		what string
		do   func(name string) error
	}{
		{"size-1", "O_WRONLY", func(name string) error { return openClose(name, os.O_WRONLY) }},
		{"size-4095", "O_RDWR", func(name string) error { return openClose(name, os.O_RDWR) }},
		{"size-131072", "O_RDONLY|O_TRUNC", func(name string) error { return openClose(name, os.O_RDONLY|os.O_TRUNC) }},
		{"sparse-middle", "truncate(path)", func(name string) error { return os.Truncate(name, 5) }},
	} {
		name := filepath.Join(mnt, c.file)
		r, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		before := memfuse.ReadRequests(srv)
		if _, err := io.ReadAll(r); err != nil {
			t.Fatal(err)
		}
		if reads := memfuse.ReadRequests(srv) - before; reads != 0 {
			t.Errorf("%s: %d server reads: not passthrough", c.file, reads)
		}
		r.Close()
		if err := c.do(name); err != nil {
			t.Errorf("%s of %s right after the passthrough reader closed: %v", c.what, c.file, err)
		}
	}
}

func openClose(name string, flag int) error {
	f, err := os.OpenFile(name, flag, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// TestPassthroughStackedHost: the kernel refuses backing files on a
// stacked filesystem (a host tree on overlayfs: ELOOP); such files are
// read through the server (and can be written while read), and files of
// other host filesystems still pass through.
func TestPassthroughStackedHost(t *testing.T) {
	needFUSE(t)
	host, _ := passthroughHost(t)
	guardHost(t, host)
	top := t.TempDir()
	if err := unix.Mount("tmpfs", top, "tmpfs", 0, "size=16m"); err != nil {
		t.Skipf("tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(top, unix.MNT_DETACH) })
	upper, work, ovl := filepath.Join(top, "upper"), filepath.Join(top, "work"), t.TempDir()
	os.Mkdir(upper, 0o755)
	os.Mkdir(work, 0o755)
	if err := unix.Mount("overlay", ovl, "overlay", 0, "lowerdir="+host+",upperdir="+upper+",workdir="+work); err != nil {
		t.Skipf("overlayfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(ovl, unix.MNT_DETACH) })

	fsys := memfs.New(memfs.WithUmask(0))
	if err := fsys.Import(context.Background(), ovl, "stacked"); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Import(context.Background(), host, "plain"); err != nil {
		t.Fatal(err)
	}
	mnt, srv := mountServer(t, fsys, &memfuse.Options{Passthrough: true})
	want, err := os.ReadFile(filepath.Join(host, "size-4097"))
	if err != nil {
		t.Fatal(err)
	}
	read := func(dir string) (*os.File, int64) {
		t.Helper()
		f, err := os.Open(filepath.Join(mnt, dir, "size-4097"))
		if err != nil {
			t.Fatal(err)
		}
		before := memfuse.ReadRequests(srv)
		got, err := io.ReadAll(f)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %d bytes, %v; want the host file's %d", dir, len(got), err, len(want))
		}
		return f, memfuse.ReadRequests(srv) - before
	}
	f, reads := read("stacked")
	if reads == 0 {
		t.Error("a file on overlayfs: no read reached the server (passthrough?)")
	}
	if err := openClose(filepath.Join(mnt, "stacked", "size-4097"), os.O_WRONLY); err != nil {
		t.Errorf("writing a file read through the server: %v", err)
	}
	f.Close()
	g, reads := read("plain")
	if reads != 0 {
		t.Errorf("a file on the root filesystem after one on overlayfs: %d server reads, want passthrough", reads)
	}
	g.Close()
}
