package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/internal/uring"
)

type leakCheckM struct{ m *testing.M }

func (l leakCheckM) Run() int {
	code := testutil.RunWithLeakCheck(l.m, nil)
	if built.path != "" {
		os.RemoveAll(filepath.Dir(built.path)) // the command buildZcp made
	}
	return code
}

func TestMain(m *testing.M) {
	testscript.Main(leakCheckM{m}, map[string]func(){
		"zcp": func() {
			args := os.Args
			if name := os.Getenv("ZCP_TEST_ARGV0"); name != "" {
				// testscript picks the command by argv[0], so the oracle
				// names the program through the environment.
				args = append([]string{name}, args[1:]...)
			}
			if os.Getenv("ZCP_TEST_NO_URING") != "" {
				uring.Disable(syscall.ENOSYS) // as on a kernel without io_uring
			}
			os.Exit(run(newProcess(), args, os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// TestScripts runs the scenarios in testdata/*.txt. Each says which GNU
// cp behaviour it pins; "oracle ARGS" runs GNU cp and zcp (invoked as cp)
// on two copies of the work directory and compares what a user sees.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		RequireExplicitExec: false,
		Setup: func(e *testscript.Env) error {
			zcp, err := exec.LookPath("zcp")
			if err != nil {
				return err
			}
			e.Setenv("ZCP", zcp)
			e.Setenv("LC_ALL", "C")
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "root":
				return os.Geteuid() == 0, nil
			case "gnucp":
				_, err := exec.LookPath("cp")
				return err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"oracle":  oracle,
			"ordered": ordered,
			"mkfifo": func(ts *testscript.TestScript, neg bool, args []string) {
				ts.Check(syscall.Mkfifo(ts.MkAbs(args[0]), 0o644))
			},
			"mksock": func(ts *testscript.TestScript, neg bool, args []string) {
				fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
				ts.Check(err)
				defer syscall.Close(fd)
				ts.Check(syscall.Bind(fd, &syscall.SockaddrUnix{Name: ts.MkAbs(args[0])}))
			},
			"sparse":    sparseCmd,
			"blocks":    blocksCmd,
			"isfifo":    typeCmd(os.ModeNamedPipe),
			"islink":    typeCmd(os.ModeSymlink),
			"sameinode": sameInode,
			"perm":      permCmd,
		},
	})
}

// oracle runs `cp ARGS` with GNU cp and with zcp named cp, each in a copy
// of the work directory, and fails on any difference in exit status,
// stdout, stderr or the resulting tree. With neg (! oracle) GNU cp must
// fail too. Leading arguments written +ARG go to zcp only (its own
// options, such as +--engine=uring).
func oracle(ts *testscript.TestScript, neg bool, args []string) {
	var ownArgs []string
	for len(args) > 0 && strings.HasPrefix(args[0], "+") {
		ownArgs, args = append(ownArgs, args[0][1:]), args[1:]
	}
	work := ts.Getenv("WORK")
	base, err := os.MkdirTemp("", "zcp-oracle-")
	ts.Check(err)
	defer os.RemoveAll(base)
	runIn := func(name string, path string) cpResult {
		dir := filepath.Join(base, name)
		out, err := exec.Command("cp", "-a", work, dir).CombinedOutput()
		if err != nil {
			ts.Fatalf("setting up %s: %v %s", name, err, out)
		}
		cmd := exec.Command(path, args...)
		if name == "ours" {
			cmd.Args = append(append(cmd.Args[:1:1], ownArgs...), args...)
		}
		if name == "gnu" {
			cmd.Args[0] = "cp" // GNU's program_name is argv[0]
		}
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "LC_ALL=C", "ZCP_TEST_ARGV0=cp")
		var so, se bytes.Buffer
		cmd.Stdout, cmd.Stderr = &so, &se
		cmd.Stdin = strings.NewReader("n\n")
		err = cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			ts.Fatalf("%s: %v", name, err)
		}
		// Parallel copies report in another order than GNU's readdir
		// order: compare the lines as sets.
		return cpResult{code, sortLines(so.String()), sortLines(strings.ReplaceAll(se.String(), dir, "$DIR")), describeTree(ts, dir)}
	}
	gnuPath, err := exec.LookPath("cp")
	ts.Check(err)
	gnu := runIn("gnu", gnuPath)
	ours := runIn("ours", ts.Getenv("ZCP"))
	compareWithGNU(ts, neg, args, gnu, ours, "")
	ts.Logf("GNU cp and zcp agree: exit %d, %d bytes of stderr", gnu.code, len(gnu.stderr))
}

// ordered runs `cp ARGS` with GNU cp, then with zcp, both in the work
// directory itself (the same source inodes, which GNU's order follows),
// and fails unless exit status, stdout and stderr are equal line for line
// in order, and the trees made equal. The last argument names the
// destination, which must not exist: each run's is removed after it.
// Leading +ARG arguments go to zcp only, as with oracle.
func ordered(ts *testscript.TestScript, neg bool, args []string) {
	var ownArgs []string
	for len(args) > 0 && strings.HasPrefix(args[0], "+") {
		ownArgs, args = append(ownArgs, args[0][1:]), args[1:]
	}
	if len(args) == 0 {
		ts.Fatalf("usage: ordered [+ZCPARG...] CPARG... DEST")
	}
	work := ts.Getenv("WORK")
	dst := filepath.Join(work, args[len(args)-1])
	fi, err := os.Lstat(dst)
	wasDir := err == nil && fi.IsDir()
	if err == nil && !wasDir {
		ts.Fatalf("%s exists and is not a directory", dst)
	}
	gnuPath, err := exec.LookPath("cp")
	ts.Check(err)
	runOne := func(path string, own []string) cpResult {
		cmd := exec.Command(path, append(own, args...)...)
		if path == gnuPath {
			cmd.Args[0] = "cp" // GNU's program_name is argv[0]
		}
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "LC_ALL=C", "ZCP_TEST_ARGV0=cp")
		var so, se bytes.Buffer
		cmd.Stdout, cmd.Stderr = &so, &se
		cmd.Stdin = strings.NewReader("n\n")
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			ts.Fatalf("%s: %v", path, err)
		}
		res := cpResult{code, so.String(), se.String(), describeTree(ts, dst)}
		ts.Check(os.RemoveAll(dst))
		if wasDir {
			ts.Check(os.Mkdir(dst, 0o755))
		}
		return res
	}
	gnu := runOne(gnuPath, nil)
	ours := runOne(ts.Getenv("ZCP"), ownArgs)
	compareWithGNU(ts, neg, args, gnu, ours, " (in order)")
	ts.Logf("GNU cp and zcp agree in order: exit %d, %d lines of stdout", gnu.code, strings.Count(gnu.stdout, "\n"))
}

