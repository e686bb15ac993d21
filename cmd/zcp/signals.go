package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"time"
)

// interrupts makes zcp end on SIGINT, SIGTERM and SIGXFSZ as GNU cp does,
// dying of the signal (a shell sees 128+N, so `for ...; do cp ...; done`
// stops), after winding the copy down: the copy is cancelled, temporary
// files (--atomic) are removed and the progress line is finished. A
// prompt (-i) cannot be cancelled, so a signal there, a second signal, or
// a copy not stopped within windDown ends zcp at once. A signal ignored when zcp started stays ignored, as it
// does for cp.
//
// main catches the signals (a process-wide setting); run only reads them.
type interrupts struct {
	ch     chan os.Signal
	ctx    context.Context
	cancel context.CancelFunc
	caught atomic.Pointer[os.Signal]

	mu        sync.Mutex // held from the decision to die on
	prompting bool
	finish    func() // finishes the progress line; set by the copy
}

// catchSignals starts catching the signals zcp dies of.
func catchSignals() *interrupts {
	s := &interrupts{ch: make(chan os.Signal, 2)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	var sigs []os.Signal
	for _, sig := range fatalSignals {
		if !signal.Ignored(sig) {
			sigs = append(sigs, sig)
		}
	}
	if len(sigs) > 0 {
		signal.Notify(s.ch, sigs...)
		go s.loop()
	}
	return s
}

func (s *interrupts) loop() {
	sig := <-s.ch
	s.caught.Store(&sig)
	s.cancel()
	s.mu.Lock()
	if s.prompting {
		s.die(sig) // the read of the answer cannot be cancelled
	}
	s.mu.Unlock()
	// A copy blocked in a system call (a FIFO read with --copy-contents,
	// a hung network filesystem) does not wind down: after windDown, or
	// at a second signal, no more waiting.
	t := time.NewTimer(windDown)
	select {
	case sig = <-s.ch:
	case <-t.C:
	}
	s.mu.Lock()
	s.die(sig)
}

// windDown is how long a cancelled copy has to stop before zcp dies
// anyway; it normally takes milliseconds.
const windDown = time.Second

// context is cancelled by the first signal.
func (s *interrupts) context() context.Context {
	if s == nil {
		return context.Background()
	}
	return s.ctx
}

// signal returns the signal caught, or nil.
func (s *interrupts) signal() os.Signal {
	if s == nil {
		return nil
	}
	if p := s.caught.Load(); p != nil {
		return *p
	}
	return nil
}

// onFinish sets what finishes the progress line before zcp dies.
func (s *interrupts) onFinish(f func()) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.finish = f
	s.mu.Unlock()
}

// prompt marks a question (-i) as up or answered; a signal caught before
// it went up ends zcp now.
func (s *interrupts) prompt(up bool) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.prompting = up
	if sig := s.signal(); sig != nil && up {
		s.die(sig)
	}
	s.mu.Unlock()
}

// quiet reports whether the error err is not to be printed: zcp is dying
// of a signal (GNU cp, killed by it, says nothing more). A write that
// failed with EFBIG raised SIGXFSZ, if it was the file size limit: the
// signal is waited for a moment.
func (s *interrupts) quiet(err error) bool {
	if s == nil {
		return false
	}
	if s.signal() == nil && raisesSignal(err) {
		t := time.NewTimer(time.Second)
		defer t.Stop()
		select {
		case <-s.ctx.Done():
		case <-t.C:
		}
	}
	return s.signal() != nil
}

// dieIfCaught ends zcp of the signal caught, if any, once the copy has
// wound down.
func (s *interrupts) dieIfCaught() {
	if s == nil {
		return
	}
	if sig := s.signal(); sig != nil {
		s.mu.Lock()
		s.die(sig)
	}
}

// die finishes the progress line and dies of sig; s.mu is held, and stays
// held so that nothing else writes.
func (s *interrupts) die(sig os.Signal) {
	if s.finish != nil {
		s.finish()
	}
	raise(sig)
}
