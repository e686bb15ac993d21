package zcopy

import (
	"fmt"
	"strings"
)

// Report says how a copy went: which method moved the bytes and why the
// others did not. Fill one with [WithReport]; print it with String.
type Report struct {
	// Source and Destination describe the endpoints after unwrapping,
	// e.g. "regular file (ext4)", "pipe", "tcp socket", "*bytes.Buffer".
	Source, Destination string
	// Method is the method that moved the last bytes (0 if none moved).
	Method Method
	// Written is the byte count Copy returned.
	Written int64
	// Attempts lists every method considered, in order.
	Attempts []Attempt
}

// Attempt is one method considered for a copy.
type Attempt struct {
	Method Method
	// Used is true if the method moved bytes (or reached EOF) for this copy.
	Used bool
	// Written and Calls count the bytes this method moved and the system
	// calls it made (0 calls for a skipped method; the read/write loop
	// counts Read and Write calls).
	Written int64
	Calls   int
	// Reason says why the method was skipped or gave up before moving a
	// byte: a rule ("strict mode", "O_APPEND destination"), an errno from
	// a probe ("EXDEV"), or a cached probe ("EXDEV (cached)").
	Reason string
}

// String prints the report on one line, in the manner of cp --debug: the
// endpoints, then every method considered, in order, with its outcome:
//
//	regular file (ext4) -> regular file (tmpfs): copy_file_range: no (EXDEV), sendfile: yes (1048576 bytes, 2 calls)
func (r *Report) String() string {
	if r == nil {
		return "<nil>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s -> %s", r.Source, r.Destination)
	sep := ": "
	for _, a := range r.Attempts {
		b.WriteString(sep)
		sep = ", "
		b.WriteString(a.Method.String())
		switch {
		case a.Used:
			fmt.Fprintf(&b, ": yes (%d bytes, %d calls)", a.Written, a.Calls)
		case a.Reason != "":
			fmt.Fprintf(&b, ": no (%s)", a.Reason)
		default:
			b.WriteString(": no")
		}
	}
	return b.String()
}

// attempt records one method's outcome if a report was asked for.
func (c *copier) attempt(a Attempt) {
	if c.cfg.report == nil {
		return
	}
	c.cfg.report.Attempts = append(c.cfg.report.Attempts, a)
	// A method that only confirmed EOF after another moved the bytes (the
	// read/write loop after a clone up to a limit) does not take over
	// Method, which names the one that moved the last bytes.
	if a.Used && (a.Written > 0 || c.cfg.report.Method == 0) {
		c.cfg.report.Method = a.Method
	}
}

// describe records the endpoints of the outermost copy in the report.
func (c *copier) describe(src, dst string) {
	if r := c.cfg.report; r != nil && r.Source == "" {
		r.Source, r.Destination = src, dst
	}
}
