package copytree

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Operand is one source and the name its copy gets, as for Copy.
type Operand struct{ Src, Dst string }

// CopyOperands copies each operand as Copy would, in order as far as
// anyone can tell: errs[i] is operand i's error, OnFile and OnError
// calls come as for one Copy after the other (in operand order with
// OrderedOutput), and files created by an earlier operand are refused
// to a later one (RefuseJustCreated). Operands that cannot meet are
// copied at once on one set of Jobs workers: their destinations differ,
// none is a symbolic link, no source is inside another operand's
// destination or holds it, and with PreserveLinks none is a directory
// or a file of several names (which operand copies it and which links
// to it is GNU's order). Otherwise, and with Interactive or Progress,
// they are copied one after the other. Operands after a cancellation
// are not started; their error is ctx.Err(). When every destination is
// new, none can meet another's files, and the files they create are not
// noted for the just-created check of a later Copy call.
func (c *Copier) CopyOperands(ctx context.Context, ops []Operand) (errs []error) {
	if ctx == nil {
		ctx = context.Background()
	}
	start := time.Now()
	defer func() { c.sum.elapsed.Add(int64(time.Since(start))) }()
	errs = make([]error, len(ops))
	chains := c.independent(ops)
	if chains == nil {
		for i, op := range ops {
			if err := ctx.Err(); err != nil {
				errs[i] = err
				continue
			}
			errs[i] = c.copyOperand(ctx, op.Src, op.Dst)
		}
		return errs
	}
	if c.fresh(ops, chains) {
		// No destination exists yet and each has one operand: every
		// operand writes below a name only it creates, so none can
		// meet a file another made; the note of each file created
		// (an fstat and a map entry a file) is not needed.
		defer c.tree.pauseCreated()()
	}
	// Places in the output reserved in operand order before any starts.
	ctxs := make([]context.Context, len(ops))
	withWorkers(ctx, c.opts.Jobs, func(ctx context.Context) {
		ordered := c.opts.OrderedOutput && (c.opts.OnFile != nil || c.opts.OnError != nil) && c.opts.Interactive == nil
		for i, op := range ops {
			ctxs[i] = ctx
			if ordered {
				ctxs[i] = context.WithValue(ctx, operandKey{}, c.reserveOutput(op.Src, op.Dst))
			}
		}
		// One operand more than workers in flight: a tree is queued
		// when one ends, and workers stay each in a tree of its own.
		slots := make(chan struct{}, c.opts.Jobs+1)
		var wg sync.WaitGroup
		for _, chain := range chains {
			slots <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-slots; wg.Done() }()
				for _, i := range chain {
					if err := ctx.Err(); err != nil {
						errs[i] = err
						if out := outputOf(ctxs[i]); out != nil {
							c.finishOutput(out)
						}
						continue
					}
					errs[i] = c.copyOperand(ctxs[i], ops[i].Src, ops[i].Dst)
				}
			}()
		}
		wg.Wait()
	})
	return errs
}

// copyOperand is Copy without its timing (CopyOperands times the whole).
func (c *Copier) copyOperand(ctx context.Context, src, dst string) error {
	ctx, done := c.openOutput(ctx, src, dst)
	defer done()
	return c.copy(ctx, src, dst)
}

// independent groups ops into chains copied one after the other, the
// chains at once (operands with one destination share a chain, in
// order); nil when they must all go one after the other.
func (c *Copier) independent(ops []Operand) [][]int {
	if len(ops) < 2 || c.opts.Jobs < 2 || c.opts.Interactive != nil || c.opts.Progress != nil {
		return nil
	}
	srcs := make(map[string]int, len(ops)) // resolved source -> chain
	dsts := make(map[string]int, len(ops)) // resolved destination -> chain
	var chains [][]int
	resolved := make([][2]string, len(ops))
	for i, op := range ops {
		src, err := resolve(op.Src)
		if err != nil {
			return nil // missing or unreadable: its error, in its turn
		}
		if fi, err := os.Lstat(op.Dst); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			return nil
		}
		if c.opts.Preserve&PreserveLinks != 0 {
			// A file linked from two operands is copied by the first
			// and linked by the later (replacing what is there): the
			// order counts wherever such a file may be.
			fi, err := os.Stat(op.Src)
			if err != nil || fi.IsDir() || linkCount(fi) != 1 {
				return nil
			}
		}
		dir, err := resolve(filepath.Dir(op.Dst))
		if err != nil {
			return nil
		}
		dst := filepath.Join(dir, filepath.Base(op.Dst))
		resolved[i] = [2]string{src, dst}
		k, ok := dsts[dst]
		if !ok {
			k = len(chains)
			chains = append(chains, nil)
			dsts[dst] = k
		}
		chains[k] = append(chains[k], i)
		if _, ok := srcs[src]; !ok {
			srcs[src] = k
		}
	}
	// A source at or below another chain's destination, or a
	// destination at or below another chain's source: the order counts.
	for _, r := range resolved {
		src, dst := r[0], r[1]
		if meets(src, dsts, dsts[dst]) || meets(dst, srcs, dsts[dst]) {
			return nil
		}
	}
	return chains
}

// fresh reports whether each chain is one operand whose destination does
// not exist.
func (c *Copier) fresh(ops []Operand, chains [][]int) bool {
	for _, chain := range chains {
		if len(chain) != 1 {
			return false
		}
		if _, err := os.Lstat(ops[chain[0]].Dst); !errors.Is(err, fs.ErrNotExist) {
			return false
		}
	}
	return true
}

// meets reports whether path or one of its ancestors is in set for a
// chain other than own.
func meets(path string, set map[string]int, own int) bool {
	for p := path; ; p = filepath.Dir(p) {
		if k, ok := set[p]; ok && k != own {
			return true
		}
		if up := filepath.Dir(p); up == p {
			return false
		}
	}
}

func resolve(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}
