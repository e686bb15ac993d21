//go:build amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64 || mips64 || mips64le

package fuse_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/memfs"
)

// workerArg makes the test binary a stress worker: workerArg DIR SEED N
// runs N seeded random operations in DIR and prints what they observed.
const workerArg = "-memfs-fuse-worker"

func init() { helperMains[workerArg] = workerMain }

func workerMain(args []string) int {
	if len(args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: worker DIR SEED N")
		return 2
	}
	seed, err1 := strconv.ParseUint(args[1], 10, 64)
	n, err2 := strconv.Atoi(args[2])
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "bad SEED or N")
		return 2
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	if randomOps(args[0], seed, n, w) {
		fmt.Fprintln(w, "ENOTCONN")
		return 3
	}
	return 0
}

// randomOps runs n random operations in dir, seeded, writing one line per
// operation; it stops early and returns true when the mount's server is
// gone (ENOTCONN).
func randomOps(dir string, seed uint64, n int, w *bufio.Writer) (gone bool) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	names := []string{"f0", "f1", "f2", "f3", "f4", "d0/f5", "d0/f6", "d1/f7", "d0", "d1", "s0"}
	pick := func() string { return filepath.Join(dir, names[rng.IntN(len(names))]) }
	buf := make([]byte, 96<<10)
	for i := 0; i < n; i++ {
		var res string
		var err error
		switch op := rng.IntN(14); op {
		case 0, 1, 2: // pwrite
			p := pick()
			size, off := rng.IntN(len(buf)), rng.Int64N(512<<10)
			for j := range buf[:size] {
				buf[j] = byte(rng.Uint32())
			}
			var f *os.File
			if f, err = os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644); err == nil {
				_, err = f.WriteAt(buf[:size], off)
				f.Close()
			}
			res = fmt.Sprintf("pwrite %s %d@%d", rel(dir, p), size, off)
		case 3, 4: // read whole
			p := pick()
			var b []byte
			b, err = os.ReadFile(p)
			res = fmt.Sprintf("read %s %d %x", rel(dir, p), len(b), sha(b))
		case 5:
			p, size := pick(), rng.Int64N(600<<10)
			err = os.Truncate(p, size)
			res = fmt.Sprintf("truncate %s %d", rel(dir, p), size)
		case 6:
			a, b := pick(), pick()
			err = os.Rename(a, b)
			res = fmt.Sprintf("rename %s %s", rel(dir, a), rel(dir, b))
		case 7:
			a, b := pick(), pick()
			err = os.Link(a, b)
			res = fmt.Sprintf("link %s %s", rel(dir, a), rel(dir, b))
		case 8:
			p := pick()
			err = os.Remove(p)
			res = fmt.Sprintf("remove %s", rel(dir, p))
		case 9:
			p := pick()
			err = os.Mkdir(p, 0o755)
			res = fmt.Sprintf("mkdir %s", rel(dir, p))
		case 10:
			p := pick()
			err = os.Symlink("f1", p)
			res = fmt.Sprintf("symlink %s", rel(dir, p))
		case 11: // copy_file_range between two files
			a, b := pick(), pick()
			var src, dst *os.File
			var k int
			if src, err = os.Open(a); err == nil {
				if dst, err = os.OpenFile(b, os.O_WRONLY|os.O_CREATE, 0o644); err == nil {
					offIn, offOut := rng.Int64N(256<<10), rng.Int64N(256<<10)
					k, err = unix.CopyFileRange(int(src.Fd()), &offIn, int(dst.Fd()), &offOut, rng.IntN(300<<10), 0)
					dst.Close()
				}
				src.Close()
			}
			res = fmt.Sprintf("copy_file_range %s %s %d", rel(dir, a), rel(dir, b), k)
		case 12:
			p := pick()
			var st unix.Stat_t
			err = unix.Lstat(p, &st)
			res = fmt.Sprintf("lstat %s mode=%o nlink=%d", rel(dir, p), st.Mode, st.Nlink)
			if st.Mode&unix.S_IFMT != unix.S_IFDIR {
				res += fmt.Sprintf(" size=%d", st.Size)
			}
		case 13:
			p := pick()
			var entries []os.DirEntry
			entries, err = os.ReadDir(p)
			var ns []string
			for _, e := range entries {
				ns = append(ns, e.Name())
			}
			res = fmt.Sprintf("readdir %s %v", rel(dir, p), ns)
		}
		if errors.Is(err, syscall.ENOTCONN) || errors.Is(err, syscall.ECONNABORTED) {
			return true
		}
		fmt.Fprintf(w, "%s: %s\n", res, errnoName(err))
	}
	return false
}

func rel(dir, p string) string {
	r, _ := filepath.Rel(dir, p)
	return r
}

