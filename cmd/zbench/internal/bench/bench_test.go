package bench

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"1000000", 1000000},
		{"64M", 64 << 20},
		{"256MiB", 256 << 20},
		{"1GiB", 1 << 30},
		{"1gib", 1 << 30},
		{"10KB", 10000},
		{"3 MB", 3e6},
		{"1k", 1024},
		{"2T", 2 << 40},
		{"7B", 7},
	} {
		got, err := ParseSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "abc", "-1", "1.5GiB", "12XB", "MiB", "0", "99999999999999999999", "9000000000T"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
	if _, err := ParseSize("abc"); err == nil || err.Error() != `cannot parse "abc"` {
		t.Errorf(`ParseSize("abc") error = %v, want cannot parse "abc"`, err)
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{
		256 << 20: "256 MiB", 1 << 30: "1 GiB", 1536: "1.5 KiB", 1000: "1000 B", 3<<30 + 1: "3.0 GiB",
	} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		in   []time.Duration
		want Stats
	}{
		{nil, Stats{}},
		{[]time.Duration{ms(5)}, Stats{ms(5), ms(5), ms(5)}},
		{[]time.Duration{ms(9), ms(1), ms(5)}, Stats{ms(5), ms(1), ms(9)}},
		{[]time.Duration{ms(4), ms(1), ms(2), ms(10)}, Stats{ms(3), ms(1), ms(10)}},
	} {
		in := append([]time.Duration(nil), tc.in...)
		if got := Summarize(tc.in); got != tc.want {
			t.Errorf("Summarize(%v) = %+v, want %+v", tc.in, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.in[i] {
				t.Fatalf("Summarize reordered its input")
			}
		}
	}
	if r := Ratio(ms(131), ms(907)); r < 0.1444 || r > 0.1445 {
		t.Errorf("Ratio(131ms, 907ms) = %v, want 0.1444 (the article's 14.4%%)", r)
	}
	if r := Ratio(ms(1), 0); r != 0 {
		t.Errorf("Ratio without a baseline = %v, want 0", r)
	}
}

// sampleResult is a table with every kind of row: baseline, faster,
// FAILED, skipped; and a small-copies table with per-copy times.
func sampleResult() *Result {
	runs := func(ok bool, d ...float64) []Run {
		var rs []Run
		for _, x := range d {
			rs = append(rs, Run{Elapsed: ms(x), CPU: ms(x / 2), PeerCPU: ms(x / 4), Switches: int64(x), PeerSwitches: int64(2 * x), Bytes: 1 << 30, OK: ok})
		}
		if !ok {
			rs[0].Error = "receiver got 5 of 10 bytes"
		}
		return rs
	}
	res := &Result{
		Machine: Machine{CPU: "E5-2680v4", Cores: 2, Kernel: "Linux 6.1", Go: "go1.26"},
		Runs:    3, Cache: "warm",
		Tables: []*Table{{
			Scenario: "unix", Title: "file -> Unix socket", Dir: "/tmp", FS: "ext4", Size: 1 << 30, Copies: 1, Peer: "receiver",
			Rows: []*Row{
				{Name: "C read/send", Kind: "raw", Baseline: true, Method: "read + send", Runs: runs(true, 900, 907, 950)},
				{Name: "sendfile", Kind: "raw", Method: "sendfile", Runs: runs(true, 131, 120, 140)},
				{Name: "Go io.Copy", Kind: "go", Method: "Go's choice", Runs: runs(true, 262, 300, 250)},
				{Name: "zcopy.Copy", Kind: "zcopy", Method: "sendfile", Runs: runs(true, 140, 131, 135)},
				{Name: "wrong|fast", Kind: "raw", Runs: runs(false, 1, 1, 1)},
				{Name: "FICLONE", Kind: "raw", Skipped: "FICLONE: EOPNOTSUPP"},
			},
		}, {
			Scenario: "small", Title: "file -> file", FS: "ext4", Dir: "/tmp", Size: 1024, Copies: 1000,
			Rows: []*Row{
				{Name: "Go io.Copy", Kind: "go", Baseline: true, Runs: runs(true, 2, 2, 2)},
				{Name: "zcopy.Copy", Kind: "zcopy", Method: "copy_file_range", Runs: runs(true, 1, 1, 1)},
			},
		}},
	}
	for _, t := range res.Tables {
		t.Summarize()
	}
	return res
}

func TestTableSummarize(t *testing.T) {
	res := sampleResult()
	rows := res.Tables[0].Rows
	if !rows[0].Verified || rows[0].Median != ms(907) || rows[0].Min != ms(900) || rows[0].Max != ms(950) {
		t.Errorf("baseline = %+v", rows[0])
	}
	if rows[0].Ratio != 1 || rows[1].Ratio != Ratio(ms(131), ms(907)) {
		t.Errorf("ratios = %v, %v; want 1, %v", rows[0].Ratio, rows[1].Ratio, Ratio(ms(131), ms(907)))
	}
	if rows[1].VsIOCopy != Ratio(ms(131), ms(262)) || rows[2].VsIOCopy != 1 || rows[3].VsIOCopy != Ratio(ms(135), ms(262)) {
		t.Errorf("vs io.Copy = %v, %v, %v; want %v, 1, %v", rows[1].VsIOCopy, rows[2].VsIOCopy, rows[3].VsIOCopy,
			Ratio(ms(131), ms(262)), Ratio(ms(135), ms(262)))
	}
	// CPU medians are per column, the total per run: 131ms's run has
	// 65.5 + 32.75.
	if rows[1].CPU != ms(65.5) || rows[1].PeerCPU != ms(32.75) || rows[1].TotalCPU != ms(98.25) {
		t.Errorf("sendfile CPU = %v + %v = %v; want 65.5ms + 32.75ms = 98.25ms", rows[1].CPU, rows[1].PeerCPU, rows[1].TotalCPU)
	}
	if rows[4].Verified || rows[4].Failure != "receiver got 5 of 10 bytes" || rows[4].Ratio != 0 || rows[4].VsIOCopy != 0 {
		t.Errorf("failed row = %+v, want unverified with the failure", rows[4])
	}
	if rows[5].Verified {
		t.Errorf("skipped row is verified")
	}
	small := res.Tables[1].Rows
	if small[0].Median != ms(2)/1000 || small[0].CPU != ms(1)/1000 || small[1].Ratio != 0.5 || small[1].VsIOCopy != 0.5 {
		t.Errorf("per-copy stats = %v cpu %v ratio %v vs io.Copy %v; want 2µs, 1µs, 0.5, 0.5",
			small[0].Median, small[0].CPU, small[1].Ratio, small[1].VsIOCopy)
	}
	if small[0].PeerCPU != 0 || small[0].TotalCPU != 0 {
		t.Errorf("a table without a peer has peer CPU %v, total %v; want none", small[0].PeerCPU, small[0].TotalCPU)
	}
}

func TestWriteMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b, sampleResult()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if first, _, _ := strings.Cut(out, "\n"); first != Title {
		t.Errorf("first line %q, want the title %q", first, Title)
	}
	for _, want := range []string{
		"- CPU: E5-2680v4 (2 cores)",
		"- Columns: " + columnsNote,
		"### unix: file -> Unix socket, 1 GiB, ext4 at /tmp",
		"| API | Median | Min–Max | Diff | vs io.Copy | Sender CPU | Receiver CPU | Total CPU | Verified | Method |",
		"| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
		"| C read/send | 907ms | 900ms–950ms | 100% | 3.46x | 454ms | 227ms | 680ms | yes | read + send |",
		"| sendfile | 131ms | 120ms–140ms | 14.4% | 0.50x | 65.5ms | 32.8ms | 98.2ms | yes | sendfile |",
		"| Go io.Copy | 262ms | 250ms–300ms | 28.9% | 1.00x | 131ms | 65.5ms | 196ms | yes | Go's choice |",
		"| zcopy.Copy | 135ms | 131ms–140ms | 14.9% | 0.52x | 67.5ms | 33.8ms | 101ms | yes | sendfile |",
		`| wrong\|fast | FAILED |  |  |  |  |  |  | **FAILED**: receiver got 5 of 10 bytes |  |`,
		"| FICLONE | skipped |  |  |  |  |  |  | - | FICLONE: EOPNOTSUPP |",
		"### small: file -> file, 1 KiB, ext4 at /tmp, 1000 copies per process, times per copy",
		"| API | Median | Min–Max | Diff | vs io.Copy | Sender CPU | Verified | Method |",
		"| zcopy.Copy | 1.0µs | 1.0µs–1.0µs | 50.0% | 0.50x | 500ns | yes | copy_file_range |",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("markdown lacks line %q; got:\n%s", want, out)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, sampleResult()); err != nil {
		t.Fatal(err)
	}
	var got Result
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("JSON does not decode: %v", err)
	}
	r := got.Tables[0].Rows[1]
	if r.Name != "sendfile" || r.Median != ms(131) || !r.Verified || len(r.Runs) != 3 || got.Machine.CPU != "E5-2680v4" ||
		r.PeerCPU != ms(32.75) || r.TotalCPU != ms(98.25) || r.VsIOCopy != Ratio(ms(131), ms(262)) || got.Tables[0].Peer != "receiver" {
		t.Errorf("decoded row = %+v", r)
	}
	if r.Switches != 131 || r.PeerSwitches != 262 {
		t.Errorf("switches = %d, %d; want the medians 131, 262", r.Switches, r.PeerSwitches)
	}
	for _, want := range []string{`"median_ns": 131000000`, `"switches_median": 131`, `"peer_switches": 262`, `"peer_cpu_median_ns": 32750000`, `"total_cpu_median_ns": 98250000`, `"vs_io_copy": 0.5`, `"peer": "receiver"`, `"peer_cpu_ns": 32750000`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b.String())
		}
	}
}

