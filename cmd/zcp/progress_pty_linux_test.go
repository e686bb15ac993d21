package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zcopy/zcopy/internal/testutil"
)

// lastLine is the last line of the screen with something on it.
func lastLine(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if lines[i] != "" {
			return lines[i]
		}
	}
	return ""
}

func mkfile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// progressTree makes a tree with hard links, a sparse file, a symlink and
// a FIFO, which keeps the copy (--copy-contents) running until it is fed:
// 24 files (the symlink is none), 66.2 MiB once.
func progressTree(t *testing.T, dir string) (src, fifo string) {
	src = filepath.Join(dir, "src")
	for i := range 20 {
		mkfile(t, filepath.Join(src, "d", string(rune('a'+i))), testutil.Data(64<<10, uint64(i)))
	}
	mkfile(t, filepath.Join(src, "big"), testutil.Data(1<<20, 99))
	if err := os.Link(filepath.Join(src, "big"), filepath.Join(src, "d", "big.link")); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(src, "sparse"))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt(testutil.Data(4096, 7), 1<<20)
	f.Truncate(64 << 20)
	f.Close()
	if err := os.Symlink("big", filepath.Join(src, "sym")); err != nil {
		t.Fatal(err)
	}
	fifo = filepath.Join(src, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	return src, fifo
}

// feed opens the FIFO for writing (zcp is its reader), writes s and
// closes it.
func feed(t *testing.T, fifo, s string) {
	t.Helper()
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteString(s)
	w.Close()
}

// TestProgressOnTerminal: zcp -a on a terminal (progress on by default)
// redraws a line that fits 40 columns without wrapping, fits a terminal
// resized while it runs, and ends at 100 % in bytes and files for a tree
// with hard links, a sparse file and a symlink.
func TestProgressOnTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	zcp := buildZcp(t)
	dir := t.TempDir()
	src, fifo := progressTree(t, dir)
	r := startPty(t, 40, dir, zcp, "-a", "--copy-contents", "src", "dst")
	r.waitFor("progress line", func(lines []string, _ int) bool { return strings.Contains(lastLine(lines), "MiB") })
	time.Sleep(350 * time.Millisecond) // redraws while the FIFO holds the copy
	if lines, _, wraps := r.snapshot(); wraps != 0 || len(lines) != 1 || len(lines[0]) >= 40 {
		t.Errorf("at 40 columns, %d wraps:\n%s", wraps, strings.Join(lines, "\n"))
	}
	r.resize(30)
	// The width is read at each redraw: wait for the first one at 30
	// columns (a loaded machine may take more than a tick), then count
	// wraps from there on. A redraw that read the width just before the
	// resize may have wrapped once, as with any terminal program.
	r.waitFor("a line redrawn within 30 columns", func(lines []string, _ int) bool { return len(lastLine(lines)) < 30 })
	_, _, before := r.snapshot()
	time.Sleep(350 * time.Millisecond)
	if lines, _, wraps := r.snapshot(); wraps != before || len(lastLine(lines)) >= 30 {
		t.Errorf("resized to 30 columns, %d wraps after the first redraw:\n%s", wraps-before, strings.Join(lines, "\n"))
	}
	r.resize(120)
	feed(t, fifo, "x")
	if st := r.wait(); !st.Success() {
		t.Fatalf("zcp: %v", st)
	}
	lines, _, wraps := r.snapshot()
	last := lastLine(lines)
	if wraps != before || !strings.Contains(last, "66.2 MiB / 66.2 MiB  100%") || !strings.Contains(last, "files 24/24") {
		t.Errorf("final line %q (%d wraps), want 66.2 MiB of 66.2 MiB, 100 %%, files 24/24", last, wraps-before)
	}
	if _, err := os.Stat(filepath.Join(src, "sym")); err != nil {
		t.Fatal(err)
	}
}

// promptTree makes src/a and src/b, with dst/src/a already there: zcp -ri
// src dst asks before overwriting dst/src/a.
func promptTree(t *testing.T, dir string) {
	mkfile(t, filepath.Join(dir, "src", "a"), testutil.Data(3000, 1))
	mkfile(t, filepath.Join(dir, "src", "b"), testutil.Data(5000, 2))
	mkfile(t, filepath.Join(dir, "dst", "src", "a"), []byte("old"))
}

