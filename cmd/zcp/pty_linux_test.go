package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ptyRun is a command running on a pseudo-terminal as its controlling
// terminal, as in a terminal emulator: what it writes is drawn on a
// screen of the terminal's width, which the test reads.
type ptyRun struct {
	t      *testing.T
	master *os.File
	cmd    *exec.Cmd
	done   chan struct{} // closed when the command has exited
	state  *os.ProcessState

	mu     sync.Mutex
	screen screen
}

// startPty starts name args on a new pseudo-terminal of cols columns, in
// a session of its own with the terminal as its controlling terminal, so
// that ^C typed there sends SIGINT to it.
func startPty(t *testing.T, cols int, dir string, name string, args ...string) *ptyRun {
	t.Helper()
	master, slave := openPty(t)
	setPtyWidth(t, master, cols)
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	r := &ptyRun{t: t, master: master, cmd: cmd, done: make(chan struct{}), screen: screen{cols: cols}}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			r.mu.Lock()
			r.screen.write(buf[:n])
			r.mu.Unlock()
			if err != nil {
				return // EIO once the last holder of the slave has gone
			}
		}
	}()
	go func() {
		cmd.Wait()
		r.state = cmd.ProcessState
		close(r.done)
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			cmd.Process.Kill()
			<-r.done
		}
	})
	return r
}

// openPty opens a pseudo-terminal pair: the slave as a terminal in its
// default (cooked) modes.
func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetUint32(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open slave: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// setPtyWidth resizes the terminal (the kernel sends SIGWINCH to its
// foreground process group).
func setPtyWidth(t *testing.T, master *os.File, cols int) {
	t.Helper()
	if err := unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: uint16(cols)}); err != nil {
		t.Fatal(err)
	}
}

// resize changes the width of the terminal and of its screen.
func (r *ptyRun) resize(cols int) {
	r.mu.Lock()
	r.screen.cols = cols
	r.mu.Unlock()
	setPtyWidth(r.t, r.master, cols)
}

// typeKeys writes s as typed on the keyboard.
func (r *ptyRun) typeKeys(s string) {
	if _, err := r.master.Write([]byte(s)); err != nil {
		r.t.Fatal(err)
	}
}

// snapshot returns the screen's lines (trailing blanks cut), the cursor
// line's index and the number of times a line wrapped.
func (r *ptyRun) snapshot() (lines []string, cursor, wraps int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.screen.lines {
		lines = append(lines, strings.TrimRight(string(l), " "))
	}
	return lines, r.screen.row, r.screen.wraps
}

// waitFor waits until cond holds for the screen, failing after a minute
// with what the screen shows.
func (r *ptyRun) waitFor(what string, cond func(lines []string, cursor int) bool) {
	r.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		lines, cursor, _ := r.snapshot()
		if cond(lines, cursor) {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("no %s on the screen:\n%s", what, strings.Join(lines, "\n"))
		}
		select {
		case <-r.done:
			time.Sleep(100 * time.Millisecond) // the last output
			lines, cursor, _ := r.snapshot()
			if !cond(lines, cursor) {
				r.t.Fatalf("exited (%v) with no %s on the screen:\n%s", r.state, what, strings.Join(lines, "\n"))
			}
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// wait waits for the command to exit (a minute at most) and for the
// reader to drain the terminal.
func (r *ptyRun) wait() *os.ProcessState {
	r.t.Helper()
	select {
	case <-r.done:
	case <-time.After(time.Minute):
		lines, _, _ := r.snapshot()
		r.t.Fatalf("still running after a minute:\n%s", strings.Join(lines, "\n"))
	}
	time.Sleep(100 * time.Millisecond)
	return r.state
}

// screen is the part of a terminal emulator that matters here: printable
// bytes drawn at the cursor with automatic wrap at the right margin,
// carriage return, line feed, backspace, and CSI K (erase to the end of
// the line); other escape sequences are skipped.
type screen struct {
	cols     int
	lines    [][]byte
	row, col int
	wraps    int // lines continued on the next because they were too long
	esc      []byte
}

func (s *screen) write(p []byte) {
	for _, c := range p {
		if s.esc != nil {
			s.esc = append(s.esc, c)
			if len(s.esc) >= 2 && (c >= 0x40 && c <= 0x7e) && !(len(s.esc) == 2 && c == '[') {
				if bytes.Equal(s.esc, []byte("\x1b[K")) || bytes.Equal(s.esc, []byte("\x1b[0K")) {
					s.line()
					l := s.lines[s.row]
					if s.col < len(l) {
						s.lines[s.row] = l[:s.col]
					}
				}
				s.esc = nil
			}
			continue
		}
		switch {
		case c == 0x1b:
			s.esc = []byte{c}
		case c == '\r':
			s.col = 0
		case c == '\n':
			s.row++
			s.line()
		case c == '\b':
			if s.col > 0 {
				s.col--
			}
		case c >= 0x20 && c < 0x7f:
			if s.col >= s.cols {
				s.wraps++
				s.row++
				s.col = 0
			}
			s.line()
			l := s.lines[s.row]
			for len(l) <= s.col {
				l = append(l, ' ')
			}
			l[s.col] = c
			s.lines[s.row] = l
			s.col++
		}
	}
}

// line makes sure the cursor's line exists.
func (s *screen) line() {
	for len(s.lines) <= s.row {
		s.lines = append(s.lines, nil)
	}
}

// TestScreen pins the emulator the pty tests read through.
func TestScreen(t *testing.T) {
	s := screen{cols: 10}
	s.write([]byte("abcdefghijkl\r\nxyz\rX\x1b[K\n12345\x1b[1mA"))
	want := []string{"abcdefghij", "kl", "X", " 12345A"}
	for i, l := range s.lines {
		if i >= len(want) || string(l) != want[i] {
			t.Fatalf("lines %q, want %q", s.lines, want)
		}
	}
	if s.wraps != 1 {
		t.Errorf("%d wraps, want 1", s.wraps)
	}
}
