package bench

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"strings"
	"time"
)

// FormatDuration prints d with three significant digits or so, in the
// unit that suits its magnitude (ms for the article's table).
func FormatDuration(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= 100*time.Millisecond:
		return fmt.Sprintf("%.0fms", float64(d)/1e6)
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/1e6)
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	case d >= 100*time.Microsecond:
		return fmt.Sprintf("%.0fµs", float64(d)/1e3)
	case d >= time.Microsecond:
		return fmt.Sprintf("%.1fµs", float64(d)/1e3)
	}
	return fmt.Sprintf("%dns", d.Nanoseconds())
}

// formatRatio prints the Diff column of the article's table: 100% for the
// baseline.
func formatRatio(r *Row) string {
	switch {
	case r.Baseline && r.Verified:
		return "100%"
	case r.Ratio == 0:
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*r.Ratio)
}

// Title is the first line of zbench's output: what the numbers are.
const Title = "zbench: wall time and CPU time of one copy, zcopy.Copy against Go's io.Copy and raw system calls"

// columnsNote explains the columns under the machine header.
const columnsNote = "Median and Min–Max: the sender's wall time per copy, from its first open to its last close. " +
	"Diff: median relative to the table's first row. vs io.Copy: median relative to Go io.Copy's. " +
	"CPU: user+sys time of the sender, of the second process (the receiver that reads and checksums, or the feeder that writes the sender's input), and their sum; medians per copy."

// Heading is a table's title line.
func (t *Table) Heading() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s, %s", t.Scenario, t.Title, FormatSize(t.Size))
	if t.FS != "" {
		fmt.Fprintf(&b, ", %s at %s", t.FS, t.Dir)
	}
	if t.Copies > 1 {
		fmt.Fprintf(&b, ", %d copies per process, times per copy", t.Copies)
	}
	return b.String()
}

// formatVs prints the "vs io.Copy" column: 0.85x is 15 % faster.
func formatVs(r *Row) string {
	if r.VsIOCopy == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", r.VsIOCopy)
}

// mdColumns are a table's column headers: the peer's CPU and the total
// only where a run has a second process.
func (t *Table) mdColumns() []string {
	cols := []string{"API", "Median", "Min–Max", "Diff", "vs io.Copy", "Sender CPU"}
	if t.Peer != "" {
		cols = append(cols, strings.ToUpper(t.Peer[:1])+t.Peer[1:]+" CPU", "Total CPU")
	}
	return append(cols, "Verified", "Method")
}

// mdCells is one row's cells, as many as mdColumns.
func (t *Table) mdCells(r *Row) []string {
	cells := []string{mdEscape(r.Name)}
	blank := func(first, verified, method string) []string {
		c := append(cells, first)
		for len(c) < len(t.mdColumns())-2 {
			c = append(c, "")
		}
		return append(c, verified, method)
	}
	switch {
	case r.Skipped != "":
		return blank("skipped", "-", mdEscape(r.Skipped))
	case len(r.Runs) == 0:
		return blank("not run", "-", "")
	case !r.Verified:
		return blank("FAILED", "**FAILED**: "+mdEscape(r.Failure), mdEscape(r.Method))
	}
	cells = append(cells, FormatDuration(r.Median), FormatDuration(r.Min)+"–"+FormatDuration(r.Max),
		formatRatio(r), formatVs(r), FormatDuration(r.CPU))
	if t.Peer != "" {
		cells = append(cells, FormatDuration(r.PeerCPU), FormatDuration(r.TotalCPU))
	}
	return append(cells, "yes", mdEscape(r.Method))
}