const promptText = ": overwrite 'dst/src/a'?"

func atPrompt(lines []string, cursor int) bool {
	return cursor < len(lines) && strings.HasSuffix(lines[cursor], promptText)
}

// TestProgressLeavesThePrompt: with -i on a terminal, the progress line
// stays off the question while it waits for an answer, and the finished
// copy, a file kept by the answer, reads 100 %.
func TestProgressLeavesThePrompt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	zcp := buildZcp(t)
	dir := t.TempDir()
	promptTree(t, dir)
	r := startPty(t, 80, dir, zcp, "-ri", "-j1", "src", "dst")
	r.waitFor("prompt", atPrompt)
	time.Sleep(350 * time.Millisecond) // three ticks of the bar
	if lines, cursor, _ := r.snapshot(); !atPrompt(lines, cursor) || !strings.HasPrefix(lines[cursor], zcp+promptText) {
		t.Fatalf("the prompt was drawn over:\n%s", strings.Join(lines, "\n"))
	}
	r.typeKeys("n\r")
	if st := r.wait(); !st.Success() {
		t.Fatalf("zcp: %v", st)
	}
	lines, _, _ := r.snapshot()
	if !strings.HasPrefix(lines[0], zcp+promptText+" n") {
		t.Errorf("the prompt's line: %q", lines[0])
	}
	if last := lastLine(lines); !strings.Contains(last, "4.9 KiB / 4.9 KiB  100%") || !strings.Contains(last, "files 2/2") {
		t.Errorf("final line %q, want 4.9 KiB of 4.9 KiB, 100 %%, files 2/2", last)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "dst", "src", "a")); string(b) != "old" {
		t.Errorf("dst/src/a overwritten after n")
	}
}

// TestCtrlCAtPrompt: ^C typed at the -i prompt ends cp at once, by
// SIGINT, without waiting for Enter (GNU cp 9.1 and zcp); zcp leaves the
// progress line, marked interrupted, below the question.
func TestCtrlCAtPrompt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	zcp := buildZcp(t)
	for _, cp := range []string{"/usr/bin/cp", zcp} {
		if _, err := exec.LookPath(cp); err != nil {
			t.Logf("no %s: %v", cp, err)
			continue
		}
		dir := t.TempDir()
		promptTree(t, dir)
		r := startPty(t, 80, dir, cp, "-ri", "src", "dst")
		r.waitFor("prompt", atPrompt)
		r.typeKeys("\x03")
		st := r.wait()
		if ws := st.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGINT {
			t.Errorf("%s: %v after ^C at the prompt, want killed by SIGINT", cp, st)
		}
		lines, _, _ := r.snapshot()
		if cp == zcp && !strings.HasPrefix(lastLine(lines), "interrupted ") {
			t.Errorf("no interrupted line:\n%s", strings.Join(lines, "\n"))
		}
	}
}

// TestCtrlCDuringCopy: ^C while a copy runs ends zcp by SIGINT, as it
// ends GNU cp, with the line saying what was done of what.
func TestCtrlCDuringCopy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	zcp := buildZcp(t)
	dir := t.TempDir()
	progressTree(t, dir)
	r := startPty(t, 120, dir, zcp, "-a", "--copy-contents", "src", "dst")
	r.waitFor("progress line", func(lines []string, _ int) bool { return strings.Contains(lastLine(lines), "MiB") })
	time.Sleep(200 * time.Millisecond)
	r.typeKeys("\x03")
	st := r.wait()
	if ws := st.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Errorf("%v after ^C, want killed by SIGINT", st)
	}
	lines, _, _ := r.snapshot()
	last := lastLine(lines)
	m := regexp.MustCompile(`^interrupted  [0-9.]+ [KM]iB / 66.2 MiB +[0-9]+%  .*files ([0-9]+)/24  in 0:0[0-9]$`).FindStringSubmatch(last)
	if m == nil || m[1] == "24" || strings.Contains(last, "100%") {
		t.Errorf("final line %q, want interrupted, what was done of 66.2 MiB and 24 files", last)
	}
	for _, l := range lines {
		if strings.Contains(l, zcp+":") {
			t.Errorf("a message after the interrupt: %q", l)
		}
	}
}
