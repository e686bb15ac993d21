package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOrderOnTmpfs: on tmpfs (readdir gives newest first) as on ext4
// (testdata/order.txt, hash order), zcp -v prints GNU cp 9.1's order
// exactly: depth first, each directory's entries by inode number.
func TestOrderOnTmpfs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	gnu, err := exec.LookPath("cp")
	if err != nil {
		t.Skip("GNU cp not installed")
	}
	base, err := os.MkdirTemp("/dev/shm", "zcp-order-")
	if err != nil {
		t.Skipf("no tmpfs at /dev/shm: %v", err)
	}
	defer os.RemoveAll(base)
	src := filepath.Join(base, "src")
	for _, d := range []string{"q", "b", "z/y", "z/a", "k"} {
		for i := range 300 {
			name := filepath.Join(src, d, fmt.Sprintf("f%d", (i*7)%300))
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name, []byte(name), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Symlink("nowhere", filepath.Join(src, "z", "dangling")); err != nil {
		t.Fatal(err)
	}
	zcp := buildZcp(t)
	run := func(prog string, args ...string) (string, string) {
		cmd := exec.Command(prog, args...)
		cmd.Dir = base
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		var so, se bytes.Buffer
		cmd.Stdout, cmd.Stderr = &so, &se
		cmd.Run()
		os.RemoveAll(filepath.Join(base, "dst"))
		return so.String(), strings.TrimPrefix(se.String(), prog)
	}
	for _, opts := range [][]string{{"-rv"}, {"-rLv"}, {"-av"}} {
		wantOut, wantErr := run(gnu, append(opts, "src", "dst")...)
		if strings.Count(wantOut, "\n") < 1500 {
			t.Fatalf("GNU cp %v printed %d lines", opts, strings.Count(wantOut, "\n"))
		}
		for _, jobs := range []string{"-j1", "-j4"} {
			out, errOut := run(zcp, append(append([]string{jobs}, opts...), "src", "dst")...)
			if out != wantOut {
				t.Errorf("zcp %s %v: stdout not in GNU's order:\n%.600s\nGNU:\n%.600s", jobs, opts, out, wantOut)
			}
			if errOut != wantErr {
				t.Errorf("zcp %s %v: stderr %q, GNU %q", jobs, opts, errOut, wantErr)
			}
		}
	}
}
