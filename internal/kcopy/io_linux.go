package kcopy

import (
	"time"

	"golang.org/x/sys/unix"
)

// side names the descriptor a system call would block on.
type side uint8

const (
	sideNone side = iota
	sideSrc
	sideDst
	sideUnknown // EAGAIN, but the op cannot tell which side: ask poll(2)
)

// op performs one system call on the source and destination descriptors.
// On EAGAIN it says which side would block, or sideUnknown.
type op func(sfd, dfd int) (n int64, blocked side, err error)

// notPollable is the error internal/poll returns when asked to wait on a
// descriptor that is not registered with the runtime poller (for example an
// inherited O_NONBLOCK stdout, golang/go#59041). std exports no sentinel.
const notPollable = "waiting for unsupported file type"

// pollSlice bounds one poll(2) wait when the copy has a context, so that
// cancellation is noticed on descriptors Go's poller does not manage.
const pollSlice = 100 * time.Millisecond

// do runs fn with both descriptors held (the source's read lock and the
// destination's write lock, as os.File's own zero-copy paths take them) and
// waits, never spins, while fn reports EAGAIN: through Go's poller where the
// descriptor is registered, with poll(2) where it is not.
func (p *Pair) do(fn op) (int64, error) {
	for {
		var (
			n     int64
			err   error
			wait  side
			retry bool
		)
		rerr := p.Src.RC.Read(func(s uintptr) bool {
			werr := p.Dst.RC.Write(func(d uintptr) bool {
				for {
					n, wait, err = fn(int(s), int(d))
					p.Calls++
					if err != unix.EAGAIN {
						wait = sideNone
						return true
					}
					if wait == sideUnknown {
						wait = blockedSide(p, int(s), int(d))
					}
					e, fd, events := p.Src, int(s), int16(unix.POLLIN)
					if wait == sideDst {
						e, fd, events = p.Dst, int(d), unix.POLLOUT
					}
					if e.pollable != no {
						// Let the poller wait: for the destination by
						// returning false here, for the source by
						// returning false from the outer callback.
						return wait != sideDst
					}
					if err = p.pollWait(fd, events); err != nil {
						wait = sideNone
						return true
					}
				}
			})
			if werr != nil {
				if wait == sideDst && werr.Error() == notPollable {
					p.Dst.pollable, retry = no, true
				} else {
					err, wait = werr, sideNone
				}
				return true
			}
			return wait != sideSrc || p.Src.pollable == no
		})
		if rerr != nil {
			if wait == sideSrc && rerr.Error() == notPollable {
				p.Src.pollable, retry = no, true
			} else {
				err = rerr
			}
		}
		if !retry {
			return n, err
		}
	}
}

// blockedSide finds which descriptor made a two-sided call return EAGAIN.
func blockedSide(p *Pair, s, d int) side {
	switch {
	case p.Src.Kind.Seekable():
		return sideDst
	case p.Dst.Kind.Seekable():
		return sideSrc
	}
	fds := []unix.PollFd{{Fd: int32(s), Events: unix.POLLIN}, {Fd: int32(d), Events: unix.POLLOUT}}
	if _, err := ignoringEINTR2(func() (int, error) { return unix.Poll(fds, 0) }); err == nil &&
		fds[0].Revents == 0 {
		return sideSrc
	}
	return sideDst
}

// pollWait blocks in poll(2) until fd is ready for events, in slices when
// the copy can be cancelled.
func (p *Pair) pollWait(fd int, events int16) error {
	timeout := -1
	if p.Ctx != nil && p.Ctx.Done() != nil {
		timeout = int(pollSlice / time.Millisecond)
	}
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: events}}
		n, err := ignoringEINTR2(func() (int, error) { return unix.Poll(fds, timeout) })
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if err := p.ctxErr(); err != nil {
			return err
		}
	}
}

func (p *Pair) ctxErr() error {
	if p.Ctx == nil {
		return nil
	}
	return p.Ctx.Err()
}

// round is how many bytes to ask for in one call: remain (or max when
// remain < 0, meaning until EOF), capped by max and by p.Chunk.
func (p *Pair) round(remain, max int64) int {
	if p.Chunk > 0 && p.Chunk < max {
		max = p.Chunk
	}
	if remain >= 0 && remain < max {
		max = remain
	}
	return int(max)
}

// moved accounts n bytes read from the source at an explicit position.
func (p *Pair) moved(n int64) {
	if n <= 0 {
		return
	}
	if p.Src.Pos >= 0 {
		p.Src.Pos += n
	}
	if p.Progress != nil {
		p.Progress(n)
	}
}

// srcOff returns a pointer to the explicit source position, or nil when the
// descriptor's own offset is used.
func (p *Pair) srcOff() *int64 {
	if p.Src.Pos < 0 {
		return nil
	}
	off := p.Src.Pos
	return &off
}
