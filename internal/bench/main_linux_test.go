//go:build linux

package bench

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"slices"
	"strings"
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

// TestTreeScenarioOptIn: tree is accepted by -scenario but not run by
// default (it prepares two large trees).
func TestTreeScenarioOptIn(t *testing.T) {
	c, err := parseFlags([]string{"-scenario", "tree,unix"}, io.Discard)
	if err != nil || strings.Join(c.scenarios, ",") != "unix,tree" {
		t.Fatalf("%v %v", c, err)
	}
	c, _ = parseFlags(nil, io.Discard)
	if slices.Contains(c.scenarios, "tree") {
		t.Error("tree runs by default")
	}
}