// cpResult is what a user sees of one cp run.
type cpResult struct {
	code           int
	stdout, stderr string
	tree           string
}

// compareWithGNU fails the script on any difference between GNU cp's run
// and zcp's; with neg GNU cp must have failed. how says how the lines
// were compared, for the message.
func compareWithGNU(ts *testscript.TestScript, neg bool, args []string, gnu, ours cpResult, how string) {
	if (gnu.code != 0) != neg {
		ts.Fatalf("GNU cp exited %d (stderr %q): the scenario expects %s", gnu.code, gnu.stderr, map[bool]string{true: "failure", false: "success"}[neg])
	}
	var diffs []string
	if gnu.code != ours.code {
		diffs = append(diffs, fmt.Sprintf("exit status: zcp %d, GNU cp %d", ours.code, gnu.code))
	}
	if gnu.stdout != ours.stdout {
		diffs = append(diffs, fmt.Sprintf("stdout:\nzcp:\n%sGNU cp:\n%s", ours.stdout, gnu.stdout))
	}
	if gnu.stderr != ours.stderr {
		diffs = append(diffs, fmt.Sprintf("stderr:\nzcp:\n%sGNU cp:\n%s", ours.stderr, gnu.stderr))
	}
	if gnu.tree != ours.tree {
		diffs = append(diffs, fmt.Sprintf("trees differ:\nzcp:\n%s\nGNU cp:\n%s", ours.tree, gnu.tree))
	}
	if len(diffs) > 0 {
		ts.Fatalf("cp %s: zcp and GNU cp differ%s:\n%s", strings.Join(args, " "), how, strings.Join(diffs, "\n"))
	}
}

