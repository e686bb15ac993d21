package memfs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/zcopy/zcopy/memfs"
)

// TestOpenHost: a file that is one untouched host range opens its host
// file read-only (the same bytes); one written to, truncated, empty, or
// whose host file changed size does not.
func TestOpenHost(t *testing.T) {
	dir := t.TempDir()
	data := bytes.Repeat([]byte("host bytes "), 1000)
	for name, b := range map[string][]byte{"a": data, "b": data, "c": data, "d": data, "e": data, "empty": nil} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fsys := memfs.New()
	defer fsys.Close()
	if err := fsys.Import(t.Context(), dir, "."); err != nil {
		t.Fatal(err)
	}
	open := func(name string) *memfs.File {
		t.Helper()
		f, err := fsys.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	f := open("a")
	hf, ok, err := f.OpenHost()
	if err != nil || !ok {
		t.Fatalf("untouched import: %v, %v", ok, err)
	}
	got, err := io.ReadAll(hf)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("host descriptor: %d bytes, %v", len(got), err)
	}
	if _, err := hf.Write([]byte("x")); err == nil {
		t.Error("the host descriptor is writable")
	}
	hf.Close()

	if _, err := open("b").WriteAt([]byte("x"), 10); err != nil {
		t.Fatal(err)
	}
	if err := open("c").Truncate(int64(len(data)) - 1); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "d"), append(data, 'x'), 0o644); err != nil {
		t.Fatal(err)
	}
	// A host path that now names another file: ESTALE, nothing opened.
	if err := os.WriteFile(filepath.Join(dir, "new-e"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	fe := open("e")
	if err := os.Rename(filepath.Join(dir, "new-e"), filepath.Join(dir, "e")); err != nil {
		t.Fatal(err)
	}
	if hf, ok, err := fe.OpenHost(); ok || !errors.Is(err, syscall.ESTALE) {
		hf.Close()
		t.Errorf("replaced host file: OpenHost = %v, %v, want false, ESTALE", ok, err)
	}
	for _, name := range []string{"b", "c", "d", "empty"} {
		if hf, ok, err := open(name).OpenHost(); ok || err != nil {
			hf.Close()
			t.Errorf("%s: OpenHost = %v, %v, want false, nil", name, ok, err)
		}
	}
}

// A file imported and not written since is one range of its host file:
// OpenHost opens that file read-only. After a write it is not.
func ExampleFile_OpenHost() {
	dir, err := os.MkdirTemp("", "memfs-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("host bytes\n"), 0o644); err != nil {
		panic(err)
	}
	fsys := memfs.New()
	defer fsys.Close()
	if err := fsys.Import(context.Background(), dir, "."); err != nil {
		panic(err)
	}
	f, err := fsys.OpenFile("f", os.O_RDWR, 0)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	hf, ok, err := f.OpenHost()
	if err != nil || !ok {
		panic(fmt.Sprint(ok, err))
	}
	b, _ := io.ReadAll(hf)
	hf.Close()
	fmt.Printf("%v %q\n", ok, b)

	f.WriteAt([]byte("H"), 0) // the first byte moves to memory
	_, ok, _ = f.OpenHost()
	fmt.Println(ok)
	// Output:
	// true "host bytes\n"
	// false
}
