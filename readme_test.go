package zcopy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// goBlock matches a fenced Go code block in Markdown.
var goBlock = regexp.MustCompile("(?ms)^```go\n(.*?)^```")

// TestDocsCodeCompiles type-checks every Go code block of the module's
// Markdown files (README.md, BENCHMARKS.md, docs/) as a program against this
// module, with go vet, so that what a reader copies compiles. A block must
// be a whole file: a package clause, its imports, its code.
func TestDocsCodeCompiles(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command in PATH:", err)
	}
	docs, _ := filepath.Glob("docs/*.md")
	docs = append([]string{"README.md", "BENCHMARKS.md"}, docs...)
	blocks := 0
	for _, doc := range docs {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range goBlock.FindAllSubmatchIndex(text, -1) {
			blocks++
			code := string(text[m[2]:m[3]])
			line := 1 + strings.Count(string(text[:m[2]]), "\n")
			name := filepath.Base(doc) + ":" + itoa64(int64(line))
			t.Run(name, func(t *testing.T) {
				if !strings.HasPrefix(code, "package ") {
					t.Fatalf("Go block %d of %s (line %d) is not a whole file: start it with a package clause", i+1, doc, line)
				}
				file := filepath.Join(t.TempDir(), "main.go")
				if err := os.WriteFile(file, []byte(code), 0o644); err != nil {
					t.Fatal(err)
				}
				// Run from the module root, so that the import of
				// github.com/zcopy/zcopy resolves to this tree.
				cmd := exec.Command(goTool, "vet", file)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("Go block %d of %s (line %d) does not compile: %v\n%s", i+1, doc, line, err, out)
				}
			})
		}
	}
	if blocks == 0 {
		t.Fatal("no Go code block found in README.md: the extraction is broken")
	}
}
