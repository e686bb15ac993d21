package copytree

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
)

// GNU cp prints what it does in the order it does it: the operands in
// order, each tree depth first, a directory's line before its entries,
// and the entries in the order gnulib's savedir gives them
// (SAVEDIR_SORT_FASTREAD: sorted by d_ino), a directory's
// after-the-children errors ("preserving times for") after them. The
// parallel walk finishes entries in any order, so with
// Options.OrderedOutput the lines (OnFile and OnError calls) of an
// operand are kept, given that position, and handed out in it when the
// operand is done and every operand before it too.

// outputOrder is a Copier's queue of operands' outputs.
type outputOrder struct {
	mu   sync.Mutex
	ops  []*operandOutput
	next int // ops[:next] are handed out
}

// operandOutput is what one operand printed, kept until its turn.
type operandOutput struct {
	src, dst string
	lines    []outLine
	done     bool
	chains   map[string][]uint64 // source directory (relative) -> inode numbers from the operand down
	hasBelow map[string]bool     // relative directories with lines below them
}

// outLine is one OnFile or OnError call, with its place in GNU's order:
// the inode numbers of the path from the operand down (GNU's sort key
// at each level), then its arrival.
type outLine struct {
	key []uint64
	seq int
	rep *FileReport
	err error
}

type operandKey struct{}

// openOutput reserves the next place in the output for src -> dst unless
// ctx already carries one (CopyOperands reserves them in operand order);
// done marks it finished and hands out what is due.
func (c *Copier) openOutput(ctx context.Context, src, dst string) (_ context.Context, done func()) {
	if !c.opts.OrderedOutput || c.opts.OnFile == nil && c.opts.OnError == nil || c.opts.Interactive != nil {
		// Nothing to order; with -i the questions come in the walk's
		// order and the lines must stay next to them.
		return ctx, func() {}
	}
	if out, ok := ctx.Value(operandKey{}).(*operandOutput); ok {
		return ctx, func() { c.finishOutput(out) }
	}
	out := c.reserveOutput(src, dst)
	return context.WithValue(ctx, operandKey{}, out), func() { c.finishOutput(out) }
}

func (c *Copier) reserveOutput(src, dst string) *operandOutput {
	out := &operandOutput{src: src, dst: dst, chains: map[string][]uint64{}, hasBelow: map[string]bool{}}
	c.order.mu.Lock()
	c.order.ops = append(c.order.ops, out)
	c.order.mu.Unlock()
	return out
}

// outputOf is the place reserved for the copy ctx belongs to, nil when
// lines go out as they come.
func outputOf(ctx context.Context) *operandOutput {
	out, _ := ctx.Value(operandKey{}).(*operandOutput)
	return out
}

func (c *Copier) finishOutput(out *operandOutput) {
	o := &c.order
	o.mu.Lock()
	defer o.mu.Unlock()
	out.done = true
	for o.next < len(o.ops) && o.ops[o.next].done {
		op := o.ops[o.next]
		o.ops[o.next] = nil
		o.next++
		slices.SortStableFunc(op.lines, func(a, b outLine) int {
			if k := slices.Compare(a.key, b.key); k != 0 {
				return k
			}
			return a.seq - b.seq
		})
		// Called with o.mu held: the calls are in order and one at a
		// time, as a command printing them needs.
		for _, l := range op.lines {
			if l.rep != nil {
				c.opts.OnFile(*l.rep)
			} else {
				c.opts.OnError(l.err)
			}
		}
	}
}

// addOutput keeps a line for its turn.
func (c *Copier) addOutput(out *operandOutput, rep *FileReport, err error) {
	path := ""
	if rep != nil {
		path = rep.Src
	} else {
		var e *Error
		if errors.As(err, &e) {
			path = e.Path
			if out.rel(path) == nil && e.Path2 != "" {
				path = e.Path2
			}
		}
	}
	c.order.mu.Lock()
	defer c.order.mu.Unlock()
	l := outLine{seq: len(out.lines), rep: rep, err: err}
	l.key = out.key(path)
	if l.key == nil && len(out.lines) > 0 {
		// A path outside the operand (or none): next to the line before.
		l.key = out.lines[len(out.lines)-1].key
	}
	out.lines = append(out.lines, l)
}

// rel is path relative to the operand's source, the destination's names
// taken for the source's; nil if path is in neither.
func (out *operandOutput) rel(path string) []string {
	for _, root := range [2]string{out.src, out.dst} {
		if path == root {
			return []string{}
		}
		prefix := root
		if !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		if rest, ok := strings.CutPrefix(path, prefix); ok && rest != "" {
			return strings.Split(strings.TrimSuffix(rest, "/"), "/")
		}
	}
	return nil
}

// key is path's place: the inode number of each name from the operand
// down, as GNU sorts each directory, and a last math.MaxUint64 for a
// directory's own line once lines below it were seen (those of
// finishing it, after its children). Called with the order's lock held.
func (out *operandOutput) key(path string) []uint64 {
	names := out.rel(path)
	if names == nil {
		return nil
	}
	dir := strings.Join(names, "/")
	if out.hasBelow[dir] {
		return append(out.chain(names), math.MaxUint64)
	}
	for i := range names {
		out.hasBelow[strings.Join(names[:i], "/")] = true
	}
	return out.chain(names)
}

// chain is the inode numbers of names[0], names[0]/names[1], ... under
// the source, each directory's looked up once. A name that cannot be
// looked at (gone, or never there) sorts last in its directory.
func (out *operandOutput) chain(names []string) []uint64 {
	if len(names) == 0 {
		return []uint64{}
	}
	parent := strings.Join(names[:len(names)-1], "/")
	up, ok := out.chains[parent]
	if !ok {
		up = out.chain(names[:len(names)-1])
		out.chains[parent] = up
	}
	key := make([]uint64, len(up), len(up)+2)
	copy(key, up)
	path := out.src
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	ino, ok := inodeOf(path + strings.Join(names, "/"))
	if !ok {
		ino = math.MaxUint64 - 1
	}
	return append(key, ino)
}
