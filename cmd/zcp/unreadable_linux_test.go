package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUnreadableSourceLikeGNU runs GNU cp 9.1 and zcp as uid 65534 on a
// source it cannot read or a destination it cannot create, and compares
// exit status, stdout, stderr and the destination. GNU decides about an
// existing destination before it opens the source: -n, -u and a "no" to
// -i keep it without an error; otherwise cp -v names the copy, then the
// open (or the create) fails.
func TestUnreadableSourceLikeGNU(t *testing.T) {
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
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	base, err := os.MkdirTemp("", "zcp-unreadable-") // where uid 65534 can reach
	must(err)
	defer os.RemoveAll(base)
	must(os.Chmod(base, 0o755))
	zcp := filepath.Join(base, "zcp")
	bin, err := os.ReadFile(buildZcp(t))
	must(err)
	must(os.WriteFile(zcp, bin, 0o755))
	work := filepath.Join(base, "work")
	// The sources are made once: GNU's order follows their inode numbers.
	for name, mode := range map[string]os.FileMode{"secret": 0, "plain": 0o644, "tree/a": 0o644, "tree/b": 0, "tree/sub/c": 0} {
		p := filepath.Join(work, name)
		must(os.MkdirAll(filepath.Dir(p), 0o755))
		must(os.WriteFile(p, []byte(name), mode))
		must(os.Chmod(p, mode))
	}
	setup := func() {
		for _, name := range []string{"old", "new", "copy", "ro"} {
			must(os.RemoveAll(filepath.Join(work, name)))
		}
		must(os.WriteFile(filepath.Join(work, "old"), []byte("old\n"), 0o644))
		// old is newer than secret: -u keeps it.
		future := time.Now().Add(time.Hour)
		must(os.Chtimes(filepath.Join(work, "old"), future, future))
		must(os.Mkdir(filepath.Join(work, "ro"), 0o555))
		must(filepath.Walk(work, func(p string, _ os.FileInfo, err error) error {
			must(err)
			return os.Lchown(p, 65534, 65534)
		}))
	}
	run := func(prog, stdin string, args []string) (code int, out, errOut, old, made string) {
		setup()
		code, out, errOut = runAsNobody(t, prog, work, stdin, args...)
		b, _ := os.ReadFile(filepath.Join(work, "old"))
		var names []string
		filepath.Walk(work, func(p string, _ os.FileInfo, _ error) error {
			names = append(names, strings.TrimPrefix(p, work))
			return nil
		})
		return code, out, errOut, string(b), strings.Join(names, " ")
	}
	for _, c := range []struct {
		stdin string
		args  []string
	}{
		{"", []string{"-n", "secret", "old"}},
		{"", []string{"-nv", "secret", "old"}},
		{"", []string{"-u", "secret", "old"}},
		{"n\n", []string{"-i", "secret", "old"}},
		{"y\n", []string{"-iv", "secret", "old"}},
		{"", []string{"-v", "secret", "old"}},
		{"", []string{"-v", "secret", "new"}},
		{"", []string{"-fv", "secret", "old"}},
		{"", []string{"-v", "plain", "ro/"}},
		{"", []string{"-rv", "tree", "copy"}},
		{"", []string{"-rv", "-j1", "tree", "copy"}},
	} {
		args := c.args
		gnuArgs := make([]string, 0, len(args))
		for _, a := range args {
			if a != "-j1" {
				gnuArgs = append(gnuArgs, a)
			}
		}
		wc, wo, we, wold, wmade := run(gnu, c.stdin, gnuArgs)
		zc, zo, ze, zold, zmade := run(zcp, c.stdin, args)
		if zc != wc || zo != wo || ze != we || zold != wold || zmade != wmade {
			t.Errorf("cp %v (stdin %q):\nGNU: exit %d\n%s%s old=%q tree=%s\nzcp: exit %d\n%s%s old=%q tree=%s",
				args, c.stdin, wc, wo, we, wold, wmade, zc, zo, ze, zold, zmade)
		}
	}
}
