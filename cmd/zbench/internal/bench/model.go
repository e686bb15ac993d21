package bench

import "time"

// Result is everything one zbench invocation measured; -json prints it.
type Result struct {
	// Title says what the tables measure (Heading).
	Title   string  `json:"title"`
	Machine Machine `json:"machine"`
	// Runs is how many times each contender ran; Cache describes the
	// page-cache state the runs started from.
	Runs int `json:"runs"`
	// Pinned is set by -pin: senders ran on CPU 0, the other processes
	// on CPU 1.
	Pinned bool `json:"pinned,omitempty"`
	// SndBuf is -sndbuf: the SO_SNDBUF every sender set on its socket.
	SndBuf int64    `json:"sndbuf,omitempty"`
	Cache  string   `json:"cache"`
	Tables []*Table `json:"tables"`
	// Interrupted is set when Ctrl-C cut the benchmark short.
	Interrupted bool `json:"interrupted,omitempty"`
}

// Machine is the header of the tables: what the numbers were measured on.
type Machine struct {
	CPU    string `json:"cpu"`
	Cores  int    `json:"cores"`
	Kernel string `json:"kernel"`
	Go     string `json:"go"`
}

// Table is one comparison: the same bytes moved between the same kinds of
// endpoints by every contender. A scenario has one or more tables.
type Table struct {
	Scenario string `json:"scenario"`
	Title    string `json:"title"` // "file -> Unix socket"
	Dir      string `json:"dir"`   // where the files lived
	FS       string `json:"fs"`    // filesystem type of Dir
	Size     int64  `json:"size"`  // bytes per copy
	// Copies is the number of copies each process made; times and CPU
	// are per copy when it is more than 1.
	Copies int `json:"copies"`
	// Peer names the second process of a run, whose CPU time the table
	// shows next to the sender's: "receiver" (reads, counts and
	// checksums what the sender wrote), "feeder" (writes the sender's
	// source with sendfile), or "" (file -> file: no second process).
	Peer  string   `json:"peer,omitempty"`
	Note  string   `json:"note,omitempty"`
	Rows  []*Row   `json:"rows"`
	Notes []string `json:"notes,omitempty"` // footnotes added while running
}

// Row is one contender in a table.
type Row struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"` // "raw", "go" or "zcopy"
	Baseline bool   `json:"baseline,omitempty"`
	// Method is what moved the bytes: the system calls of a raw
	// contender, or the method zcopy's report named.
	Method string `json:"method"`
	// Report is zcopy's one-line report from the last run.
	Report string `json:"report,omitempty"`
	// Skipped says why the contender could not run here (FICLONE on a
	// filesystem without reflinks).
	Skipped string `json:"skipped,omitempty"`
	Runs    []Run  `json:"runs"`

	// Filled by Table.Summarize.
	Verified bool          `json:"verified"`
	Failure  string        `json:"failure,omitempty"`
	Median   time.Duration `json:"median_ns"`
	Min      time.Duration `json:"min_ns"`
	Max      time.Duration `json:"max_ns"`
	CPU      time.Duration `json:"cpu_median_ns"` // sender user+sys
	// PeerCPU and TotalCPU are the medians of the peer's user+sys and of
	// sender+peer per run (0 without a peer).
	PeerCPU  time.Duration `json:"peer_cpu_median_ns,omitempty"`
	TotalCPU time.Duration `json:"total_cpu_median_ns,omitempty"`
	// Switches and PeerSwitches are the medians of Run's counts, for the
	// whole process (not per copy).
	Switches     int64 `json:"switches_median,omitempty"`
	PeerSwitches int64 `json:"peer_switches_median,omitempty"`
	// Ratio is Median relative to the baseline row ("Diff"); VsIOCopy
	// relative to the Go io.Copy row. 0 when that row did not verify.
	Ratio    float64 `json:"ratio,omitempty"`
	VsIOCopy float64 `json:"vs_io_copy,omitempty"`
}

// Run is one process's measurement. Elapsed and CPU are for the whole
// process's copies (not divided by Table.Copies).
type Run struct {
	Elapsed time.Duration `json:"elapsed_ns"`
	CPU     time.Duration `json:"cpu_ns"`
	PeerCPU time.Duration `json:"peer_cpu_ns,omitempty"` // the receiver's or feeder's user+sys
	// Switches and PeerSwitches count the context switches of the sender
	// and of the peer (getrusage: voluntary + involuntary).
	Switches     int64  `json:"switches,omitempty"`
	PeerSwitches int64  `json:"peer_switches,omitempty"`
	Bytes        int64  `json:"bytes"`
	MaxRSS       int64  `json:"max_rss_bytes,omitempty"` // the tree scenario's commands: peak resident memory
	OK           bool   `json:"ok"`
	Error        string `json:"error,omitempty"`
}

// Summarize fills the rows' statistics: times per copy, the ratio to the
// baseline row, and whether every run delivered every byte.
func (t *Table) Summarize() {
	copies := time.Duration(max(t.Copies, 1))
	var base, ioCopy *Row
	for _, r := range t.Rows {
		r.Failure, r.Verified = "", false
		var el, cpu, peer, total, sw, psw []time.Duration
		for _, run := range r.Runs {
			if !run.OK && r.Failure == "" {
				r.Failure = run.Error
				if r.Failure == "" {
					r.Failure = "failed"
				}
			}
			el = append(el, run.Elapsed/copies)
			cpu = append(cpu, run.CPU/copies)
			peer = append(peer, run.PeerCPU/copies)
			total = append(total, (run.CPU+run.PeerCPU)/copies)
			sw = append(sw, time.Duration(run.Switches))
			psw = append(psw, time.Duration(run.PeerSwitches))
		}
		r.Verified = r.Skipped == "" && len(r.Runs) > 0 && r.Failure == ""
		s := Summarize(el)
		r.Median, r.Min, r.Max = s.Median, s.Min, s.Max
		r.CPU, r.PeerCPU, r.TotalCPU = Summarize(cpu).Median, 0, 0
		// Counts ride in Durations (both int64) to share Summarize.
		r.Switches, r.PeerSwitches = int64(Summarize(sw).Median), int64(Summarize(psw).Median)
		if t.Peer != "" {
			r.PeerCPU, r.TotalCPU = Summarize(peer).Median, Summarize(total).Median
		}
		if r.Baseline && base == nil {
			base = r
		}
		if r.Kind == "go" && ioCopy == nil {
			ioCopy = r
		}
	}
	for _, r := range t.Rows {
		r.Ratio, r.VsIOCopy = 0, 0
		if base != nil && base.Verified && r.Verified {
			r.Ratio = Ratio(r.Median, base.Median)
		}
		if ioCopy != nil && ioCopy.Verified && r.Verified {
			r.VsIOCopy = Ratio(r.Median, ioCopy.Median)
		}
	}
}
