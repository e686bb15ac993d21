package copytree_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zcopy/zcopy/copytree"
)

func operandTree(t *testing.T, root string, names ...string) {
	t.Helper()
	for _, n := range names {
		for i := range 20 {
			p := filepath.Join(root, n, "f"+strconv.Itoa(i))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(p), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestCopyOperandsAtOnce: independent operands are copied at the same
// time: the first operand's first entry waits until the second
// operand's copy has begun, which one after the other never does.
func TestCopyOperandsAtOnce(t *testing.T) {
	dir := t.TempDir()
	operandTree(t, filepath.Join(dir, "src"), "a", "b")
	dst := filepath.Join(dir, "dst")
	if err := os.Mkdir(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	bStarted := make(chan struct{})
	var waited time.Duration
	restore := copytree.SetTestHookBeforeEntry(func(path string) {
		switch {
		case strings.Contains(path, "/src/b/"):
			once.Do(func() { close(bStarted) })
		case strings.HasSuffix(path, "/src/a/f0") || strings.HasSuffix(path, "/src/a/f19"):
			start := time.Now()
			select {
			case <-bStarted:
			case <-time.After(5 * time.Second):
			}
			waited = time.Since(start)
		}
	})
	defer restore()
	c := copytree.New(copytree.Options{Jobs: 2, Engine: copytree.EngineSync, ContinueOnError: true})
	c.RefuseJustCreated()
	errs := c.CopyOperands(context.Background(), []copytree.Operand{
		{Src: filepath.Join(dir, "src/a"), Dst: filepath.Join(dst, "a")},
		{Src: filepath.Join(dir, "src/b"), Dst: filepath.Join(dst, "b")},
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if waited >= 5*time.Second {
		t.Fatalf("operand b did not start while operand a was copied")
	}
	sameFiles(t, filepath.Join(dir, "src"), dst)
}

// TestCopyOperandsInOrderWhenTheyMeet: operands whose order counts are
// copied one after the other: a source that is an earlier operand's
// destination is copied as that operand left it.
func TestCopyOperandsInOrderWhenTheyMeet(t *testing.T) {
	dir := t.TempDir()
	operandTree(t, filepath.Join(dir, "x"), "sub")
	dst := filepath.Join(dir, "dst")
	if err := os.MkdirAll(filepath.Join(dst, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		os.RemoveAll(filepath.Join(dst, "again"))
		c := copytree.New(copytree.Options{Jobs: 4, ContinueOnError: true})
		c.RefuseJustCreated()
		errs := c.CopyOperands(context.Background(), []copytree.Operand{
			{Src: filepath.Join(dir, "x/sub"), Dst: filepath.Join(dst, "sub")},
			{Src: filepath.Join(dst, "sub"), Dst: filepath.Join(dst, "again")},
		})
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		sameFiles(t, filepath.Join(dir, "x/sub"), filepath.Join(dst, "again"))
	}
}

// sameFiles fails unless got has want's names and regular files' bytes.
func sameFiles(t *testing.T, want, got string) {
	t.Helper()
	n := 0
	err := filepath.Walk(want, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(want, p)
		gfi, err := os.Lstat(filepath.Join(got, rel))
		if err != nil {
			return err
		}
		if gfi.Mode().Type() != fi.Mode().Type() {
			t.Errorf("%s: %v, want %v", rel, gfi.Mode().Type(), fi.Mode().Type())
		}
		if fi.Mode().IsRegular() {
			a, _ := os.ReadFile(p)
			b, _ := os.ReadFile(filepath.Join(got, rel))
			if string(a) != string(b) {
				t.Errorf("%s: contents differ", rel)
			}
			n++
		}
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("comparing %s with %s: %v (%d files)", got, want, err, n)
	}
}
