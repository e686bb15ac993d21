package floor

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/testutil"
)

func TestMain(m *testing.M) {
	// The procs mode runs this binary as `floor procs SRC DST`.
	if os.Getenv(partEnv) != "" {
		os.Exit(Main(os.Args[2:], os.Stderr))
	}
	os.Exit(testutil.RunWithLeakCheck(m, nil))
}

// TestCopy copies a small tree in every mode and compares it with the
// source, byte for byte and mode for mode.
func TestCopy(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	sizes := []int{0, 1, 4096, 200 << 10}
	for d := range 5 {
		dir := filepath.Join(src, fmt.Sprintf("d%d", d))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for f, n := range sizes {
			p := filepath.Join(dir, fmt.Sprintf("f%d", f))
			if err := os.WriteFile(p, testutil.Data(n, uint64(10*d+f)), 0o640); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, mode := range Modes {
		t.Run(mode, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "dst")
			if err := Copy(mode, src, dst); err != nil {
				t.Fatal(err)
			}
			for d := range 5 {
				for f := range sizes {
					rel := filepath.Join(fmt.Sprintf("d%d", d), fmt.Sprintf("f%d", f))
					want, _ := os.ReadFile(filepath.Join(src, rel))
					got, err := os.ReadFile(filepath.Join(dst, rel))
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("%s: %s", rel, testutil.FirstDiff(got, want))
					}
					if fi, _ := os.Stat(filepath.Join(dst, rel)); fi.Mode().Perm() != 0o640&^umask() {
						t.Errorf("%s: mode %v", rel, fi.Mode())
					}
				}
			}
		})
	}
}

// TestRefuses: anything but directories of regular files is an error, and
// so is an existing destination or an unknown mode.
func TestRefuses(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "d", "sub"), 0o755)
	if err := Copy("one", src, filepath.Join(dir, "a")); err == nil {
		t.Error("a subdirectory below the top level: no error")
	}
	os.WriteFile(filepath.Join(src, "top"), nil, 0o644)
	if err := Copy("one", src, filepath.Join(dir, "b")); err == nil {
		t.Error("a file at the top level: no error")
	}
	if err := Copy("one", dir, src); err == nil {
		t.Error("an existing destination: no error")
	}
	if err := Copy("two", src, filepath.Join(dir, "c")); err == nil {
		t.Error("unknown mode: no error")
	}
}

func umask() os.FileMode {
	m := unix.Umask(0)
	unix.Umask(m)
	return os.FileMode(m)
}
