package copytree

import (
	"sync"
	"sync/atomic"
)

// sched runs tasks on a fixed set of workers. Tasks are taken newest
// first: the chunks of a directory being listed run before directories not
// yet opened, which keeps the number of open directories near the worker
// count and the queue near the width of the tree being read.
type sched struct {
	mu      sync.Mutex
	cond    sync.Cond
	stack   []func()
	running int
	waiting int // workers idle in cond.Wait
	stopped bool
	// idle is waiting, readable without the lock (a worker looks at
	// it for every file it might hand off).
	idle atomic.Int32
}

func newSched() *sched {
	s := &sched{}
	s.cond.L = &s.mu
	return s
}

func (s *sched) push(t func()) {
	s.mu.Lock()
	s.stack = append(s.stack, t)
	s.mu.Unlock()
	s.cond.Signal()
}

// run works with n workers until no task is queued or running.
func (s *sched) run(n int) {
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.work()
		}()
	}
	wg.Wait()
}

func (s *sched) work() {
	s.mu.Lock()
	for {
		for len(s.stack) == 0 && s.running > 0 && !s.stopped {
			s.waiting++
			s.idle.Store(int32(s.waiting))
			s.cond.Wait()
			s.waiting--
			s.idle.Store(int32(s.waiting))
		}
		if len(s.stack) == 0 || s.stopped {
			s.stopped = true
			s.mu.Unlock()
			s.cond.Broadcast()
			return
		}
		t := s.stack[len(s.stack)-1]
		s.stack[len(s.stack)-1] = nil
		s.stack = s.stack[:len(s.stack)-1]
		s.running++
		s.mu.Unlock()
		t()
		s.mu.Lock()
		s.running--
		if s.running == 0 && len(s.stack) == 0 {
			s.cond.Broadcast()
		}
	}
}
