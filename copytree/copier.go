package copytree

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zcopy/zcopy"
)

// Copier copies files and trees with one set of options and keeps what
// several copies share: the summary, the hard links seen (so links between
// two source operands stay links, as with cp -a a b dir/), and the files
// already created (cp refuses to overwrite those). A Copier may be used for
// several Copy calls in sequence, not concurrently.
type Copier struct {
	opts Options

	mu    sync.Mutex
	sum   counters
	tree  treeState   // what the platform's tree copier keeps between calls
	order outputOrder // OnFile and OnError calls waiting for their turn (OrderedOutput)
}

// counters are the Summary's figures, counted without a lock.
type counters struct {
	files, dirs, symlinks, hardLinks, specials atomic.Int64
	bytes, skipped, errors                     atomic.Int64
	elapsed                                    atomic.Int64     // time.Duration in Copy calls
	methods                                    [32]atomic.Int64 // files per zcopy.Method
}

// tally is one worker's share of the counters, kept in plain integers
// while it copies a batch of entries and added to the shared counters
// once at the end: workers on two CPUs each reporting a file every few
// microseconds into one cache line measured 1 % of a tree copy's time.
type tally struct {
	files, dirs, symlinks, hardLinks, specials int64
	bytes, skipped                             int64
	methods                                    [32]int64
}

func (t *tally) add(r *FileReport) {
	if r.Skipped {
		// Kept by the overwrite policy: counted as skipped, not as
		// copied.
		t.skipped++
		return
	}
	switch r.Kind {
	case KindFile:
		t.files++
		if r.Method != 0 && int(r.Method) < len(t.methods) {
			t.methods[r.Method]++
		}
	case KindDir:
		t.dirs++
	case KindSymlink:
		t.symlinks++
	case KindHardLink:
		t.hardLinks++
	default:
		t.specials++
	}
	t.bytes += r.Size
}

// merge adds t to s and clears t.
func (s *counters) merge(t *tally) {
	for _, f := range [...]struct {
		c *atomic.Int64
		n int64
	}{{&s.files, t.files}, {&s.dirs, t.dirs}, {&s.symlinks, t.symlinks}, {&s.hardLinks, t.hardLinks},
		{&s.specials, t.specials}, {&s.bytes, t.bytes}, {&s.skipped, t.skipped}} {
		if f.n != 0 {
			f.c.Add(f.n)
		}
	}
	for m, n := range t.methods {
		if n != 0 {
			s.methods[m].Add(n)
		}
	}
	*t = tally{}
}

func (s *counters) add(r *FileReport) {
	var t tally
	t.add(r)
	s.merge(&t)
}

// New returns a Copier with opts.
func New(opts Options) *Copier {
	if opts.Jobs <= 0 {
		opts.Jobs = runtime.NumCPU()
	}
	opts.Jobs = min(opts.Jobs, MaxJobs)
	if opts.Suffix == "" {
		opts.Suffix = "~"
	}
	if opts.DataCopier == nil {
		opts.DataCopier = SyncCopier{}
	}
	if opts.ProgressInterval <= 0 {
		opts.ProgressInterval = 100 * time.Millisecond
	}
	return &Copier{opts: opts}
}

// RefuseJustCreated makes c remember every file it creates and refuse to
// overwrite one of them later, failing with ErrJustCreated, as cp does
// when two sources would land on the same name. cp sets it when it has
// several source operands.
func (c *Copier) RefuseJustCreated() {
	c.mu.Lock()
	c.tree.refuseJustCreated()
	c.mu.Unlock()
}

// Summary returns what c's copies did so far. While a copy runs, the
// files of the batches of entries being copied are not counted yet.
func (c *Copier) Summary() Summary {
	n := &c.sum
	s := Summary{Files: n.files.Load(), Dirs: n.dirs.Load(), Symlinks: n.symlinks.Load(), HardLinks: n.hardLinks.Load(),
		Specials: n.specials.Load(), Bytes: n.bytes.Load(), Skipped: n.skipped.Load(), Errors: n.errors.Load(),
		Elapsed: time.Duration(n.elapsed.Load())}
	if s.Files > 0 {
		s.Methods = map[string]int64{}
		for m := range n.methods {
			if k := n.methods[m].Load(); k > 0 {
				s.Methods[zcopy.Method(m).String()] = k
			}
		}
	}
	return s
}

// Copy copies src to dst: dst is the name the copy gets, not a directory
// to copy into (cp -T; the command works out dst/base(src) itself). A
// directory is copied with everything below it unless Options.NoRecursion
// is set; an existing destination directory is merged into. Errors are
// [*Error] values; with ContinueOnError every error is returned, joined.
func (c *Copier) Copy(ctx context.Context, src, dst string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	start := time.Now()
	defer func() { c.sum.elapsed.Add(int64(time.Since(start))) }()
	return c.copyOperand(ctx, src, dst)
}

// Copy copies src to dst with opts; see [Copier.Copy].
func Copy(ctx context.Context, src, dst string, opts Options) (Summary, error) {
	c := New(opts)
	err := c.Copy(ctx, src, dst)
	return c.Summary(), err
}

// errorSink collects the errors of one Copy call. failed is read for
// every entry, so it is an atomic rather than behind mu.
type errorSink struct {
	out    *operandOutput // where OnError's calls wait their turn; nil: called at once
	mu     sync.Mutex
	errs   []error
	failed atomic.Bool
}

func (c *Copier) fail(sink *errorSink, err error) {
	if err == nil {
		return
	}
	if sink.out != nil {
		c.addOutput(sink.out, nil, err)
	} else if c.opts.OnError != nil {
		c.opts.OnError(err)
	}
	c.sum.errors.Add(1)
	sink.mu.Lock()
	sink.errs = append(sink.errs, err)
	sink.failed.Store(true)
	sink.mu.Unlock()
}

func (s *errorSink) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errs) == 1 {
		return s.errs[0]
	}
	return errors.Join(s.errs...)
}

func (c *Copier) report(r *FileReport) { c.reportIn(nil, r) }

// reportIn is report for a copy whose lines wait their turn in out.
func (c *Copier) reportIn(out *operandOutput, r *FileReport) {
	c.sum.add(r)
	c.output(out, r)
}

// output passes r to OnFile, through out when its lines wait their turn.
func (c *Copier) output(out *operandOutput, r *FileReport) {
	if c.opts.OnFile == nil {
		return
	}
	c.onFile(out, r)
}
