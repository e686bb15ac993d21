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
	"time"

	"golang.org/x/sys/unix"
)

// The cases here need what a testscript scenario cannot give: a reader on
// a FIFO, a pipe as standard output, or another user. Each runs GNU cp
// 9.1 and zcp (both named cp) on the same setup and compares.

// nobody is the unprivileged user the tests run cp as.
const nobody = 65534

// contenders returns GNU cp and a built zcp, skipping without GNU cp.
func contenders(t *testing.T) map[string]string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the command")
	}
	gnu, err := exec.LookPath("cp")
	if err != nil {
		t.Skip("GNU cp not installed")
	}
	return map[string]string{"gnu": gnu, "zcp": buildZcp(t)}
}

type outcome struct {
	code           int
	stdout, stderr string
}

// runCp runs prog named cp in dir, as uid (and gid) when uid >= 0.
func runCp(t *testing.T, prog, dir string, uid int, args ...string) outcome {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Args[0] = "cp"
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if uid >= 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid), Groups: []uint32{}}}
	}
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", prog, err)
	}
	return outcome{code, so.String(), se.String()}
}

// unprivileged returns a directory that user nobody can reach, with the
// two contenders copied into it (the build directory is 0700), or skips
// when not root.
func unprivileged(t *testing.T, progs map[string]string) (dir string, bins map[string]string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("changing user needs root")
	}
	dir, err := os.MkdirTemp("", "zcp-unpriv-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bins = map[string]string{"gnu": progs["gnu"]}
	b, err := os.ReadFile(progs["zcp"])
	if err != nil {
		t.Fatal(err)
	}
	bins["zcp"] = filepath.Join(dir, "zcp-bin")
	if err := os.WriteFile(bins["zcp"], b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, bins
}

func mustWrite(t *testing.T, path, data string, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

// TestWritesIntoFIFOAndStdout: GNU cp opens an existing FIFO (with a
// reader waiting) or the pipe behind /dev/stdout and writes into it;
// neither is replaced by a file.
func TestWritesIntoFIFOAndStdout(t *testing.T) {
	for name, prog := range contenders(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			mustWrite(t, filepath.Join(dir, "x"), "hello\n", 0o644)
			fifo := filepath.Join(dir, "fifo")
			if err := unix.Mkfifo(fifo, 0o644); err != nil {
				t.Fatal(err)
			}
			got := make(chan string, 1)
			go func() {
				b, _ := os.ReadFile(fifo) // blocks until cp opens it for writing
				got <- string(b)
			}()
			if o := runCp(t, prog, dir, -1, "x", "fifo"); o.code != 0 {
				t.Fatalf("cp x fifo: exit %d, %s", o.code, o.stderr)
			}
			select {
			case s := <-got:
				if s != "hello\n" {
					t.Errorf("the FIFO's reader got %q", s)
				}
			case <-time.After(10 * time.Second):
				f, _ := os.OpenFile(fifo, os.O_WRONLY, 0) // release the reader
				f.Close()
				t.Fatal("the FIFO's reader got nothing")
			}
			if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
				t.Errorf("fifo after the copy: %v %v", fi.Mode(), err)
			}

			// cp x /dev/stdout | cat, with a private stdout -> /proc/self/fd/1
			// (as /dev/stdout is), so that a regression cannot replace the
			// machine's /dev/stdout.
			if err := os.Symlink("/proc/self/fd/1", filepath.Join(dir, "stdout")); err != nil {
				t.Fatal(err)
			}
			o := runCp(t, prog, dir, -1, "x", "stdout")
			if o.code != 0 || o.stdout != "hello\n" {
				t.Errorf("cp x stdout: exit %d, stdout %q, stderr %q", o.code, o.stdout, o.stderr)
			}
			if target, err := os.Readlink(filepath.Join(dir, "stdout")); err != nil || target != "/proc/self/fd/1" {
				t.Errorf("stdout after the copy: %q %v", target, err)
			}
		})
	}
}

