package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/zcopy/zcopy/copytree"
)

// checkedWriter keeps the first error writing standard output, which cp
// reports once at exit ("write error: No space left on device", exit 1),
// as gnulib's close_stdout does.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

type jsonSummary struct {
	Files     int64            `json:"files"`
	Dirs      int64            `json:"dirs"`
	Symlinks  int64            `json:"symlinks"`
	HardLinks int64            `json:"hardlinks"`
	Specials  int64            `json:"specials"`
	Bytes     int64            `json:"bytes"`
	Skipped   int64            `json:"skipped"`
	Errors    int64            `json:"errors"`
	Methods   map[string]int64 `json:"methods"`
	Seconds   float64          `json:"seconds"`
	Jobs      int              `json:"jobs"`
}

func (e *env) printJSON(s copytree.Summary, elapsed time.Duration) {
	if s.Methods == nil {
		s.Methods = map[string]int64{}
	}
	out, _ := json.Marshal(jsonSummary{Files: s.Files, Dirs: s.Dirs, Symlinks: s.Symlinks, HardLinks: s.HardLinks,
		Specials: s.Specials, Bytes: s.Bytes, Skipped: s.Skipped, Errors: s.Errors, Methods: s.Methods,
		Seconds: elapsed.Seconds(), Jobs: e.jobs})
	fmt.Fprintf(e.stdout, "%s\n", out)
}
