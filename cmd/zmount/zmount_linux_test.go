package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/testutil"
	memfuse "github.com/zcopy/zcopy/memfs/fuse"
)

type leakCheckM struct{ m *testing.M }

func (l leakCheckM) Run() int { return testutil.RunWithLeakCheck(l.m, nil) }

func TestMain(m *testing.M) {
	testscript.Main(leakCheckM{m}, map[string]func(){
		"zmount": func() { os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// canMount says whether this process can mount FUSE with mount(2).
func canMount() (bool, string) {
	if !memfuse.Supported {
		return false, "memfs/fuse cannot mount on " + runtime.GOARCH
	}
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		return false, err.Error()
	}
	f.Close()
	if os.Geteuid() != 0 {
		return false, "not root"
	}
	return true, ""
}

// TestScripts runs the scenarios in testdata/*.txt: zmount as a user
// scripts it (background server, signals, umount from outside).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata",
		Setup: func(e *testscript.Env) error {
			e.Setenv("LC_ALL", "C")
			// Unmount what a failed scenario left mounted.
			e.Defer(func() {
				for _, d := range []string{"mnt", "mnt2"} {
					unix.Unmount(e.WorkDir+"/"+d, unix.MNT_DETACH)
				}
			})
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "fuse":
				ok, _ := canMount()
				return ok, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// unmount DIR: umount(2) as umount(8) does, retrying EBUSY
			// for up to 10 s: for a moment after the mount appears,
			// go-fuse's WaitMount still has a probe file open in it
			// (.go-fuse-epoll-hack), and a script that unmounts at once
			// can meet that (docs/zmount.md says so).
			"unmount": func(ts *testscript.TestScript, neg bool, args []string) {
				dir := ts.MkAbs(args[0])
				var err error
				for i := 0; i < 1000; i++ {
					if err = unix.Unmount(dir, 0); err != unix.EBUSY {
						break
					}
					time.Sleep(10 * time.Millisecond)
				}
				if (err != nil) != neg {
					ts.Fatalf("umount %s: %v", args[0], err)
				}
			},
			// waitmount DIR: wait (up to 10 s) until DIR is a mount point.
			"waitmount": func(ts *testscript.TestScript, neg bool, args []string) {
				dir := ts.MkAbs(args[0])
				for i := 0; i < 1000; i++ {
					if isMounted(dir) != neg {
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
				ts.Fatalf("%s: mounted=%v after 10s", dir, !neg)
			},
			// errno ERRNO CMD ARGS...: the system call fails with ERRNO.
			"stat": func(ts *testscript.TestScript, neg bool, args []string) {
				var st unix.Stat_t
				err := unix.Stat(ts.MkAbs(args[0]), &st)
				if len(args) > 1 {
					want, _ := strconv.Atoi(args[1])
					if err != syscall.Errno(want) {
						ts.Fatalf("stat %s: %v, want %v", args[0], err, syscall.Errno(want))
					}
					return
				}
				if (err != nil) != neg {
					ts.Fatalf("stat %s: %v", args[0], err)
				}
			},
		},
	})
}

// isMounted says whether dir is a mount point (its device differs from
// its parent's).
func isMounted(dir string) bool {
	var a, b unix.Stat_t
	if unix.Lstat(dir, &a) != nil || unix.Lstat(dir+"/..", &b) != nil {
		return false
	}
	return a.Dev != b.Dev
}

// TestParseSize pins --limit's units.
func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "4096": 4096, "1K": 1024, "2M": 2 << 20, "3G": 3 << 30, "1T": 1 << 40, "5MiB": 5 << 20, "7k": 7 << 10} {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "1X", "-1", "1.5G", "99999999999T"} {
		if n, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, n)
		}
	}
}

// TestSIGTERM: SIGTERM unmounts and exits 0, like SIGINT; with a process
// inside the mount, zmount detaches it and exits when that one leaves.
func TestSIGTERM(t *testing.T) {
	if ok, why := canMount(); !ok {
		t.Skip(why)
	}
	zmount, err := exec.LookPath("zmount")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ busy, twice bool }{{false, false}, {true, false}, {true, true}} {
		busy := c.busy
		dir := t.TempDir()
		src, mnt := filepath.Join(dir, "src"), filepath.Join(dir, "mnt")
		os.Mkdir(src, 0o755)
		os.Mkdir(mnt, 0o755)
		os.WriteFile(filepath.Join(src, "f"), []byte("x"), 0o644)
		cmd := exec.Command(zmount, src, mnt)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 1000 && !isMounted(mnt); i++ {
			time.Sleep(10 * time.Millisecond)
		}
		if !isMounted(mnt) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("not mounted: %s", stderr.String())
		}
		var hold *os.File
		if busy {
			if hold, err = os.Open(filepath.Join(mnt, "f")); err != nil {
				t.Fatal(err)
			}
		}
		cmd.Process.Signal(syscall.SIGTERM)
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if c.twice {
			// A second signal while detached stops it at once: exit 1.
			time.Sleep(200 * time.Millisecond)
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-exited:
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != 1 {
					t.Errorf("second SIGTERM: %v, want exit status 1", err)
				}
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatal("second SIGTERM: zmount did not exit")
			}
			hold.Close()
			continue
		}
		if busy {
			select {
			case err := <-exited:
				t.Fatalf("busy mount: zmount exited (%v) with a file open", err)
			case <-time.After(200 * time.Millisecond):
			}
			if isMounted(mnt) {
				t.Error("busy mount still attached after SIGTERM")
			}
			b := make([]byte, 1)
			if _, err := hold.ReadAt(b, 0); err != nil || b[0] != 'x' {
				t.Errorf("open file of a detached mount: %q %v", b, err)
			}
			hold.Close()
		}
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("busy=%v: zmount: %v\n%s", busy, err, stderr.String())
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("busy=%v: zmount did not exit after SIGTERM", busy)
		}
		if isMounted(mnt) {
			t.Errorf("busy=%v: still mounted", busy)
			unix.Unmount(mnt, unix.MNT_DETACH)
		}
		if busy && !strings.Contains(stderr.String(), "is busy: detached it") {
			t.Errorf("busy: stderr %q", stderr.String())
		}
	}
}
