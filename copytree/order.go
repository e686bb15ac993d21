package copytree

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
)

// GNU cp prints what it does in the order it does it: the operands in
// order, each tree depth first, a directory's line before its entries,
// and the entries in the order gnulib's savedir gives them
// (SAVEDIR_SORT_FASTREAD: sorted by d_ino, stable for equal ones), a
// directory's after-the-children errors ("preserving times for") after
// them. The parallel walk finishes entries in any order, so with
// Options.OrderedOutput a line (an OnFile or OnError call) is kept by
// the entry it is about and handed out as soon as everything before it
// in that order is finished: a cursor walks the operands' trees in
// GNU's order, entering a directory once it is listed (its entries
// sorted by d_ino), moving past an entry once it is done, past a
// directory once its subtree is done. Only the lines ahead of the
// cursor are kept, and the sorted listings of the directories it is in
// or has lines waiting in, as GNU holds each open directory's listing.
//
// The walk tells the order of four things (the hooks below): a
// subdirectory is made (openDir), a directory's listing is read
// (listed), an entry is copied (entryDone), a directory's subtree is
// done (dirDone); the operand's end (finishOutput) ends the rest.
// Without OnFile the lines are errors, few: entries are not told one by
// one (a directory's are done with it), and a directory is listed for
// its order only when a line is kept below it.

// outputOrder is a Copier's queue of operands' outputs.
type outputOrder struct {
	mu       sync.Mutex
	ops      []*operandOutput
	next     int       // ops[:next] are handed out
	ready    []outLine // due, in order, not yet handed out
	emitting bool      // a goroutine is handing out ready
	waiting  int       // lines kept ahead of the cursor
	maxWait  int       // the most ever kept (tests)
}

// operandOutput is one operand's lines, kept until their turn.
type operandOutput struct {
	c        *Copier
	perEntry bool // OnFile: each entry's end is told (entryDone)
	src, dst string
	dirs     map[string]*dirOut // relative path ("" the operand) -> directory not yet handed out
	cursor   []*dirOut          // the directories the cursor is in, the operand first
	done     bool               // the operand's copy returned: everything is finished
	out      bool               // all handed out
}

// dirOut is a directory's lines and its entries' while they wait.
type dirOut struct {
	parent     *dirOut
	rel        string
	below      bool      // a line was kept below it: its order is needed
	head, tail []outLine // before its entries (until listed), after them
	listed     bool      // its entries are all known
	sorted     bool      // order is read
	done       bool      // its subtree is finished
	order      []string  // entry names in GNU's order once listed
	pos        int       // order[:pos] are handed out
	extras     bool      // names not in the listing are appended to order
	ents       map[string]*entOut
	seq        int // arrivals, for names not in the listing
}

// entOut is one entry's lines; a subdirectory's are in dir.
type entOut struct {
	lines []outLine
	done  bool
	dir   *dirOut
	seq   int
}

// outLine is one OnFile or OnError call.
type outLine struct {
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
	root := &dirOut{}
	out := &operandOutput{c: c, perEntry: c.opts.OnFile != nil, src: src, dst: dst, dirs: map[string]*dirOut{"": root}, cursor: []*dirOut{root}}
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
	c.order.mu.Lock()
	out.done = true
	c.handOut()
}

// handOut moves what is due to ready and, unless another goroutine is at
// it, hands ready out: the calls are in order and one at a time, as a
// command printing them needs, without the lock, so that workers keep
// copying meanwhile. Called with o.mu held; returns with it released.
func (c *Copier) handOut() {
	o := &c.order
	for o.next < len(o.ops) && o.ops[o.next].advance() {
		o.ops[o.next] = nil
		o.next++
	}
	if o.emitting {
		o.mu.Unlock()
		return
	}
	o.emitting = true
	var lines []outLine
	for len(o.ready) > 0 {
		lines, o.ready = o.ready, lines[:0]
		o.mu.Unlock()
		for i, l := range lines {
			if l.rep != nil {
				c.opts.OnFile(*l.rep)
			} else {
				c.opts.OnError(l.err)
			}
			lines[i] = outLine{}
		}
		o.mu.Lock()
	}
	o.emitting = false
	o.mu.Unlock()
}

// onFile is an OnFile call for a copy whose lines wait their turn in out
// (nil: called at once).
func (c *Copier) onFile(out *operandOutput, r *FileReport) {
	if out == nil {
		c.opts.OnFile(*r)
		return
	}
	rep := *r
	c.addOutput(out, &rep, nil)
}