func TestWriteSVG(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSVG(&b, sampleResult()); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	dec := xml.NewDecoder(&b)
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if cd, ok := tok.(xml.CharData); ok {
			text.Write(cd)
		}
	}
	for _, want := range []string{"C read/send", "sendfile", "131ms  14.4%  0.50x io.Copy  CPU 98.2ms", "FAILED: receiver got 5 of 10 bytes", "skipped: FICLONE",
		"1.0µs  50.0%  0.50x io.Copy  CPU 500ns"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("SVG text lacks %q", want)
		}
	}
	// Every kind of contender has its bar colour.
	for kind, colour := range svgColors {
		if !strings.Contains(svg, `fill="`+colour+`" rx="2"`) {
			t.Errorf("no %s bar (fill %s) in the SVG", kind, colour)
		}
	}
}

func TestParseFlags(t *testing.T) {
	c, err := parseFlags([]string{"-scenario", "pipe,unix,pipe", "-size", "1MiB", "-dir", "/a,/b", "-runs", "2"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.scenarios, ",") != "unix,pipe" || c.size != 1<<20 || c.runs != 2 || len(c.dirs) != 2 || !c.dirGiven || c.pin {
		t.Errorf("config = %+v", c)
	}
	if c, _ = parseFlags([]string{"-pin"}, io.Discard); !c.pin {
		t.Errorf("-pin not set: %+v", c)
	}
	if c, _ = parseFlags([]string{"-sndbuf", "4MiB"}, io.Discard); c.sndbuf != 4<<20 {
		t.Errorf("-sndbuf 4MiB: %+v", c)
	}
	c, _ = parseFlags(nil, io.Discard)
	if len(c.scenarios) != len(Scenarios) || c.fileSize() != defaultSize || c.dirs[0] != "." || c.dirGiven {
		t.Errorf("default config = %+v", c)
	}
	for args, want := range map[string]string{
		"-scenario foo":   `-scenario: unknown scenario "foo" (have unix, tcp, file, pipe, sock2file, small, tree, uring)`,
		"-size abc":       `-size: cannot parse "abc"`,
		"-runs 0":         `-runs: must be at least 1, not 0`,
		"-dir ,":          `-dir: no directory given`,
		"extra":           `unexpected argument "extra" (flags only; see -h)`,
		"-nosuchflag":     `flag provided but not defined: -nosuchflag`,
		"-runs x":         `invalid value "x" for flag -runs: parse error`,
		"-size 0":         `-size: "0": must be more than 0 bytes`,
		"-sndbuf 2GiB":    `-sndbuf: want a size between 1 and 1GiB, not "2GiB"`,
		"-scenario unix,": `-scenario: unknown scenario "" (have unix, tcp, file, pipe, sock2file, small, tree, uring)`,
	} {
		if _, err := parseFlags(strings.Fields(args), io.Discard); err == nil || err.Error() != want {
			t.Errorf("parseFlags(%q) error = %v, want %s", args, err, want)
		}
	}
}
