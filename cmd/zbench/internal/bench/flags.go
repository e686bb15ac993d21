package bench

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Scenarios lists the scenario names in the order they run by default.
var Scenarios = []string{"unix", "tcp", "file", "pipe", "sock2file", "small"}

// ExtraScenarios run only when named (or with -scenario all): tree copies
// whole directories with zcp, cp, rsync and uutils cp, minutes per table.
var ExtraScenarios = []string{"tree", "uring"}

// defaultSize is the file size without -size: large enough that process
// start-up is noise next to the copy, small enough that the default run of
// every scenario takes about a minute on a 2-core VM.
const defaultSize = 256 << 20

const usage = `usage: zbench [flags]

zbench measures the wall time and CPU time of one copy for zcopy.Copy,
Go's io.Copy and the raw system calls. It reproduces the table of the
article "Rust io::copy with Linux Zero-Copy API" (a file copied into a
Unix socket with read/send, mmap/send, sendfile, splice) and adds TCP,
file, pipe, socket-to-file and small copies. Each contender runs -runs
times, interleaved, each run in a fresh process; every run is verified
(byte count and CRC-32C).

Example:

	zbench -scenario unix -size 256MiB
	zbench -scenario file -dir .,/mnt/btrfs -json > out.json

Flags:
`

// config is zbench's parsed command line.
type config struct {
	scenarios []string
	size      int64 // 0: defaultSize
	runs      int
	dirs      []string
	dirGiven  bool
	json      bool
	svg       string
	quiet     bool
	pin       bool
	sndbuf    int64 // -sndbuf: SO_SNDBUF for every sender's socket; 0: the kernel's default
	// The tree scenario's small-file tree and sparse file.
	treeFiles  int
	sparseSize int64
	treeGoroot bool
	ringFiles  int // the uring scenario's small-file tree
}

// parseFlags parses args; errors read like "-size: cannot parse "abc"".
// flag.ErrHelp is returned after the usage went to stderr.
func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("zbench", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // one-line errors are ours to print
	scen := fs.String("scenario", strings.Join(Scenarios, ","), "scenarios to run, comma-separated: "+strings.Join(Scenarios, ", ")+", or all; "+strings.Join(ExtraScenarios, ", ")+" only when named")
	size := fs.String("size", "", "file size for all but the small scenario, e.g. 256MiB, 1GiB, 64M, 1000000 (default 256MiB)")
	runs := fs.Int("runs", 5, "runs per contender")
	dir := fs.String("dir", ".", "directories for the files, comma-separated; the file scenario runs on each\n(and on the current directory's filesystem), the others use the first")
	js := fs.Bool("json", false, "print JSON instead of markdown tables")
	svg := fs.String("svg", "", "also write a bar chart of the medians to this SVG `file`")
	quiet := fs.Bool("q", false, "do not print progress on stderr")
	sndbuf := fs.String("sndbuf", "", "set SO_SNDBUF to this size on every sender's socket (raw, Go and zcopy alike), e.g. 4MiB;\nthe kernel doubles it and caps it at net.core.wmem_max (default: the kernel's default buffer)")
	pin := fs.Bool("pin", false, "run every sender on CPU 0 and the process at the other end on CPU 1, the placement\nwhere each hand-over between them wakes the other CPU (default: the scheduler places them)")
	files := fs.Int("files", 100000, "the tree scenario: number of 4 KiB files in the small-file tree")
	sparse := fs.String("sparse", "8GiB", "the tree scenario: apparent size of the sparse file (64 MiB of data)")
	goroot := fs.Bool("goroot", true, "the tree and uring scenarios: include a copy of the Go distribution")
	ringFiles := fs.Int("ringfiles", 20000, "the uring scenario: number of 4 KiB files in the small-file tree")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, usage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	c := &config{runs: *runs, json: *js, svg: *svg, quiet: *quiet, pin: *pin, treeFiles: *files, treeGoroot: *goroot, ringFiles: *ringFiles}
	known := append(slices.Clone(Scenarios), ExtraScenarios...)
	for _, s := range strings.Split(*scen, ",") {
		s = strings.TrimSpace(s)
		if s == "all" {
			c.scenarios = append(c.scenarios, known...)
			continue
		}
		if !slices.Contains(known, s) {
			return nil, fmt.Errorf("-scenario: unknown scenario %q (have %s)", s, strings.Join(known, ", "))
		}
		c.scenarios = append(c.scenarios, s)
	}
	// Run in the canonical order, each once.
	c.scenarios = slices.DeleteFunc(known, func(s string) bool { return !slices.Contains(c.scenarios, s) })
	if c.ringFiles < 1 {
		return nil, fmt.Errorf("-ringfiles: must be at least 1, not %d", c.ringFiles)
	}
	if c.treeFiles < 1 {
		return nil, fmt.Errorf("-files: must be at least 1, not %d", c.treeFiles)
	}
	n, err := ParseSize(*sparse)
	if err != nil || n < 64<<20 {
		return nil, fmt.Errorf("-sparse: want a size of at least 64MiB, not %q", *sparse)
	}
	c.sparseSize = n
	if *sndbuf != "" {
		n, err := ParseSize(*sndbuf)
		if err != nil || n < 1 || n > 1<<30 {
			return nil, fmt.Errorf("-sndbuf: want a size between 1 and 1GiB, not %q", *sndbuf)
		}
		c.sndbuf = n
	}
	if *size != "" {
		n, err := ParseSize(*size)
		if err != nil {
			return nil, fmt.Errorf("-size: %v", err)
		}
		c.size = n
	}
	if c.runs < 1 {
		return nil, fmt.Errorf("-runs: must be at least 1, not %d", c.runs)
	}
	fs.Visit(func(f *flag.Flag) { c.dirGiven = c.dirGiven || f.Name == "dir" })
	for _, d := range strings.Split(*dir, ",") {
		if d = strings.TrimSpace(d); d != "" && !slices.Contains(c.dirs, d) {
			c.dirs = append(c.dirs, d)
		}
	}
	if len(c.dirs) == 0 {
		return nil, errors.New("-dir: no directory given")
	}
	return c, nil
}

func (c *config) fileSize() int64 {
	if c.size > 0 {
		return c.size
	}
	return defaultSize
}
