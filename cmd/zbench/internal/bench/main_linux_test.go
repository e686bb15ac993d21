//go:build linux

package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/uring"
)

func TestMain(m *testing.M) {
	// Contenders that are fast and wrong. The children are this test
	// binary, so they know them too.
	rawCopies["truncate"] = func(dst, src int, size int64) (int64, error) {
		_, err := unix.Sendfile(dst, src, nil, int(size-1))
		return size, err // and claims it all
	}
	rawCopies["corrupt"] = func(dst, src int, size int64) (int64, error) {
		b := make([]byte, size)
		if _, err := unix.Pread(src, b, 0); err != nil {
			return 0, err
		}
		b[size/2] ^= 1
		return int64(len(b)), writeAll(dst, b)
	}
	if IsChild() {
		os.Exit(Main(nil, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestWrongAnswerFails runs a contender that delivers every byte but
// one, and one that corrupts a byte: both rows must say FAILED, and
// zbench must exit 1.
func TestWrongAnswerFails(t *testing.T) {
	extraContenders["unix"] = []contender{
		{key: "truncate", name: "truncated", kind: "raw"},
		{key: "corrupt", name: "corrupted", kind: "raw"},
	}
	defer delete(extraContenders, "unix")
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := Main([]string{"-scenario", "unix", "-size", "256KiB", "-runs", "1", "-dir", dir, "-json", "-q"}, nil, &out, &errb)
	if code != 1 {
		t.Errorf("exit code %d, want 1; stderr: %s", code, errb.String())
	}
	var res Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out.String())
	}
	failed := map[string]string{}
	for _, r := range res.Tables[0].Rows {
		if !r.Verified {
			failed[r.Name] = r.Failure
		}
	}
	if len(failed) != 2 || failed["truncated"] == "" || failed["corrupted"] == "" {
		t.Errorf("failed rows = %v, want exactly truncated and corrupted", failed)
	}
	t.Logf("failures: %v", failed)
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind in -dir: %v", ents)
	}
}

// TestPin runs a pipe table with -pin: every child binds itself to its
// CPU, every row still verifies, and the header says so.
func TestPin(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("-pin needs two CPUs")
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := Main([]string{"-scenario", "pipe", "-size", "256KiB", "-runs", "1", "-dir", dir, "-pin", "-json", "-q"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit code %d; stderr: %s", code, errb.String())
	}
	var res Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("bad JSON: %v", err)
	}
	if !res.Pinned || len(res.Tables) != 2 {
		t.Fatalf("pinned %v, %d tables", res.Pinned, len(res.Tables))
	}
	for _, tb := range res.Tables {
		for _, r := range tb.Rows {
			if !r.Verified {
				t.Errorf("%s: %s: %s", tb.Title, r.Name, r.Failure)
			}
		}
	}
}

// TestSndBuf runs the socket tables with -sndbuf: every sender sets the
// buffer, every row still verifies, and the result says so.
func TestSndBuf(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := Main([]string{"-scenario", "unix,tcp", "-size", "256KiB", "-runs", "1", "-dir", dir, "-sndbuf", "1MiB", "-json", "-q"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit code %d; stderr: %s", code, errb.String())
	}
	var res Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("bad JSON: %v", err)
	}
	if res.SndBuf != 1<<20 || len(res.Tables) != 2 {
		t.Fatalf("sndbuf %v, %d tables", res.SndBuf, len(res.Tables))
	}
	for _, tb := range res.Tables {
		for _, r := range tb.Rows {
			if !r.Verified {
				t.Errorf("%s: %s: %s", tb.Title, r.Name, r.Failure)
			}
		}
	}
}

// TestSetSndBuf checks that setSndBuf sets the buffer the kernel reports.
func TestSetSndBuf(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	before, _ := unix.GetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_SNDBUF)
	if err := setSndBuf(fds[0], before); err != nil {
		t.Fatal(err)
	}
	// The kernel doubles what it is given (up to net.core.wmem_max).
	if after, _ := unix.GetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_SNDBUF); after <= before {
		t.Errorf("SO_SNDBUF %d after setting %d", after, before)
	}
}