// TestAtomicDecidesAsPlainOpen: as an unprivileged user, cp over a 0444
// file of one's own is "Permission denied" (GNU opens it O_WRONLY); zcp
// --atomic must refuse the same way, and with -f replace it as cp -f does.
func TestAtomicDecidesAsPlainOpen(t *testing.T) {
	dir, bins := unprivileged(t, contenders(t))
	results := map[string][]outcome{}
	for name, prog := range bins {
		work := filepath.Join(dir, name)
		if err := os.Mkdir(work, 0o755); err != nil {
			t.Fatal(err)
		}
		mustWrite(t, filepath.Join(work, "src"), "new\n", 0o644)
		for _, p := range []string{work, filepath.Join(work, "src")} {
			if err := os.Chown(p, nobody, nobody); err != nil {
				t.Fatal(err)
			}
		}
		var args [][]string
		for _, force := range []bool{false, true} {
			dst := filepath.Join(work, "dst")
			mustWrite(t, dst, "old\n", 0o444)
			if err := os.Chown(dst, nobody, nobody); err != nil {
				t.Fatal(err)
			}
			a := []string{"src", "dst"}
			if force {
				a = append([]string{"-f"}, a...)
			}
			if name == "zcp" {
				a = append([]string{"--atomic"}, a...)
			}
			args = append(args, a)
			o := runCp(t, prog, work, nobody, a...)
			b, _ := os.ReadFile(dst)
			fi, _ := os.Stat(dst)
			o.stdout = string(b) + " " + fi.Mode().String()
			results[name] = append(results[name], o)
		}
		t.Logf("%s %v: %+v", name, args, results[name])
	}
	gnu, ours := results["gnu"], results["zcp"]
	if gnu[0].code != 1 || !strings.Contains(gnu[0].stderr, "Permission denied") {
		t.Fatalf("GNU cp over a 0444 file: %+v; the test expects Permission denied", gnu[0])
	}
	for i := range gnu {
		if gnu[i] != ours[i] {
			t.Errorf("case %d: zcp --atomic %+v, GNU cp %+v", i, ours[i], gnu[i])
		}
	}
}

// TestAtomicKeepsWhatPlainCpKeeps: cp writing into an existing file keeps
// its mode, owner, group and extended attributes, and writes through a
// symlink operand; zcp --atomic keeps them on the file it renames over
// the old one. (The one difference, documented in docs/zcp.md: other hard
// links of the old file keep the old data, since a rename replaces one
// name.)
func TestAtomicKeepsWhatPlainCpKeeps(t *testing.T) {
	progs := contenders(t)
	if os.Geteuid() != 0 {
		t.Skip("giving files away needs root")
	}
	type result struct{ mode, owner, xattr, data, link, other, hardLink string }
	results := map[string]result{}
	for name, prog := range progs {
		dir := t.TempDir()
		mustWrite(t, filepath.Join(dir, "src"), "new\n", 0o644)
		d := filepath.Join(dir, "d")
		mustWrite(t, d, "old\n", 0o600)
		if err := os.Chown(d, nobody, nobody); err != nil {
			t.Fatal(err)
		}
		hasXattr := unix.Setxattr(d, "user.test", []byte("kept"), 0) == nil
		target := filepath.Join(dir, "target")
		mustWrite(t, target, "old\n", 0o640)
		if err := os.Symlink("target", filepath.Join(dir, "link")); err != nil {
			t.Fatal(err)
		}
		hl := filepath.Join(dir, "hl")
		mustWrite(t, hl, "old\n", 0o644)
		if err := os.Link(hl, filepath.Join(dir, "hl2")); err != nil {
			t.Fatal(err)
		}
		args := [][]string{{"src", "d"}, {"src", "link"}, {"src", "hl"}}
		for _, a := range args {
			if name == "zcp" {
				a = append([]string{"--atomic"}, a...)
			}
			if o := runCp(t, prog, dir, -1, a...); o.code != 0 {
				t.Fatalf("%s %v: %+v", name, a, o)
			}
		}
		var st unix.Stat_t
		if err := unix.Stat(d, &st); err != nil {
			t.Fatal(err)
		}
		var r result
		r.mode = os.FileMode(st.Mode & 0o777).String()
		r.owner = fmt.Sprintf("%d:%d", st.Uid, st.Gid)
		if hasXattr {
			buf := make([]byte, 64)
			n, err := unix.Getxattr(d, "user.test", buf)
			if err == nil {
				r.xattr = string(buf[:n])
			}
		}
		b, _ := os.ReadFile(d)
		tb, _ := os.ReadFile(target)
		r.data = string(b) + string(tb)
		if fi, err := os.Lstat(filepath.Join(dir, "link")); err == nil {
			r.link = fi.Mode().Type().String()
		}
		if fi, err := os.Stat(target); err == nil {
			r.other = fi.Mode().String()
		}
		b, _ = os.ReadFile(filepath.Join(dir, "hl2"))
		r.hardLink = string(b)
		results[name] = r
	}
	t.Logf("GNU cp: %+v", results["gnu"])
	// The documented difference: the rename replaces one name.
	if g, z := results["gnu"].hardLink, results["zcp"].hardLink; g != "new\n" || z != "old\n" {
		t.Errorf("the other name of a replaced file: GNU cp %q, zcp --atomic %q (docs/zcp.md: the old data)", g, z)
	}
	for _, r := range []string{"gnu", "zcp"} {
		x := results[r]
		x.hardLink = ""
		results[r] = x
	}
	if results["gnu"] != results["zcp"] {
		t.Errorf("after cp over existing files:\nzcp --atomic %+v\nGNU cp       %+v", results["zcp"], results["gnu"])
	}
}

