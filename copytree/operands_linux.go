package copytree

import (
	"context"
	"sync"
)

type poolKey struct{}

// withWorkers runs fn with ctx carrying n workers shared by every copy
// started under it (CopyOperands: several operands at once on one set
// of workers, each tree's tasks taken newest first as one tree's are).
func withWorkers(ctx context.Context, n int, fn func(ctx context.Context)) {
	s := newSched()
	s.shared = true
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.run(n)
	}()
	fn(context.WithValue(ctx, poolKey{}, s))
	s.close()
	wg.Wait()
}

// walk runs a tree's root listing and everything it queues, and returns
// when they are done: on the shared workers when ctx has them, else on
// workers of its own.
func (tc *treeCopy) walk(root func()) {
	if s, ok := tc.ctx.Value(poolKey{}).(*sched); ok {
		tc.s = s
		tc.push(root)
		tc.work.Wait()
		return
	}
	tc.s = newSched()
	tc.push(root)
	tc.s.run(tc.o.Jobs)
}

// push queues one task of this copy.
func (tc *treeCopy) push(t func()) {
	tc.work.Add(1)
	tc.s.push(func() {
		defer tc.work.Done()
		t()
	})
}

// pauseCreated stops noting created files until resume is called (no
// copy running in between).
func (t *treeState) pauseCreated() (resume func()) {
	created := t.created
	t.created = nil
	return func() { t.created = created }
}