// describeTree lists every entry with its type, permissions, content
// digest or link target, and hard-link group.
func describeTree(ts *testscript.TestScript, root string) string {
	var lines []string
	inodes := map[uint64][]string{}
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if rel == ".tmp" || strings.HasPrefix(rel, ".tmp/") {
			return nil
		}
		line := fmt.Sprintf("%s %v", rel, fi.Mode())
		switch {
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			line += fmt.Sprintf(" %x", sha256.Sum256(b))[:20]
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			line += " -> " + target
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && !fi.IsDir() {
			inodes[st.Ino] = append(inodes[st.Ino], rel)
		}
		lines = append(lines, line)
		return nil
	})
	for _, names := range inodes {
		if len(names) > 1 {
			sort.Strings(names)
			lines = append(lines, "link "+strings.Join(names, "="))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// sparse NAME SIZE DATAOFFSET: a file of SIZE bytes with 64 KiB of data at
// DATAOFFSET and holes elsewhere.
func sparseCmd(ts *testscript.TestScript, neg bool, args []string) {
	var size, off int64
	fmt.Sscan(args[1], &size)
	fmt.Sscan(args[2], &off)
	f, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	_, err = f.WriteAt(bytes.Repeat([]byte("data"), 16<<10), off)
	ts.Check(err)
	ts.Check(f.Truncate(size))
	ts.Check(f.Close())
}

// blocks A B: A and B have the same st_blocks.
func blocksCmd(ts *testscript.TestScript, neg bool, args []string) {
	var a, b syscall.Stat_t
	ts.Check(syscall.Stat(ts.MkAbs(args[0]), &a))
	ts.Check(syscall.Stat(ts.MkAbs(args[1]), &b))
	if (a.Blocks == b.Blocks) == neg {
		ts.Fatalf("st_blocks %d and %d", a.Blocks, b.Blocks)
	}
}

func typeCmd(m os.FileMode) func(ts *testscript.TestScript, neg bool, args []string) {
	return func(ts *testscript.TestScript, neg bool, args []string) {
		fi, err := os.Lstat(ts.MkAbs(args[0]))
		ts.Check(err)
		if (fi.Mode()&m != 0) == neg {
			ts.Fatalf("%s is %v", args[0], fi.Mode())
		}
	}
}

func sameInode(ts *testscript.TestScript, neg bool, args []string) {
	a, err := os.Lstat(ts.MkAbs(args[0]))
	ts.Check(err)
	b, err := os.Lstat(ts.MkAbs(args[1]))
	ts.Check(err)
	if os.SameFile(a, b) == neg {
		ts.Fatalf("%s and %s: same inode %v", args[0], args[1], !neg)
	}
}

// perm NAME MODE: NAME's permission bits (octal).
func permCmd(ts *testscript.TestScript, neg bool, args []string) {
	fi, err := os.Lstat(ts.MkAbs(args[0]))
	ts.Check(err)
	if got := fmt.Sprintf("%o", fi.Mode().Perm()); (got == args[1]) == neg {
		ts.Fatalf("%s has mode %s", args[0], got)
	}
}

// TestInvokedAsCp builds zcp, links it as cp (ln -s zcp cp) and checks
// that messages carry the invoked name, as GNU's program_name does.
func TestInvokedAsCp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	zcp := buildZcp(t)
	dir := filepath.Dir(zcp)
	if err := os.Symlink("zcp", filepath.Join(dir, "cp")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ argv0, want string }{
		{"./cp", "./cp: cannot stat 'missing': No such file or directory\n"},
		{filepath.Join(dir, "cp"), filepath.Join(dir, "cp") + ": cannot stat 'missing': No such file or directory\n"},
	} {
		cmd := exec.Command(tc.argv0, "missing", "x")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || string(out) != tc.want {
			t.Errorf("%s: %v, output %q, want %q", tc.argv0, err, out, tc.want)
		}
	}
}

func sortLines(s string) string {
	lines := strings.SplitAfter(s, "\n")
	sort.Strings(lines)
	return strings.Join(lines, "")
}

var built struct {
	sync.Once
	path string
	err  error
}

// buildZcp builds the command once per test binary.
func buildZcp(t *testing.T) string {
	t.Helper()
	built.Do(func() {
		dir, err := os.MkdirTemp("", "zcp-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "zcp")
		if out, err := exec.Command("go", "build", "-o", built.path, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// TestAtomicSurvivesKill9: kill -9 during --atomic leaves the old or the
// new file, never a mix; the leftover temporary file is named
// .zcp-tmp.PID.N.NAME so a later run (or a person) can remove it.
func TestAtomicSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	zcp := buildZcp(t)
	dir := testutil.ShmDir(t)
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	const size = 64 << 20
	oldData, newData := bytes.Repeat([]byte("old!"), size/4), bytes.Repeat([]byte("new!"), size/4)
	if err := os.WriteFile(src, newData, 0o644); err != nil {
		t.Fatal(err)
	}
	oldSum, newSum := sha256.Sum256(oldData), sha256.Sum256(newData)
	sawOld, sawNew := false, false
	for round := 0; round < 6; round++ {
		if err := os.WriteFile(dst, oldData, 0o644); err != nil {
			t.Fatal(err)
		}
		// read/write through a small chunk is slow enough to be killed
		// in the middle.
		cmd := exec.Command(zcp, "--atomic", "--reflink=never", src, dst)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(round*round*10) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		b, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		switch sha256.Sum256(b) {
		case oldSum:
			sawOld = true
		case newSum:
			sawNew = true
		default:
			t.Fatalf("round %d: destination is neither old nor new (%d bytes)", round, len(b))
		}
		names, _ := os.ReadDir(dir)
		for _, n := range names {
			if n.Name() != "src" && n.Name() != "dst" {
				if !strings.HasPrefix(n.Name(), ".zcp-tmp.") || !strings.HasSuffix(n.Name(), ".dst") {
					t.Errorf("leftover %q is not named .zcp-tmp.PID.N.dst", n.Name())
				}
				os.Remove(filepath.Join(dir, n.Name()))
			}
		}
	}
	t.Logf("saw old: %v, saw new: %v", sawOld, sawNew)
}
