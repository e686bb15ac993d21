package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// TestGOMAXPROCSAboveJobs: zcp runs with one P more than it has workers
// (process.tune), unless GOMAXPROCS is set in the environment.
func TestGOMAXPROCSAboveJobs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(&process{}, []string{"zcp", "-j5", src, filepath.Join(dir, "dst")}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if os.Getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) != 6 {
		t.Errorf("GOMAXPROCS %d after zcp -j5, want 6", runtime.GOMAXPROCS(0))
	}
}

// TestJobsBounded: -j takes 1 to copytree.MaxJobs; beyond, zcp refuses
// it GNU-style instead of dying of thread exhaustion.
func TestJobsBounded(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		jobs   string
		code   int
		stderr string
	}{
		{"1024", 0, ""},
		{"1025", 1, "zcp: invalid number of jobs: '1025'\nTry 'zcp --help' for more information.\n"},
		{"100000", 1, "zcp: invalid number of jobs: '100000'\nTry 'zcp --help' for more information.\n"},
		{"0", 1, "zcp: invalid number of jobs: '0'\nTry 'zcp --help' for more information.\n"},
	} {
		var out, errb bytes.Buffer
		code := run(nil, []string{"zcp", "-j", tc.jobs, src, filepath.Join(dir, "dst"+tc.jobs)}, strings.NewReader(""), &out, &errb)
		if code != tc.code || errb.String() != tc.stderr {
			t.Errorf("-j %s: exit %d, stderr %q; want %d, %q", tc.jobs, code, errb.String(), tc.code, tc.stderr)
		}
	}
}

// TestRunLeavesTheProcessAlone: without the process main makes, run
// changes neither GOMAXPROCS nor the GC percent of its caller.
func TestRunLeavesTheProcessAlone(t *testing.T) {
	if os.Getenv("GOMAXPROCS") != "" || os.Getenv("GOGC") != "" {
		t.Skip("GOMAXPROCS or GOGC set: zcp would not tune them anyway")
	}
	procs := runtime.GOMAXPROCS(0)
	gc := debug.SetGCPercent(100)
	defer debug.SetGCPercent(gc)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(nil, []string{"zcp", "-j5", src, filepath.Join(dir, "dst")}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("GOMAXPROCS %d after run, was %d", got, procs)
	}
	if got := debug.SetGCPercent(gc); got != 100 {
		t.Errorf("GC percent %d after run, was 100", got)
	}
}