// WriteMarkdown prints the title, the machine header and one table per
// comparison, in the layout of the article's table plus CPU columns.
func WriteMarkdown(w io.Writer, res *Result) error {
	var b strings.Builder
	m := res.Machine
	fmt.Fprintf(&b, "%s\n\n", res.title())
	fmt.Fprintf(&b, "- CPU: %s (%d cores)\n", m.CPU, m.Cores)
	fmt.Fprintf(&b, "- Kernel: %s\n", m.Kernel)
	fmt.Fprintf(&b, "- Go: %s\n", m.Go)
	fmt.Fprintf(&b, "- Runs: %d per contender, interleaved and rotated (A B C, B C A, ...), each run a fresh process\n", res.Runs)
	fmt.Fprintf(&b, "- Page cache: %s\n", res.Cache)
	if res.Pinned {
		b.WriteString("- Placement: every sender on CPU 0, the receiver or feeder on CPU 1 (-pin)\n")
	}
	if res.SndBuf > 0 {
		fmt.Fprintf(&b, "- Send buffer: every sender set SO_SNDBUF to %d bytes on its socket (-sndbuf; the kernel doubles it, up to net.core.wmem_max)\n", res.SndBuf)
	}
	fmt.Fprintf(&b, "- Columns: %s\n", columnsNote)
	if res.Interrupted {
		b.WriteString("- INTERRUPTED: the tables below are incomplete\n")
	}
	for _, t := range res.Tables {
		fmt.Fprintf(&b, "\n### %s\n\n", t.Heading())
		if t.Note != "" {
			fmt.Fprintf(&b, "%s\n\n", t.Note)
		}
		cols := t.mdColumns()
		b.WriteString("| " + strings.Join(cols, " | ") + " |\n")
		b.WriteString("|")
		for i := range cols {
			if i == 0 || i >= len(cols)-2 {
				b.WriteString(" --- |")
			} else {
				b.WriteString(" ---: |")
			}
		}
		b.WriteString("\n")
		for _, r := range t.Rows {
			b.WriteString("| " + strings.Join(t.mdCells(r), " | ") + " |\n")
		}
		for _, n := range t.Notes {
			fmt.Fprintf(&b, "\n%s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// title is res.Title, or Title for a Result built without one.
func (res *Result) title() string {
	if res.Title != "" {
		return res.Title
	}
	return Title
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// WriteJSON prints res for machines.
func WriteJSON(w io.Writer, res *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// SVG layout, in pixels.
const (
	svgWidth   = 980
	svgLabelW  = 250 // contender names, right-aligned
	svgBarW    = 560
	svgRowH    = 30
	svgBarH    = 14
	svgTitleH  = 34
	svgPad     = 16
	svgHeaderH = 52
)

var svgColors = map[string]string{"raw": "#8da0cb", "go": "#fc8d62", "zcopy": "#4daf8a"}

// WriteSVG draws a horizontal bar chart: one group per table, one bar per
// contender (median time, min-max whisker), scaled per table.
func WriteSVG(w io.Writer, res *Result) error {
	height := svgHeaderH + svgPad
	for _, t := range res.Tables {
		height += svgTitleH + len(t.Rows)*svgRowH + svgPad
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="13">`+"\n",
		svgWidth, height, svgWidth, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	m := res.Machine
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="17" font-weight="bold">zbench: median wall time per copy (shorter is better)</text>`+"\n", svgPad)
	fmt.Fprintf(&b, `<text x="%d" y="42" fill="#555">%s</text>`+"\n", svgPad,
		html.EscapeString(fmt.Sprintf("%s, %d cores · %s · %s · %d runs each · labels: median, Diff, vs io.Copy, total CPU", m.CPU, m.Cores, m.Kernel, m.Go, res.Runs)))
	legendX := svgWidth - 3*115 - svgPad
	for i, k := range []string{"raw", "go", "zcopy"} {
		x := legendX + i*115
		fmt.Fprintf(&b, `<rect x="%d" y="10" width="12" height="12" fill="%s"/><text x="%d" y="21">%s</text>`+"\n",
			x, svgColors[k], x+16, map[string]string{"raw": "raw syscalls", "go": "Go std", "zcopy": "zcopy"}[k])
	}
	y := svgHeaderH + svgPad
	for _, t := range res.Tables {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="14" font-weight="bold">%s</text>`+"\n", svgPad, y+18, html.EscapeString(t.Heading()))
		y += svgTitleH
		// Scale to the slowest median with room for its label; an
		// outlier's whisker is clipped rather than squashing the bars.
		var scale time.Duration
		for _, r := range t.Rows {
			if r.Verified {
				scale = max(scale, r.Median*15/10)
			}
		}
		x0 := svgPad + svgLabelW
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`+"\n", x0, y-4, x0, y+len(t.Rows)*svgRowH)
		for _, r := range t.Rows {
			cy := y + svgRowH/2
			weight := "normal"
			if r.Baseline {
				weight = "bold"
			}
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-weight="%s">%s</text>`+"\n", x0-8, cy+4, weight, html.EscapeString(r.Name))
			switch {
			case r.Skipped != "":
				fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#777" font-style="italic">skipped: %s</text>`+"\n", x0+6, cy+4, html.EscapeString(r.Skipped))
			case !r.Verified:
				fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#c00" font-weight="bold">FAILED: %s</text>`+"\n", x0+6, cy+4, html.EscapeString(r.Failure))
			case scale > 0:
				px := func(d time.Duration) float64 {
					return min(float64(svgBarW), float64(svgBarW)*float64(d)/float64(scale))
				}
				bw := max(px(r.Median), 1)
				fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s" rx="2"/>`+"\n", x0, cy-svgBarH/2, bw, svgBarH, svgColors[r.Kind])
				fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#222" stroke-width="1.2"/>`+"\n", float64(x0)+px(r.Min), cy, float64(x0)+px(r.Max), cy)
				label := FormatDuration(r.Median)
				if r.Ratio > 0 {
					label += "  " + formatRatio(r)
				}
				if r.VsIOCopy > 0 {
					label += "  " + formatVs(r) + " io.Copy"
				}
				if t.Peer != "" {
					label += "  CPU " + FormatDuration(r.TotalCPU)
				} else {
					label += "  CPU " + FormatDuration(r.CPU)
				}
				fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`+"\n", float64(x0)+bw+6, cy-svgBarH/2-1, html.EscapeString(label))
			}
			y += svgRowH
		}
		y += svgPad
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