// TestPinProcess checks, in a child, that pinProcess binds the threads the
// runtime already has and those it starts later.
func TestPinProcess(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs two CPUs")
	}
	if os.Getenv("ZBENCH_PIN_TEST") == "" {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestPinProcess$")
		cmd.Env = append(os.Environ(), "ZBENCH_PIN_TEST=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	if err := pinProcess(1); err != nil {
		t.Fatal(err)
	}
	done := make(chan []int, 8)
	for range cap(done) { // goroutines on threads started after pinning
		go func() {
			runtime.LockOSThread()
			var set unix.CPUSet
			unix.SchedGetaffinity(0, &set)
			var cpus []int
			for c := range 64 {
				if set.IsSet(c) {
					cpus = append(cpus, c)
				}
			}
			done <- cpus
		}()
	}
	for range cap(done) {
		if cpus := <-done; len(cpus) != 1 || cpus[0] != 1 {
			t.Errorf("a thread may run on CPUs %v, want [1]", cpus)
		}
	}
}

// TestTreeScenario runs the tree scenario on tiny inputs: GNU cp's rows
// verify, a copy that differs from the source fails verification, and
// every table names its inputs.
func TestTreeScenario(t *testing.T) {
	if _, err := os.Stat("/bin/cp"); err != nil {
		t.Skip("no cp:", err)
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	Main([]string{"-scenario", "tree", "-files", "30", "-size", "1MiB", "-sparse", "64MiB", "-goroot=false", "-runs", "1", "-dir", dir, "-json", "-q"}, nil, &out, &errb)
	var res Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("bad JSON: %v\n%s\nstderr: %s", err, out.String(), errb.String())
	}
	if len(res.Tables) != 3 {
		t.Fatalf("%d tables, want 3 (small files, one file, sparse file)", len(res.Tables))
	}
	for _, tb := range res.Tables {
		for _, r := range tb.Rows {
			if r.Name == "GNU cp -r" || r.Name == "GNU cp" {
				if !r.Verified {
					t.Errorf("%s: %s did not verify: %s", tb.Title, r.Name, r.Failure)
				}
			}
		}
		if tb.Note == "" {
			t.Errorf("%s: no note on the input", tb.Title)
		}
	}
}

func TestDigestTreeSeesChanges(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(dir+"/a/b", 0o755)
	os.WriteFile(dir+"/a/b/f", []byte("hello"), 0o644)
	os.Symlink("f", dir+"/a/b/l")
	before, err := digestTree(dir+"/a", false)
	if err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(){
		"content": func() { os.WriteFile(dir+"/a/b/f", []byte("hellO"), 0o644) },
		"link":    func() { os.Remove(dir + "/a/b/l"); os.Symlink("g", dir+"/a/b/l") },
		"name":    func() { os.Rename(dir+"/a/b/f", dir+"/a/b/g") },
	} {
		change()
		after, err := digestTree(dir+"/a", false)
		if err != nil {
			t.Fatal(err)
		}
		if after.crc == before.crc {
			t.Errorf("%s changed, digest did not", name)
		}
		before = after
	}
}

// TestUringScenario runs the uring scenario on tiny inputs: every row of
// every table verifies (the big file's bytes, the trees' names and
// contents), the cold table says how it was made, and the CopyFiles rows
// report the child's own timing.
func TestUringScenario(t *testing.T) {
	if err := uring.Available(); err != nil {
		t.Skip(err)
	}
	if _, err := os.Stat("/bin/cp"); err != nil {
		t.Skip("no cp:", err)
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := Main([]string{"-scenario", "uring", "-ringfiles", "30", "-size", "1MiB", "-goroot=false", "-runs", "1", "-dir", dir, "-json", "-q"}, nil, &out, &errb)
	var res Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("bad JSON: %v\n%s\nstderr: %s", err, out.String(), errb.String())
	}
	if code != 0 {
		t.Errorf("exit code %d; stderr: %s", code, errb.String())
	}
	titles := map[string]bool{}
	for _, tb := range res.Tables {
		titles[tb.Title] = true
		for _, r := range tb.Rows {
			if r.Skipped != "" && r.Name != "io_uring, pipelined, O_DIRECT reads" {
				t.Errorf("%s: %s skipped: %s", tb.Title, r.Name, r.Skipped)
			}
			if r.Skipped == "" && !r.Verified {
				t.Errorf("%s: %s did not verify: %s", tb.Title, r.Name, r.Failure)
			}
		}
	}
	for _, want := range []string{"file -> file, warm cache", "30 x 4 KiB files: CopyFiles engines", "30 x 4 KiB files: zcp engines"} {
		if !titles[want] {
			t.Errorf("no table %q (have %v)", want, titles)
		}
	}
	if fsType(dir) != "tmpfs" && !titles["file -> file, cold cache"] {
		t.Errorf("no cold table on %s", fsType(dir))
	}
}
