package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zcopy/zcopy/internal/testutil"
)

// gnuCp is GNU cp 9.1, the oracle, or a skip.
func gnuCp(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("/usr/bin/cp")
	if err != nil {
		t.Skipf("no GNU cp: %v", err)
	}
	return p
}

// shell runs script with bash, "$@" being args, in dir; it returns the
// exit status as the shell reports it ($? of the command), and stderr.
func shell(t *testing.T, dir, script string, args ...string) (status int, stderr string) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"-c", script + `; echo "status=$?" >&3`, "bash"}, args...)...)
	cmd.Dir = dir
	var errb bytes.Buffer
	cmd.Stderr = &errb
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	var out bytes.Buffer
	out.ReadFrom(r)
	r.Close()
	cmd.Wait()
	s := strings.TrimSpace(out.String())
	status, err = strconv.Atoi(strings.TrimPrefix(s, "status="))
	if err != nil {
		t.Fatalf("%s: %q", script, s)
	}
	return status, errb.String()
}

// TestDiesOfSignal: SIGINT and SIGTERM while cp waits on a FIFO end it
// by the signal, status 130 and 143 in a shell, as they end GNU cp 9.1,
// so that `for ...; do cp ...; done` stops; a signal the shell made
// ignored (trap ” INT) is ignored by both.
func TestDiesOfSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	tools := []string{gnuCp(t), buildZcp(t)}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		for _, cp := range tools {
			dir := t.TempDir()
			if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
				t.Fatal(err)
			}
			// The script reports its pid before exec: the pid is cp's.
			cmd := exec.Command("bash", "-c", `echo $$; exec "$@"`, "bash", cp, "--copy-contents", "fifo", "out")
			cmd.Dir = dir
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 32)
			n, _ := out.Read(buf)
			if n == 0 {
				t.Fatal("no pid")
			}
			time.Sleep(300 * time.Millisecond) // cp blocks opening the FIFO
			cmd.Process.Signal(sig)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("%s: still running 30 s after %v", cp, sig)
			}
			ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if !ws.Signaled() || ws.Signal() != sig {
				t.Errorf("%s: %v after %v, want killed by it", cp, cmd.ProcessState, sig)
			}
		}
	}
	for _, cp := range tools {
		dir := t.TempDir()
		fifo := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(fifo, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("bash", "-c", `trap '' INT; exec "$@"`, "bash", cp, "--copy-contents", "fifo", "out")
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		cmd.Process.Signal(syscall.SIGINT)
		time.Sleep(100 * time.Millisecond)
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.WriteString("data")
		w.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("%s with SIGINT ignored: %v", cp, err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "out")); string(b) != "data" {
			t.Errorf("%s with SIGINT ignored copied %q", cp, b)
		}
	}
}

// TestDiesOfSIGXFSZ: a write past the file size limit (ulimit -f) kills
// cp with SIGXFSZ, status 153 in a shell and nothing printed (GNU cp
// 9.1). With the signal ignored (trap ” XFSZ) GNU cp reports EFBIG and
// exits 1; zcp still dies of it: the Go runtime replaces an inherited
// SIG_IGN for SIGXFSZ before zcp can see it (docs/zcp.md).
func TestDiesOfSIGXFSZ(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	gnu, zcp := gnuCp(t), buildZcp(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big"), testutil.Data(1<<20, 5), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cp := range []string{gnu, zcp} {
		if status, _ := shell(t, dir, `ulimit -f 64; "$@" big out1`, cp); status != 153 {
			t.Errorf("%s past ulimit -f: status %d, want 153", cp, status)
		}
		cmd := exec.Command("bash", "-c", `ulimit -f 64; exec "$@"`, "bash", cp, "big", "out2")
		cmd.Dir = dir
		var errb bytes.Buffer
		cmd.Stderr = &errb
		cmd.Run()
		ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !ws.Signaled() || ws.Signal() != syscall.SIGXFSZ || errb.Len() != 0 {
			t.Errorf("%s past ulimit -f: %v, stderr %q; want killed by SIGXFSZ, nothing printed", cp, cmd.ProcessState, errb.String())
		}
		status, stderr := shell(t, dir, `trap '' XFSZ; ulimit -f 64; "$@" big out3`, cp)
		want := 1
		if cp == zcp {
			want = 153
		}
		if status != want || (want == 1 && !strings.Contains(stderr, "File too large")) {
			t.Errorf("%s past ulimit -f, SIGXFSZ ignored: status %d, stderr %q; want %d", cp, status, stderr, want)
		}
	}
}
