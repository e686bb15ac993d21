package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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

// TestOrderWithErrorsAsNobody: with several jobs, zcp -v prints GNU cp
// 9.1's stdout and stderr line for line on trees several levels deep
// whose unreadable directories (copied as uid 65534) fail where the walk
// meets them, across several operands: one after the other (a missing
// operand among them) and copied at once (new destinations that cannot
// meet).
func TestOrderWithErrorsAsNobody(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the copies as uid 65534")
	}
	gnu, err := exec.LookPath("cp")
	if err != nil {
		t.Skip("GNU cp not installed")
	}
	base, err := os.MkdirTemp("/dev/shm", "zcp-order-nobody-")
	if err != nil {
		t.Skipf("no tmpfs at /dev/shm: %v", err)
	}
	defer os.RemoveAll(base)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Chmod(base, 0o755))
	// The command where uid 65534 can run it.
	zcp := filepath.Join(base, "zcp")
	bin, err := os.ReadFile(buildZcp(t))
	must(err)
	must(os.WriteFile(zcp, bin, 0o755))
	for _, op := range []string{"p", "q", "r"} {
		for _, d := range []string{"", "m", "m/n", "m/n/o", "b", "b/c"} {
			for i := range 40 {
				name := filepath.Join(base, op, d, fmt.Sprintf("f%d", (i*13)%40))
				must(os.MkdirAll(filepath.Dir(name), 0o755))
				must(os.WriteFile(name, []byte(name), 0o644))
			}
		}
	}
	// Directories uid 65534 cannot list (000, 0311), directories it can
	// list but not search (0644: each entry "cannot stat") and files it
	// cannot read (GNU prints the -v line, then "cannot open").
	for p, mode := range map[string]os.FileMode{"q/m/n": 0, "q/b/c": 0o311, "r/b/c": 0o311, "p/b": 0, "p/m/n/o": 0,
		"p/f3": 0, "q/m/f7": 0, "r/m/n/o/f11": 0, "r/f0": 0, "r/m/n/o": 0o644, "p/m": 0o444} {
		must(os.Chmod(filepath.Join(base, p), mode))
	}
	dst := filepath.Join(base, "dst")
	run := func(prog string, args ...string) (code int, stdout, stderr string) {
		must(os.RemoveAll(dst))
		must(os.Mkdir(dst, 0o755))
		must(os.Chown(dst, 65534, 65534))
		return runAsNobody(t, prog, base, "", args...)
	}
	for _, args := range [][]string{
		{"-rv", "p", "q", "missing", "r", "dst"},
		{"-rv", "p", "q", "r", "dst"},
		{"-rv", "r", "dst/r2"},
		{"-r", "p", "q", "missing", "r", "dst"}, // errors only
		{"-r", "q", "r", "p", "dst"},
	} {
		wantCode, wantOut, wantErr := run(gnu, args...)
		if strings.Count(wantOut, "\n") < 150 && args[0] == "-rv" || wantErr == "" {
			t.Fatalf("GNU cp %v printed %d lines and %d errors", args, strings.Count(wantOut, "\n"), strings.Count(wantErr, "\n"))
		}
		for _, jobs := range []string{"-j4", "-j2"} {
			code, out, errOut := run(zcp, append([]string{jobs}, args...)...)
			if code != wantCode {
				t.Errorf("zcp %s %v: exit %d, GNU %d", jobs, args, code, wantCode)
			}
			if out != wantOut {
				t.Errorf("zcp %s %v: stdout not in GNU's order:\n%s\nGNU:\n%s", jobs, args, out, wantOut)
			}
			if errOut != wantErr {
				t.Errorf("zcp %s %v: stderr\n%s\nGNU:\n%s", jobs, args, errOut, wantErr)
			}
		}
	}
}

// runAsNobody runs `cp ARGS` with prog (GNU cp or zcp named cp) as uid
// 65534 in dir, in the C locale, with stdin, and returns its exit status,
// stdout and stderr.
func runAsNobody(t *testing.T, prog, dir, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Args[0] = "cp" // GNU's program_name is argv[0]
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "ZCP_TEST_ARGV0=cp")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	cmd.Stdin = strings.NewReader(stdin)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", prog, err)
	}
	return code, so.String(), se.String()
}
