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
// rate, ETA and files, redrawn in place with a carriage return.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	width int // of the last line drawn, to clear it
	last  copytree.Progress
}

func newProgressBar(w io.Writer) *progressBar { return &progressBar{w: w} }

func (b *progressBar) update(p copytree.Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.last = p
	line := formatProgress(p)
	pad := ""
	if n := b.width - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprintf(b.w, "\r%s%s", line, pad)
	b.width = len(line)
}

// clear erases the bar so that a message can be printed on a clean line;
// the next update draws it again.
func (b *progressBar) clear() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.width > 0 {
		fmt.Fprintf(b.w, "\r%s\r", strings.Repeat(" ", b.width))
		b.width = 0
	}
}

// finish leaves the final state on its own line.
func (b *progressBar) finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.width > 0 {
		fmt.Fprintln(b.w)
		b.width = 0
	}
}

// formatProgress renders p:
//
//	123.4 MiB / 270.0 MiB  45%  612.3 MiB/s  ETA 0:01  files 6789/15000
func formatProgress(p copytree.Progress) string {
	var b strings.Builder
	total := "?"
	if p.TotalsKnown || p.TotalBytes > 0 {
		total = size(p.TotalBytes)
		if !p.TotalsKnown {
			total += "+"
		}
	}
	fmt.Fprintf(&b, "%s / %s", size(p.Bytes), total)
	if p.TotalsKnown && p.TotalBytes > 0 {
		fmt.Fprintf(&b, " %3d%%", p.Bytes*100/p.TotalBytes)
	}
	secs := p.Elapsed.Seconds()
	if secs > 0 {
		rate := float64(p.Bytes) / secs
		fmt.Fprintf(&b, "  %s/s", size(int64(rate)))
		if p.TotalsKnown && rate > 0 && !p.Done {
			eta := time.Duration(float64(p.TotalBytes-p.Bytes) / rate * float64(time.Second))
			fmt.Fprintf(&b, "  ETA %s", clock(eta))
		}
	}
	ftotal := "?"
	if p.TotalsKnown {
		ftotal = fmt.Sprint(p.TotalFiles)
	}
	fmt.Fprintf(&b, "  files %d/%s", p.Files, ftotal)
	if p.Done {
		fmt.Fprintf(&b, "  in %s", clock(p.Elapsed))
	}
	return b.String()
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
