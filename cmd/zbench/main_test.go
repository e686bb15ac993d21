package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/zcopy/zcopy/cmd/zbench/internal/bench"
)

func TestMain(m *testing.M) {
	// zbench starts copies of itself as senders and receivers; in a
	// test, the copy is this binary.
	if bench.IsChild() {
		os.Exit(run(nil, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func needLinux(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("zbench measures Linux system calls")
	}
}

func TestBadInput(t *testing.T) {
	needLinux(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-scenario", "unix,nope"}, `zbench: -scenario: unknown scenario "nope" (have unix, tcp, file, pipe, sock2file, small, tree, uring)`},
		{[]string{"-size", "abc"}, `zbench: -size: cannot parse "abc"`},
		{[]string{"-size", "12 parsecs"}, `zbench: -size: cannot parse "12 parsecs"`},
		{[]string{"-runs", "0"}, `zbench: -runs: must be at least 1, not 0`},
		{[]string{"-bogus"}, `zbench: flag provided but not defined: -bogus`},
		{[]string{"-dir", filepath.Join(dir, "missing")}, `zbench: -dir ` + filepath.Join(dir, "missing") + `: no such file or directory`},
		{[]string{"-dir", file}, `zbench: -dir ` + file + `: not a directory`},
		{[]string{"-dir", dir, "-size", "1000PiB"}, `zbench: -dir ` + dir + `: not enough free space: need 2.0 EiB, have `},
		{[]string{"floor", "threads"}, `usage: zbench floor one|threads|unshare|procs SRC DST`},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, nil, &out, &errb)
		msg := errb.String()
		if code != 2 || !strings.HasPrefix(msg, tc.want) || strings.Count(msg, "\n") != 1 || out.Len() != 0 {
			t.Errorf("run(%q) = %d, stderr %q, stdout %q; want 2 and one line starting %q", tc.args, code, msg, out.String(), tc.want)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("bad input left files behind: %v", ents)
	}
}

// TestUnwritableDir needs a directory this process cannot create in: mode
// 0555 stops everyone but root; for root, the immutable flag (chattr +i)
// does where the filesystem has it.
func TestUnwritableDir(t *testing.T) {
	needLinux(t)
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	want := "zbench: -dir " + dir + ": not writable: permission denied\n"
	if os.Geteuid() == 0 {
		restore, err := setImmutable(dir)
		if err != nil {
			t.Skipf("root, and no immutable flag here: %v", err)
		}
		defer restore()
		want = "zbench: -dir " + dir + ": not writable: operation not permitted\n"
	}
	var out, errb bytes.Buffer
	code := run([]string{"-scenario", "unix", "-size", "1MiB", "-dir", dir}, nil, &out, &errb)
	if code != 2 || errb.String() != want {
		t.Errorf("run = %d, %q; want 2, %q", code, errb.String(), want)
	}
}

func TestHelp(t *testing.T) {
	needLinux(t)
	var out, errb bytes.Buffer
	if code := run([]string{"-h"}, nil, &out, &errb); code != 0 || !strings.Contains(errb.String(), "-scenario") {
		t.Errorf("run(-h) = %d, stderr %q", code, errb.String())
	}
}

// TestEndToEnd runs two scenarios at a tiny size, once each, and checks
// that every row was verified and that no temporary file is left.
func TestEndToEnd(t *testing.T) {
	needLinux(t)
	dir := t.TempDir()
	svg := filepath.Join(t.TempDir(), "chart.svg")
	var out, errb bytes.Buffer
	code := run([]string{"-scenario", "unix,pipe", "-size", "1MiB", "-runs", "1", "-dir", dir, "-json", "-svg", svg, "-q"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("run = %d; stderr:\n%s", code, errb.String())
	}
	var res bench.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("bad JSON: %v", err)
	}
	if len(res.Tables) != 3 {
		t.Fatalf("got %d tables, want unix, pipe in, pipe out", len(res.Tables))
	}
	rows := 0
	for _, tb := range res.Tables {
		for _, r := range tb.Rows {
			rows++
			if !r.Verified || len(r.Runs) != 1 || r.Runs[0].Bytes != 1<<20 || r.Median <= 0 {
				t.Errorf("%s: %s: verified %v, failure %q, runs %+v", tb.Title, r.Name, r.Verified, r.Failure, r.Runs)
			}
			if r.Kind == "zcopy" && r.Method == "" {
				t.Errorf("%s: %s: no method from zcopy's report", tb.Title, r.Name)
			}
			// Every table here has a second process; its CPU time was
			// measured.
			if tb.Peer == "" || r.Runs[0].PeerCPU <= 0 || r.TotalCPU != r.CPU+r.PeerCPU || r.VsIOCopy <= 0 || r.Switches <= 0 || r.PeerSwitches <= 0 {
				t.Errorf("%s: %s: peer %q, CPU %v + %v = %v, vs io.Copy %v", tb.Title, r.Name, tb.Peer, r.CPU, r.PeerCPU, r.TotalCPU, r.VsIOCopy)
			}
		}
	}
	if rows != 8+6+7 {
		t.Errorf("got %d rows, want 21", rows)
	}
	if b, err := os.ReadFile(svg); err != nil || !bytes.HasPrefix(b, []byte("<svg")) {
		t.Errorf("no SVG written: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind in -dir: %v", ents)
	}

	// The markdown form of the same run.
	out.Reset()
	if code := run([]string{"-scenario", "unix", "-size", "64KiB", "-runs", "1", "-dir", dir, "-q"}, nil, &out, &errb); code != 0 {
		t.Fatalf("markdown run = %d; stderr:\n%s", code, errb.String())
	}
	md := out.String()
	if !strings.HasPrefix(md, bench.Title+"\n") || !strings.Contains(md, "| read/send (64 KiB) |") || strings.Contains(md, "FAILED") ||
		!strings.Contains(md, "| vs io.Copy | Sender CPU | Receiver CPU | Total CPU |") {
		t.Errorf("markdown:\n%s", md)
	}
}
