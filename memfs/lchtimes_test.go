package memfs

import (
	"testing"
	"time"
)

// TestLchtimes: the times of the symlink change, not its target's.
func TestLchtimes(t *testing.T) {
	fsys := New()
	if err := fsys.WriteFile("f", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Symlink("f", "l"); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Symlink("/abs", "abs"); err != nil {
		t.Fatal(err)
	}
	before, err := fsys.Lstat("f")
	if err != nil {
		t.Fatal(err)
	}
	when := time.Unix(1_000_000_000, 5)
	for _, name := range []string{"l", "abs"} {
		if err := fsys.Lchtimes(name, when, when); err != nil {
			t.Fatal(err)
		}
		fi, err := fsys.Lstat(name)
		if err != nil {
			t.Fatal(err)
		}
		if !fi.ModTime().Equal(when) || !fi.Sys().(*Stat).Atime.Equal(when) {
			t.Errorf("%s: mtime %v atime %v, want %v", name, fi.ModTime(), fi.Sys().(*Stat).Atime, when)
		}
	}
	after, err := fsys.Lstat("f")
	if err != nil {
		t.Fatal(err)
	}
	if !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("target's mtime changed: %v -> %v", before.ModTime(), after.ModTime())
	}
	if err := fsys.Lchtimes("missing", when, when); err == nil {
		t.Error("Lchtimes of a missing name: no error")
	}
}