// makeStressTree writes a host tree of worker directories w0..w<n-1>,
// each with a few files of seeded random bytes, for workers to change.
func makeStressTree(t testing.TB, workers int) string {
	t.Helper()
	dir := t.TempDir()
	for i := range workers {
		w := filepath.Join(dir, fmt.Sprintf("w%d", i))
		if err := os.MkdirAll(filepath.Join(w, "d0"), 0o755); err != nil {
			t.Fatal(err)
		}
		for j, name := range []string{"f0", "f1", "f2", "d0/f5"} {
			data := testutil.Data(64<<10*(j+1)+j, uint64(i*10+j))
			if err := os.WriteFile(filepath.Join(w, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// startWorkers runs a worker process per directory w<i> of root and
// returns a function that waits (bounded) for their outputs.
func startWorkers(t *testing.T, root string, workers, ops int, seed uint64) func() ([]string, []error) {
	t.Helper()
	wait, _ := startCountedWorkers(t, root, workers, ops, seed)
	return wait
}

// lineBuffer is a worker's standard output, readable while it runs.
type lineBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lineBuffer) lines() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Count(b.buf.Bytes(), []byte("\n"))
}

func (b *lineBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startCountedWorkers is startWorkers that also returns, for each worker,
// a function counting the operations it has reported so far.
func startCountedWorkers(t *testing.T, root string, workers, ops int, seed uint64) (func() ([]string, []error), []func() int) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	outs := make([]string, workers)
	errs := make([]error, workers)
	counts := make([]func() int, workers)
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	for i := range workers {
		cmd := exec.CommandContext(ctx, exe, workerArg, filepath.Join(root, fmt.Sprintf("w%d", i)), strconv.FormatUint(seed+uint64(i), 10), strconv.Itoa(ops))
		var out lineBuffer
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		counts[i] = out.lines
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = cmd.Wait()
			if stderr.Len() > 0 && errs[i] != nil {
				errs[i] = fmt.Errorf("%w: %s", errs[i], stderr.String())
			}
			outs[i] = out.String()
		}()
	}
	return func() ([]string, []error) {
		wg.Wait()
		cancel()
		return outs, errs
	}, counts
}

// TestStressMatchesTmpfs runs seeded random operations in four processes
// at once on the mount and then on a tmpfs copy: each process observes
// the same, and the trees end the same.
func TestStressMatchesTmpfs(t *testing.T) {
	needFUSE(t)
	skipWithPassthrough(t)
	const workers, ops = 4, 1500
	host := makeStressTree(t, workers)
	guardHost(t, host)
	oracle := copyToTmpfs(t, host)
	mnt, _ := overlay(t, host, memfs.WithUmask(0))
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("MEMFS_FUSE_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (MEMFS_FUSE_SEED to repeat)", seed)
	wantOut, wantErr := startWorkers(t, oracle, workers, ops, seed)()
	gotOut, gotErr := startWorkers(t, mnt, workers, ops, seed)()
	for i := range workers {
		if wantErr[i] != nil || gotErr[i] != nil {
			t.Fatalf("worker %d: tmpfs %v, memfs %v", i, wantErr[i], gotErr[i])
		}
		if gotOut[i] != wantOut[i] {
			w, g := strings.Split(wantOut[i], "\n"), strings.Split(gotOut[i], "\n")
			for j := range min(len(w), len(g)) {
				if w[j] != g[j] {
					t.Fatalf("worker %d, op %d:\n tmpfs: %s\n memfs: %s", i, j, w[j], g[j])
				}
			}
			t.Fatalf("worker %d: %d lines on tmpfs, %d on memfs", i, len(w), len(g))
		}
	}
	if want, got := treeSum(t, oracle, false), treeSum(t, mnt, false); got != want {
		t.Errorf("trees differ:\n%s", lineDiff(want, got))
	}
}

// TestKilledServer kills -9 the server process while four processes
// work on the mount: they all get ENOTCONN and end, nothing hangs, the
// mount point answers ENOTCONN until detached, the host tree is as it was.
func TestKilledServer(t *testing.T) {
	needFUSE(t)
	const workers = 4
	host := makeStressTree(t, workers)
	guardHost(t, host)
	mnt := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	server := exec.Command(exe, serveArg, host, mnt, "0")
	stdout, err := server.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	server.Stderr = &stderr
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		server.Process.Kill()
		server.Wait()
		unix.Unmount(mnt, unix.MNT_DETACH)
	})
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		if line != "ready\n" {
			t.Fatalf("server: %q %s", line, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server not ready after 30s")
	}
	wait, counts := startCountedWorkers(t, mnt, workers, 1_000_000, 1)
	// Kill the server mid-stress: once every worker has done some
	// operations (however slow the machine), not after a fixed time.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		busy := 0
		for _, n := range counts {
			if n() >= 10 {
				busy++
			}
		}
		if busy == workers {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d workers did 10 operations in a minute", busy, workers)
		}
	}
	if err := server.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	outs, errs := wait()
	for i := range workers {
		var exit *exec.ExitError
		if !errors.As(errs[i], &exit) || exit.ExitCode() != 3 || !strings.HasSuffix(outs[i], "ENOTCONN\n") {
			t.Errorf("worker %d: %v, want exit 3 after ENOTCONN; output ends %q", i, errs[i], outs[i][max(0, len(outs[i])-100):])
		}
		if n := strings.Count(outs[i], "\n"); n < 10 {
			t.Errorf("worker %d did only %d operations before the kill", i, n)
		}
	}
	// (stat may answer from the kernel's attribute cache; opening asks.)
	if _, err := os.ReadDir(mnt); !errors.Is(err, syscall.ENOTCONN) {
		t.Errorf("readdir of the mount point of a killed server: %v, want ENOTCONN", err)
	}
	var st unix.Stat_t
	if err := unix.Unmount(mnt, 0); err != nil {
		t.Errorf("umount after the kill: %v", err)
	}
	if err := unix.Stat(mnt, &st); err != nil {
		t.Errorf("stat after umount: %v", err)
	}
}
