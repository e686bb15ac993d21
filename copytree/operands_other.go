//go:build !linux

package copytree

import "context"

// withWorkers has no workers to share: there is no tree copier here.
func withWorkers(ctx context.Context, n int, fn func(ctx context.Context)) { fn(ctx) }

// pauseCreated: nothing is noted here.
func (t *treeState) pauseCreated() (resume func()) { return func() {} }
