package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/zcopy/zcopy/copytree"
)

// progressBar draws one line on a terminal: bytes done/total, percent,
// rate, ETA and files, redrawn in place with a carriage return and cut to
// the terminal's width, read again at every redraw (a resized terminal
// gets a fitting line at the next tick, without a SIGWINCH handler).
//
// Each source operand is one copy with its own snapshots; the line adds
// them up: the operands finished, then the one being copied. The totals
// are final only in the last operand, whose totals the walk has counted.
type progressBar struct {
	mu       sync.Mutex
	w        io.Writer
	cols     func() int        // the terminal's width; 0: not a terminal
	term     bool              // cols was > 0 when the bar was made
	width    int               // of the last line drawn, to clear it
	operands int               // source operands to copy
	base     copytree.Progress // the operands finished, added up
	dones    int               // how many
	raw      copytree.Progress // the current operand's last snapshot
	last     copytree.Progress // what the line shows: base and raw

	// The rate counts only time the copy was not waiting at a prompt (-i):
	// intervals between snapshots that touch a pause are left out, both
	// their time and their bytes.
	paused, afterPause bool
	prev               copytree.Progress
	activeBytes        int64
	activeTime         time.Duration
}

func newProgressBar(w io.Writer, operands int) *progressBar {
	b := &progressBar{w: w, cols: func() int { return termWidth(w) }, operands: operands}
	b.term = b.cols() > 0
	return b
}

func (b *progressBar) update(p copytree.Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.raw.Done { // the next operand's first snapshot
		b.base = addProgress(b.base, b.raw)
		b.dones++
		b.prev = copytree.Progress{} // its snapshots count from 0
	}
	b.raw = p
	b.account(p)
	b.last = addProgress(b.base, p)
	last := b.dones >= b.operands-1
	b.last.TotalsKnown = p.TotalsKnown && last
	b.last.Done = p.Done && last
	if b.paused {
		return // a question is on the line
	}
	b.draw(b.format(false))
}

// addProgress adds the counts and times of two copies.
func addProgress(a, p copytree.Progress) copytree.Progress {
	return copytree.Progress{Files: a.Files + p.Files, Bytes: a.Bytes + p.Bytes, TotalFiles: a.TotalFiles + p.TotalFiles,
		TotalBytes: a.TotalBytes + p.TotalBytes, Elapsed: a.Elapsed + p.Elapsed}
}

// account adds the interval since the previous snapshot to the rate's
// figures, unless a prompt was up during it.
func (b *progressBar) account(p copytree.Progress) {
	prev := b.prev
	if !b.paused && !b.afterPause && p.Bytes >= prev.Bytes {
		b.activeTime += p.Elapsed - prev.Elapsed
		b.activeBytes += p.Bytes - prev.Bytes
	}
	b.afterPause = b.paused
	b.prev = p
}

func (b *progressBar) rate() float64 {
	if b.activeTime <= 0 {
		return 0
	}
	return float64(b.activeBytes) / b.activeTime.Seconds()
}

func (b *progressBar) format(interrupted bool) string {
	cols := 0
	if b.term {
		cols = b.cols()
	}
	return formatProgress(b.last, b.rate(), interrupted, cols)
}

// draw replaces the line with line. On a terminal the rest of the line is
// erased (CSI K): spaces to the old width would wrap a narrowed terminal.
func (b *progressBar) draw(line string) {
	if b.term {
		fmt.Fprintf(b.w, "\r%s\x1b[K", line)
	} else {
		pad := ""
		if n := b.width - len(line); n > 0 {
			pad = strings.Repeat(" ", n)
		}
		fmt.Fprintf(b.w, "\r%s%s", line, pad)
	}
	b.width = len(line)
	if b.width == 0 {
		b.width = 1 // something to clear
	}
}

// clear erases the bar so that a message can be printed on a clean line;
// the next update draws it again.
func (b *progressBar) clear() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.erase()
}

func (b *progressBar) erase() {
	if b.width == 0 {
		return
	}
	if b.term {
		fmt.Fprint(b.w, "\r\x1b[K")
	} else {
		fmt.Fprintf(b.w, "\r%s\r", strings.Repeat(" ", b.width))
	}
	b.width = 0
}