// TestSetIDClearedWhenOwnerNotKept: an unprivileged cp -a of set-user-ID
// and set-group-ID files and directories of another owner cannot keep the
// owner, and GNU then leaves out the set-id bits (and the sticky bit):
// a set-uid program must never change owner and keep its bit.
func TestSetIDClearedWhenOwnerNotKept(t *testing.T) {
	dir, bins := unprivileged(t, contenders(t))
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(src, "suid"), "#!/bin/sh\n", 0o4755)
	mustWrite(t, filepath.Join(src, "sgid"), "#!/bin/sh\n", 0o2775)
	mustWrite(t, filepath.Join(src, "sticky"), "x\n", 0o1755)
	if err := os.Mkdir(filepath.Join(src, "sgiddir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Chmod(filepath.Join(src, "sgiddir"), 0o2775); err != nil {
		t.Fatal(err)
	}
	modes := map[string]string{}
	for name, prog := range bins {
		work := filepath.Join(dir, name)
		if err := os.Mkdir(work, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(work, nobody, nobody); err != nil {
			t.Fatal(err)
		}
		o := runCp(t, prog, work, nobody, "-a", src, "out")
		var lines []string
		for _, n := range []string{"suid", "sgid", "sticky", "sgiddir"} {
			var st unix.Stat_t
			if err := unix.Lstat(filepath.Join(work, "out", n), &st); err != nil {
				t.Fatalf("%s: %v (%+v)", name, err, o)
			}
			lines = append(lines, fmt.Sprintf("%s %o uid %d", n, st.Mode&0o7777, st.Uid))
		}
		modes[name] = fmt.Sprintf("%s; exit %d %s", strings.Join(lines, ", "), o.code, o.stderr)
	}
	if modes["gnu"] != modes["zcp"] {
		t.Errorf("cp -a as an unprivileged user:\nzcp    %s\nGNU cp %s", modes["zcp"], modes["gnu"])
	}
	if strings.Contains(modes["zcp"], "suid 4") {
		t.Errorf("zcp kept set-user-ID on a copy it could not give away: %s", modes["zcp"])
	}
	t.Log(modes["gnu"])
}

// TestAtomicDifferences pins what docs/zcp.md says --atomic does unlike a
// plain cp, for an unprivileged user: it needs a writable directory (the
// temporary file is made there), and a file of another owner that the
// user may write is replaced by one the user owns, without set-id bits.
func TestAtomicDifferences(t *testing.T) {
	dir, bins := unprivileged(t, contenders(t))
	type result struct {
		outcome
		data  string
		owner uint32
		mode  string
	}
	got := map[string][]result{}
	for name, prog := range bins {
		work := filepath.Join(dir, name)
		for _, p := range []string{work, filepath.Join(work, "ro")} {
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		mustWrite(t, filepath.Join(work, "src"), "new\n", 0o644)
		mustWrite(t, filepath.Join(work, "ro", "f"), "old\n", 0o644)
		mustWrite(t, filepath.Join(work, "theirs"), "old\n", 0o4777)
		for _, p := range []string{work, filepath.Join(work, "ro"), filepath.Join(work, "ro", "f")} {
			if err := os.Chown(p, nobody, nobody); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(filepath.Join(work, "ro"), 0o555); err != nil {
			t.Fatal(err)
		}
		for _, dst := range []string{"ro/f", "theirs"} {
			a := []string{"src", dst}
			if name == "zcp" {
				a = append([]string{"--atomic"}, a...)
			}
			o := runCp(t, prog, work, nobody, a...)
			b, _ := os.ReadFile(filepath.Join(work, dst))
			var st unix.Stat_t
			unix.Stat(filepath.Join(work, dst), &st)
			got[name] = append(got[name], result{o, string(b), st.Uid, fmt.Sprintf("%o", st.Mode&0o7777)})
		}
	}
	gnu, ours := got["gnu"], got["zcp"]
	t.Logf("GNU cp: %+v\nzcp --atomic: %+v", gnu, ours)
	if gnu[0].code != 0 || gnu[0].data != "new\n" {
		t.Errorf("GNU cp into a read-only directory: %+v", gnu[0])
	}
	if ours[0].code != 1 || ours[0].stderr != "cp: cannot create regular file 'ro/f': Permission denied\n" || ours[0].data != "old\n" {
		t.Errorf("zcp --atomic into a read-only directory: %+v", ours[0])
	}
	if gnu[1].code != 0 || gnu[1].owner != 0 || gnu[1].data != "new\n" {
		t.Errorf("GNU cp into another owner's writable file: %+v", gnu[1])
	}
	if ours[1].code != 0 || ours[1].owner != nobody || ours[1].mode != "777" || ours[1].data != "new\n" {
		t.Errorf("zcp --atomic over another owner's writable file: %+v", ours[1])
	}
}
