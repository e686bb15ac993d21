package copytree

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"
)

// Copier copies files and trees with one set of options and keeps what
// several copies share: the summary, the hard links seen (so links between
// two source operands stay links, as with cp -a a b dir/), and the files
// already created (cp refuses to overwrite those). A Copier may be used for
// several Copy calls in sequence, not concurrently.
type Copier struct {
	opts Options

	mu   sync.Mutex
	sum  Summary
	tree treeState // what the platform's tree copier keeps between calls
}

// New returns a Copier with opts.
func New(opts Options) *Copier {
	if opts.Jobs <= 0 {
		opts.Jobs = runtime.NumCPU()
	}
	if opts.Suffix == "" {
		opts.Suffix = "~"
	}
	if opts.Engine == nil {
		opts.Engine = SyncEngine{}
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

// Summary returns what c's copies did so far.
func (c *Copier) Summary() Summary {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sum
	if s.Methods != nil {
		s.Methods = make(map[string]int64, len(c.sum.Methods))
		for k, v := range c.sum.Methods {
			s.Methods[k] = v
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
	return c.copy(ctx, src, dst)
}

// Copy copies src to dst with opts; see [Copier.Copy].
func Copy(ctx context.Context, src, dst string, opts Options) (Summary, error) {
	c := New(opts)
	err := c.Copy(ctx, src, dst)
	return c.Summary(), err
}

// errorSink collects the errors of one Copy call.
type errorSink struct {
	mu     sync.Mutex
	errs   []error
	failed bool
}

func (c *Copier) fail(sink *errorSink, err error) {
	if err == nil {
		return
	}
	if c.opts.OnError != nil {
		c.opts.OnError(err)
	}
	c.mu.Lock()
	c.sum.Errors++
	c.mu.Unlock()
	sink.mu.Lock()
	sink.errs = append(sink.errs, err)
	sink.failed = true
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

func (c *Copier) report(r *FileReport) {
	c.mu.Lock()
	c.sum.add(r)
	c.mu.Unlock()
	if c.opts.OnFile != nil {
		c.opts.OnFile(*r)
	}
}