// addOutput keeps a line for its turn, with the entry it is about.
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
	l := outLine{rep: rep, err: err}
	o := &c.order
	o.mu.Lock()
	if out.out {
		o.ready = append(o.ready, l) // late: after what came before
		c.handOut()
		return
	}
	o.waiting++
	o.maxWait = max(o.maxWait, o.waiting)
	if !inside {
		rel = "" // after what came before in the operand: its own lines
	}
	var unsorted []*dirOut
	if d := out.dirs[rel]; d != nil {
		// A directory's own line: before its entries until they are
		// listed, after them from then on.
		if d.listed {
			d.tail = append(d.tail, l)
		} else {
			d.head = append(d.head, l)
		}
		unsorted = d.parent.keptBelow()
	} else {
		d, name := out.parentOf(rel)
		e := d.ent(name)
		e.lines = append(e.lines, l)
		unsorted = d.keptBelow()
	}
	if len(unsorted) > 0 {
		// The first line below directories listed without their
		// order (no line was kept below them then): read it now, by
		// name, not to wait for their end.
		o.mu.Unlock()
		orders := make([][]string, len(unsorted))
		for i, d := range unsorted {
			orders[i] = sortedNamesAt(out.src, d.rel)
		}
		o.mu.Lock()
		for i, d := range unsorted {
			if !d.sorted {
				d.order, d.sorted = orders[i], true
			}
		}
	}
	c.handOut()
}

// keptBelow notes that d and the directories above it have a line kept
// below them, and returns those of them listed without their order.
func (d *dirOut) keptBelow() (unsorted []*dirOut) {
	for ; d != nil && !d.below; d = d.parent {
		d.below = true
		if d.listed && !d.sorted {
			unsorted = append(unsorted, d)
		}
	}
	return unsorted
}

// parentOf is the directory whose entry rel is, and the entry's name;
// a path below no directory being copied counts as an entry of the
// deepest one above it that is.
func (out *operandOutput) parentOf(rel string) (*dirOut, string) {
	for i := len(rel) - 1; i >= 0; i-- {
		if rel[i] == '/' {
			if d := out.dirs[rel[:i]]; d != nil {
				return d, rel[i+1:]
			}
		}
	}
	return out.dirs[""], rel
}

func (d *dirOut) ent(name string) *entOut {
	if d.ents == nil {
		d.ents = map[string]*entOut{}
	}
	e := d.ents[name]
	if e == nil {
		d.seq++
		e = &entOut{seq: d.seq}
		d.ents[name] = e
	}
	return e
}

// drop forgets the directories below d, all finished without lines.
func (out *operandOutput) drop(d *dirOut) {
	for _, e := range d.ents {
		if e.dir != nil {
			out.drop(e.dir)
			delete(out.dirs, e.dir.rel)
		}
	}
}

// advance moves the cursor over what is finished, moving the lines it
// passes to ready, and reports whether the operand is all handed out.
// Called with o.mu held. Once the operand's copy is done everything is
// finished, even what the walk did not say (a listing never read).
func (out *operandOutput) advance() bool {
	o := &out.c.order
	emit := func(lines []outLine) {
		o.ready = append(o.ready, lines...)
		o.waiting -= len(lines)
	}
next:
	for len(out.cursor) > 0 {
		d := out.cursor[len(out.cursor)-1]
		emit(d.head)
		d.head = nil
		if !d.listed && !out.done {
			return false
		}
		finished := d.done || out.done
		if !d.sorted {
			// Listed without its order: nothing was kept below it then.
			if !finished {
				return false
			}
			if d.below {
				d.order = sortedNamesAt(out.src, d.rel)
			} else {
				out.drop(d) // nothing below it to hand out
				d.ents = nil
			}
			d.sorted = true
		}
		for {
			if d.pos == len(d.order) {
				if !finished {
					return false
				}
				if !d.extras {
					// Names the listing did not have (made since): last,
					// in the order their lines came.
					d.extras = true
					var extra []string
					for name := range d.ents {
						extra = append(extra, name)
					}
					slices.SortFunc(extra, func(a, b string) int { return d.ents[a].seq - d.ents[b].seq })
					d.order = append(d.order, extra...)
					continue
				}
				break
			}
			name := d.order[d.pos]
			e := d.ents[name]
			if e == nil {
				if !finished {
					return false // not copied yet
				}
				d.pos++
				continue
			}
			if e.dir != nil {
				d.pos++
				delete(d.ents, name)
				out.cursor = append(out.cursor, e.dir)
				continue next
			}
			if !e.done && !finished {
				return false
			}
			emit(e.lines)
			d.pos++
			delete(d.ents, name)
		}
		emit(d.tail)
		d.tail, d.order, d.ents = nil, nil, nil
		delete(out.dirs, d.rel)
		out.cursor[len(out.cursor)-1] = nil
		out.cursor = out.cursor[:len(out.cursor)-1]
	}
	if out.done {
		out.out = true
	}
	return out.done
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