// pause erases the bar and keeps it off the line until resume: a prompt
// (-i) is written there, and the wait for its answer is no copying time.
func (b *progressBar) pause() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.erase()
	b.paused, b.afterPause = true, true
}

func (b *progressBar) resume() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.paused = false
}

// finish leaves the final state on its own line: every operand copied
// (some may have been left out: --parents failed), so the totals are
// final.
func (b *progressBar) finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.width == 0 {
		return
	}
	if b.raw.Done && !b.last.Done {
		b.last.Done, b.last.TotalsKnown = true, b.raw.TotalsKnown
		b.draw(b.format(false))
	}
	fmt.Fprintln(b.w)
	b.width = 0
}

// interrupted leaves the state the copy was stopped in on its own line,
// below a prompt if one was up.
func (b *progressBar) interrupted() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.paused {
		fmt.Fprintln(b.w) // after the question and the ^C echoed
	}
	b.draw(b.format(true))
	fmt.Fprintln(b.w)
	b.width = 0
}

// barPart is one field of the line; the line drops the fields of highest
// drop first when the terminal is too narrow.
type barPart struct {
	text string
	drop int // 0: kept while anything is
}

// formatProgress renders p, with rate in bytes per second (0: unknown),
// in at most cols-1 columns when cols > 0 (the last column stays empty, so
// no terminal wraps the line):
//
//	123.4 MiB / 270.0 MiB  45%  612.3 MiB/s  ETA 0:01  files 6789/15000
//
// A total the counting walk has not finished is a lower bound, marked
// "+"; the percentage and the ETA need the real totals. After an
// interrupt the line starts "interrupted" and keeps the totals as counted.
func formatProgress(p copytree.Progress, rate float64, interrupted bool, cols int) string {
	var parts []barPart
	if interrupted {
		parts = append(parts, barPart{"interrupted", 0})
	}
	plus := ""
	if !p.TotalsKnown {
		plus = "+"
	}
	parts = append(parts, barPart{size(p.Bytes) + " / " + size(p.TotalBytes) + plus, 1})
	if p.TotalsKnown {
		switch {
		case p.TotalBytes > 0:
			parts = append(parts, barPart{fmt.Sprintf("%3d%%", p.Bytes*100/p.TotalBytes), 0})
		case p.TotalFiles > 0:
			parts = append(parts, barPart{fmt.Sprintf("%3d%%", p.Files*100/p.TotalFiles), 0})
		}
	}
	if rate >= 1 {
		parts = append(parts, barPart{size(int64(rate)) + "/s", 5})
		if p.TotalsKnown && !p.Done && !interrupted {
			eta := time.Duration(float64(p.TotalBytes-p.Bytes) / rate * float64(time.Second))
			parts = append(parts, barPart{"ETA " + clock(eta), 2})
		}
	}
	parts = append(parts, barPart{fmt.Sprintf("files %d/%d%s", p.Files, p.TotalFiles, plus), 3})
	if p.Done || interrupted {
		parts = append(parts, barPart{"in " + clock(p.Elapsed), 4})
	}
	return fit(parts, cols-1)
}

// fit joins parts within max columns (max < 0: no limit): two spaces
// between them, then one, then without the parts least needed, and last
// cut short.
func fit(parts []barPart, max int) string {
	join := func(sep string) string {
		s := make([]string, len(parts))
		for i, p := range parts {
			s[i] = p.text
		}
		return strings.Join(s, sep)
	}
	if line := join("  "); max < 0 || len(line) <= max {
		return line
	}
	for {
		if line := join(" "); len(line) <= max {
			return line
		}
		worst := -1
		for i, p := range parts {
			if p.drop > 0 && (worst < 0 || p.drop >= parts[worst].drop) {
				worst = i
			}
		}
		if worst < 0 {
			break
		}
		parts = append(parts[:worst], parts[worst+1:]...)
	}
	return join(" ")[:max]
}

func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), 0
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}
	for v /= unit; v >= unit && i < len(units)-1; i++ {
		v /= unit
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
