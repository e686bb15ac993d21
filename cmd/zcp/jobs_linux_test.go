package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestGOMAXPROCSAboveJobs: zcp runs with one P more than it has workers
// (see copyAll), unless GOMAXPROCS is set in the environment.
func TestGOMAXPROCSAboveJobs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"zcp", "-j5", src, filepath.Join(dir, "dst")}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if os.Getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) != 6 {
		t.Errorf("GOMAXPROCS %d after zcp -j5, want 6", runtime.GOMAXPROCS(0))
	}
}
