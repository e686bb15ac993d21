package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestJSONCountsCopied: --json "files" counts regular files copied; a
// file -n kept counts in "skipped" only (docs/zcp.md).
func TestJSONCountsCopied(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{"src/kept": "new", "src/copied": "data", "dst/kept": "old"} {
		mkfile(t, filepath.Join(dir, name), []byte(data))
	}
	var out, errb bytes.Buffer
	if code := run(nil, []string{"zcp", "-rn", "--json", "-T", filepath.Join(dir, "src"), filepath.Join(dir, "dst")},
		strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var s jsonSummary
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatalf("%v: %q", err, out.String())
	}
	// dst existed: merged into, not created, so not a directory copied
	// (cp -v does not name it either).
	if s.Files != 1 || s.Skipped != 1 || s.Bytes != 4 || s.Dirs != 0 {
		t.Errorf("summary %s: want 1 file copied, 1 skipped, 4 bytes, 0 dirs", out.String())
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "dst", "kept")); string(b) != "old" {
		t.Errorf("dst/kept is %q", b)
	}
}
