package copytree

import "sync"

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
	// shared: the workers wait for more until close, serving the copies
	// of several operands (CopyOperands).
	shared bool
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

// hungry reports whether a worker waits for work with nothing queued:
// only then is a directory's listing worth splitting. Two workers
// creating files in one directory serialise on its inode lock, so
// workers are better kept in different directories while there are any.
func (s *sched) hungry() bool {
	s.mu.Lock()
	h := s.waiting > 0 && len(s.stack) == 0
	s.mu.Unlock()
	return h
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
		for len(s.stack) == 0 && (s.running > 0 || s.shared) && !s.stopped {
			s.waiting++
			s.cond.Wait()
			s.waiting--
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

// close ends a shared scheduler's workers once they are idle.
func (s *sched) close() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.cond.Broadcast()
}
