//go:build linux

package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"golang.org/x/sys/unix"
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
