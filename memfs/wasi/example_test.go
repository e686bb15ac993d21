package wasi_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/zcopy/zcopy/copytree"
	"github.com/zcopy/zcopy/memfs"
	"github.com/zcopy/zcopy/memfs/wasi"
)

// Run a WASI module over a copy-on-write overlay of a host directory,
// list what it changed, and export the result with copytree; the host
// directory is never written.
func Example() {
	ctx := context.Background()
	host, _ := os.MkdirTemp("", "host-")
	defer os.RemoveAll(host)
	os.WriteFile(filepath.Join(host, "notes.txt"), []byte("first line\n"), 0o644)
	os.WriteFile(filepath.Join(host, "old.log"), []byte("stale\n"), 0o644)

	// The overlay: host files become host extents, no byte is read.
	mfs := memfs.New(memfs.WithMemoryLimit(64 << 20))
	defer mfs.Close()
	if err := mfs.Import(ctx, host, "."); err != nil {
		log.Fatal(err)
	}

	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	cfg := wazero.NewModuleConfig().
		WithStderr(os.Stderr).
		WithFSConfig(wasi.New(mfs).Mount(wazero.NewFSConfig(), "/"))
	if _, err := rt.InstantiateWithConfig(ctx, editGuest(), cfg); err != nil {
		log.Fatal(err)
	}

	for _, change := range changes(mfs, host) {
		fmt.Println(change)
	}
	out, _ := os.MkdirTemp("", "out-")
	defer os.RemoveAll(out)
	if _, err := copytree.CopyFS(ctx, filepath.Join(out, "result"), mfs, copytree.Options{}); err != nil {
		log.Fatal(err)
	}
	summary, _ := os.ReadFile(filepath.Join(out, "result", "report", "summary.txt"))
	fmt.Printf("exported summary.txt: %s", summary)
	notes, _ := os.ReadFile(filepath.Join(host, "notes.txt"))
	fmt.Printf("host notes.txt: %q\n", notes)
	// Output:
	// added report
	// added report/summary.txt
	// modified notes.txt
	// removed old.log
	// exported summary.txt: notes.txt had 11 bytes
	// host notes.txt: "first line\n"
}

// changes lists the differences between the memfs tree and the host
// directory it was imported from: added, modified and removed names.
func changes(mfs *memfs.FS, host string) []string {
	var out []string
	fs.WalkDir(mfs, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == "." {
			return err
		}
		hp := filepath.Join(host, filepath.FromSlash(p))
		if _, err := os.Lstat(hp); err != nil {
			out = append(out, "added "+p)
			return nil
		}
		if d.Type().IsRegular() {
			a, _ := mfs.ReadFile(p)
			b, _ := os.ReadFile(hp)
			if !bytes.Equal(a, b) {
				out = append(out, "modified "+p)
			}
		}
		return nil
	})
	filepath.WalkDir(host, func(hp string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(host, hp)
		if err != nil || rel == "." {
			return err
		}
		if _, err := mfs.Lstat(filepath.ToSlash(rel)); err != nil {
			out = append(out, "removed "+filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// editGuest builds testdata/edit, a Go program, as a WASI module. Any
// wasip1 module would do.
func editGuest() []byte {
	dir, _ := os.MkdirTemp("", "guest-")
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "edit.wasm")
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/edit")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		log.Fatalf("%v: %s", err, out)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		log.Fatal(err)
	}
	return b
}
