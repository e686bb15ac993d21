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
	hasBelow map[string]bool // relative directories with lines below them
}

// outLine is one OnFile or OnError call. Its place in GNU's order is
// worked out when it is handed out: the inode number of each name of rel
// from the operand down (GNU's sort key at each level), then its arrival.
type outLine struct {
	rel     string // path below the operand, source names ("" the operand itself)
	inside  bool   // rel is a path in the operand; else the line goes after the one before
	trailer bool   // a directory's own line after lines below it: after them
	key     []uint64
	seq     int
	rep     *FileReport
	err     error
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
	out := &operandOutput{src: src, dst: dst, hasBelow: map[string]bool{}}
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
		op.sort()
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
			if _, ok := out.rel(path); !ok && e.Path2 != "" {
				path = e.Path2
			}
		}
	}
	rel, inside := out.rel(path)
	c.order.mu.Lock()
	defer c.order.mu.Unlock()
	l := outLine{rel: rel, inside: inside, seq: len(out.lines), rep: rep, err: err}
	if inside {
		if out.hasBelow[rel] {
			l.trailer = true
		} else {
			// Every directory above rel has a line below it now.
			for i := len(rel) - 1; i >= 0; i-- {
				if rel[i] == '/' && !out.hasBelow[rel[:i]] {
					out.hasBelow[rel[:i]] = true
				}
			}
			if rel != "" {
				out.hasBelow[""] = true
			}
		}
	}
	out.lines = append(out.lines, l)
}

// rel is path relative to the operand's source, the destination's names
// taken for the source's; ok is false if path is in neither.
func (out *operandOutput) rel(path string) (rel string, ok bool) {
	for _, root := range [2]string{out.src, out.dst} {
		if path == root {
			return "", true
		}
		prefix := root
		if !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		if rest, ok := strings.CutPrefix(path, prefix); ok && rest != "" {
			return strings.TrimSuffix(rest, "/"), true
		}
	}
	return "", false
}

// sort puts out's lines in GNU's order. Each directory with lines below
// it is listed once for its entries' d_ino, the key GNU sorts by; a name
// no longer there sorts last in its directory. A line outside the
// operand stays after the line that came before it.
func (out *operandOutput) sort() {
	listings := map[string]map[string]uint64{} // relative directory -> name -> d_ino
	chains := map[string][]uint64{"": {}}      // relative path -> key
	// chain is rel's key; only directories' are kept, for their entries.
	var chain func(rel string, keep bool) []uint64
	chain = func(rel string, keep bool) []uint64 {
		if k, ok := chains[rel]; ok {
			return k
		}
		dir, name := "", rel
		if i := strings.LastIndexByte(rel, '/'); i >= 0 {
			dir, name = rel[:i], rel[i+1:]
		}
		up := chain(dir, true)
		inos, ok := listings[dir]
		if !ok {
			path := out.src
			if dir != "" {
				path = strings.TrimSuffix(path, "/") + "/" + dir
			}
			inos = dirInodes(path)
			listings[dir] = inos
		}
		ino, ok := inos[name]
		if !ok {
			ino = math.MaxUint64 - 1
		}
		k := make([]uint64, len(up)+1)
		copy(k, up)
		k[len(up)] = ino
		if keep {
			chains[rel] = k
		}
		return k
	}
	var prev []uint64
	for i := range out.lines {
		l := &out.lines[i]
		switch {
		case !l.inside:
			l.key = prev
		case l.trailer:
			l.key = slices.Concat(chain(l.rel, false), []uint64{math.MaxUint64})
		default:
			l.key = chain(l.rel, false)
		}
		prev = l.key
	}
	slices.SortFunc(out.lines, func(a, b outLine) int { // seq makes it a total order
		if k := slices.Compare(a.key, b.key); k != 0 {
			return k
		}
		return a.seq - b.seq
	})
}
