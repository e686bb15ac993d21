package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/testutil"
)

// TestXattrFailuresLikeGNU pins GNU cp 9's handling of extended attributes
// a destination cannot take (here ramfs, which has no user.* xattrs): with
// --preserve=xattr named explicitly each file and directory gets one
// "setting attributes for" message and the exit status is 1; with -a,
// --preserve=all or a later --no-preserve=xattr the copy is silent and
// succeeds. GNU cp runs the same command lines as the oracle.
func TestXattrFailuresLikeGNU(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting ramfs needs root")
	}
	if _, err := exec.LookPath("cp"); err != nil {
		t.Skip("GNU cp not installed")
	}
	rf := filepath.Join(t.TempDir(), "rf")
	if err := os.Mkdir(rf, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("none", rf, "ramfs", 0, ""); err != nil {
		t.Skipf("mount ramfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(rf, unix.MNT_DETACH) })

	src := testutil.ShmDir(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f, g, d := filepath.Join(src, "f"), filepath.Join(src, "g"), filepath.Join(src, "d")
	must(os.WriteFile(f, []byte("f"), 0o644))
	must(os.WriteFile(g, []byte("g"), 0o644))
	must(os.MkdirAll(filepath.Join(d, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(d, "sub", "f"), []byte("x"), 0o644))
	must(os.Symlink("f", filepath.Join(d, "link")))
	for _, x := range []struct{ path, name string }{{f, "user.a"}, {f, "user.b"}, {filepath.Join(d, "sub"), "user.d"}, {filepath.Join(d, "sub", "f"), "user.a"}} {
		if err := unix.Setxattr(x.path, x.name, []byte("v"), 0); err != nil {
			t.Skipf("no user xattrs on %s: %v", src, err)
		}
	}
	for _, tc := range []struct {
		args []string
		src  string
	}{
		{[]string{"-a"}, f},
		{[]string{"--preserve=xattr"}, f},
		{[]string{"-p"}, f},
		{[]string{"--preserve=all"}, f},
		{[]string{"-a", "--preserve=xattr"}, f},
		{[]string{"--preserve=mode,xattr"}, f},
		{[]string{"--preserve=xattr", "--no-preserve=xattr"}, f},
		{[]string{"--preserve=xattr"}, g},
		{[]string{"-R", "--preserve=xattr"}, d},
		{[]string{"-a"}, d},
	} {
		args := append(append([]string{}, tc.args...), tc.src, filepath.Join(rf, "out"))
		clear := func() {
			ents, _ := os.ReadDir(rf)
			for _, e := range ents {
				must(os.RemoveAll(filepath.Join(rf, e.Name())))
			}
		}
		clear()
		cmd := exec.Command("cp", args...)
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		var gnuErr bytes.Buffer
		cmd.Stderr = &gnuErr
		gnuCode := 0
		if err := cmd.Run(); err != nil {
			ee, ok := err.(*exec.ExitError)
			if !ok {
				t.Fatal(err)
			}
			gnuCode = ee.ExitCode()
		}
		clear()
		var out, errb bytes.Buffer
		code := run(nil, append([]string{"cp"}, args...), strings.NewReader(""), &out, &errb)
		if code != gnuCode || sortLines(errb.String()) != sortLines(gnuErr.String()) {
			t.Errorf("cp %s:\nzcp exit %d, stderr:\n%sGNU cp exit %d, stderr:\n%s", strings.Join(args, " "), code, errb.String(), gnuCode, gnuErr.String())
		}
	}
}
