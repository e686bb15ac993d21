package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/zcopy/zcopy/copytree"
)

const mib = 1 << 20

func TestFormatProgress(t *testing.T) {
	for _, tc := range []struct {
		name        string
		p           copytree.Progress
		rate        float64
		interrupted bool
		cols        int
		want        string
	}{
		{"running", copytree.Progress{Files: 6789, Bytes: 135 * mib, TotalFiles: 15000, TotalBytes: 270 * mib, TotalsKnown: true, Elapsed: time.Second},
			135 * mib, false, 0, "135.0 MiB / 270.0 MiB   50%  135.0 MiB/s  ETA 0:01  files 6789/15000"},
		{"walk unfinished", copytree.Progress{Files: 10, Bytes: 5 * mib, TotalFiles: 20, TotalBytes: 8 * mib, Elapsed: time.Second},
			5 * mib, false, 0, "5.0 MiB / 8.0 MiB+  5.0 MiB/s  files 10/20+"},
		{"done", copytree.Progress{Files: 20, Bytes: 8 * mib, TotalFiles: 20, TotalBytes: 8 * mib, TotalsKnown: true, Elapsed: 2 * time.Second, Done: true},
			4 * mib, false, 0, "8.0 MiB / 8.0 MiB  100%  4.0 MiB/s  files 20/20  in 0:02"},
		{"no bytes to copy", copytree.Progress{Files: 3, TotalFiles: 4, TotalsKnown: true},
			0, false, 0, "0 B / 0 B   75%  files 3/4"},
		// What the issue saw after ^C: 60,600 files of which 13,333 done
		// while the walk had counted 40,000.
		{"interrupted, walk unfinished", copytree.Progress{Files: 13333, Bytes: 132 * mib, TotalFiles: 40000, TotalBytes: 400 * mib, Elapsed: 12 * time.Second, Done: true},
			11 * mib, true, 0, "interrupted  132.0 MiB / 400.0 MiB+  11.0 MiB/s  files 13333/40000+  in 0:12"},
		{"interrupted, totals known", copytree.Progress{Files: 13333, Bytes: 132 * mib, TotalFiles: 60600, TotalBytes: 528 * mib, TotalsKnown: true, Elapsed: 12 * time.Second},
			11 * mib, true, 0, "interrupted  132.0 MiB / 528.0 MiB   25%  11.0 MiB/s  files 13333/60600  in 0:12"},
		{"40 columns", copytree.Progress{Files: 6789, Bytes: 135 * mib, TotalFiles: 15000, TotalBytes: 270 * mib, TotalsKnown: true, Elapsed: time.Second},
			135 * mib, false, 40, "135.0 MiB / 270.0 MiB  50% ETA 0:01"},
		{"40 columns, interrupted", copytree.Progress{Files: 13333, Bytes: 132 * mib, TotalFiles: 40000, TotalBytes: 400 * mib, Elapsed: 12 * time.Second, Done: true},
			11 * mib, true, 40, "interrupted 132.0 MiB / 400.0 MiB+"},
		{"20 columns", copytree.Progress{Files: 6789, Bytes: 135 * mib, TotalFiles: 15000, TotalBytes: 270 * mib, TotalsKnown: true, Elapsed: time.Second},
			135 * mib, false, 20, " 50%"},
		{"3 columns", copytree.Progress{Files: 6789, Bytes: 135 * mib, TotalFiles: 15000, TotalBytes: 270 * mib, TotalsKnown: true, Elapsed: time.Second},
			135 * mib, true, 3, "in"},
	} {
		got := formatProgress(tc.p, tc.rate, tc.interrupted, tc.cols)
		if got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
		if tc.cols > 0 && len(got) >= tc.cols {
			t.Errorf("%s: %d columns in a terminal of %d", tc.name, len(got), tc.cols)
		}
	}
}

// TestETAWithoutPrompt: the rate, and so the ETA, leaves out the time a
// prompt (-i) waited for its answer, and the bar stays off the prompt's
// line meanwhile.
func TestETAWithoutPrompt(t *testing.T) {
	var out bytes.Buffer
	b := &progressBar{w: &out, cols: func() int { return 100 }, term: true}
	b.update(copytree.Progress{Bytes: 100 * mib, TotalBytes: 400 * mib, TotalsKnown: true, Elapsed: time.Second})
	b.pause()
	out.Reset()
	b.update(copytree.Progress{Bytes: 100 * mib, TotalBytes: 400 * mib, TotalsKnown: true, Elapsed: 50 * time.Second})
	b.update(copytree.Progress{Bytes: 100 * mib, TotalBytes: 400 * mib, TotalsKnown: true, Elapsed: 100 * time.Second})
	if out.Len() != 0 {
		t.Errorf("drawn over the prompt: %q", out.String())
	}
	b.resume()
	b.update(copytree.Progress{Bytes: 200 * mib, TotalBytes: 400 * mib, TotalsKnown: true, Elapsed: 101 * time.Second})
	b.update(copytree.Progress{Bytes: 300 * mib, TotalBytes: 400 * mib, TotalsKnown: true, Elapsed: 102 * time.Second})
	line := out.String()[strings.LastIndexByte(out.String(), '\r')+1:]
	if want := "300.0 MiB / 400.0 MiB   75%  100.0 MiB/s  ETA 0:01  files 0/0\x1b[K"; line != want {
		t.Errorf("after the prompt: %q, want %q", line, want)
	}
}

// TestProgressOperands: with several source operands the line adds their
// copies up, its totals are lower bounds ("+") until the last operand's
// walk has counted, and the final line is the whole copy's.
func TestProgressOperands(t *testing.T) {
	var out bytes.Buffer
	b := newProgressBar(&out, 2)
	b.cols, b.term = func() int { return 100 }, true
	lastDrawn := func() string {
		s := out.String()
		return strings.TrimSuffix(s[strings.LastIndexByte(s, '\r')+1:], "\x1b[K")
	}
	b.update(copytree.Progress{Files: 2, Bytes: 2 * mib, TotalFiles: 2, TotalBytes: 2 * mib, TotalsKnown: true, Elapsed: time.Second, Done: true})
	if got, want := lastDrawn(), "2.0 MiB / 2.0 MiB+  2.0 MiB/s  files 2/2+"; got != want {
		t.Errorf("first operand done: %q, want %q", got, want)
	}
	b.update(copytree.Progress{Files: 1, Bytes: 1 * mib, TotalFiles: 3, TotalBytes: 6 * mib, TotalsKnown: true, Elapsed: time.Second})
	if got, want := lastDrawn(), "3.0 MiB / 8.0 MiB   37%  1.5 MiB/s  ETA 0:03  files 3/5"; got != want {
		t.Errorf("second operand: %q, want %q", got, want)
	}
	b.update(copytree.Progress{Files: 3, Bytes: 6 * mib, TotalFiles: 3, TotalBytes: 6 * mib, TotalsKnown: true, Elapsed: 2 * time.Second, Done: true})
	b.finish()
	if got, want := out.String()[strings.LastIndexByte(out.String(), '\r')+1:], "8.0 MiB / 8.0 MiB  100%  2.7 MiB/s  files 5/5  in 0:03\x1b[K\n"; got != want {
		t.Errorf("final: %q, want %q", got, want)
	}
}
