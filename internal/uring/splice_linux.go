package uring

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Slots of the splice loop's operations.
const (
	slotSpliceIn = iota
	slotSpliceOut
	slotPoll
)

// ops wraps an IORING_OP_POLL_ADD prep for the splice loop.
func (r *Ring) pollAdd(slot uint64, fd int, events uint32, flags uint8) bool {
	e := r.next()
	if e == nil {
		return false
	}
	e.opcode, e.flags, e.fd, e.userData = opPollAdd, flags, int32(fd), slot
	e.opFlags = events // poll32_events, little-endian hosts
	return true
}

// runSplice moves a.Src into the stream socket a.Dst through a pipe, one
// round in flight: splice(file at off -> pipe, n) linked to splice(pipe ->
// socket, n). What a short or refused second splice leaves in the pipe
// goes out before the next round; when the socket is full (EAGAIN: Go's
// sockets are non-blocking) the next send waits behind a linked
// POLL_ADD(POLLOUT), inside the kernel. It returns the bytes sent.
func (c *copier) runSplice() (written int64) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		c.fail(os.NewSyscallError("pipe2", err))
		return 0
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	size, err := unix.FcntlInt(uintptr(p[1]), unix.F_SETPIPE_SZ, c.cfg.BlockSize)
	if err != nil {
		size, _ = unix.FcntlInt(uintptr(p[1]), unix.F_GETPIPE_SZ, 0)
	}
	if size <= 0 {
		size = 64 << 10
	}
	off := c.a.SrcOff
	var inPipe int64
	eof, waitOut := false, false
	for c.err == nil {
		if err := c.ctxErr(); err != nil {
			c.fail(err)
			break
		}
		want := 0
		switch {
		case inPipe > 0:
		case eof || (c.end >= 0 && off-c.a.SrcOff >= c.end):
			return written
		default:
			want = size
			if c.end >= 0 {
				want = int(min(int64(want), c.end-(off-c.a.SrcOff)))
			}
			c.r.Splice(slotSpliceIn, c.a.Src, off, p[1], -1, want, 0, Link)
		}
		if waitOut {
			c.r.pollAdd(slotPoll, c.a.Dst, unix.POLLOUT, Link)
		}
		out := inPipe + int64(want)
		c.r.Splice(slotSpliceOut, p[0], -1, c.a.Dst, -1, int(out), 0, 0)
		timeout := time.Duration(0)
		if c.a.Ctx != nil && c.a.Ctx.Done() != nil {
			timeout = waitSlice
		}
		waitOut = false
		for c.r.pending() > 0 || c.r.Inflight() > 0 {
			n, err := c.r.Submit(c.r.Inflight()+int(c.r.pending()), timeout)
			c.st.Enters++
			c.st.Ops += n
			if err != nil && err != unix.EAGAIN && err != unix.EBUSY {
				c.fail(err)
				break
			}
			c.r.Reap(func(comp Completion) {
				switch comp.Slot {
				case slotSpliceIn:
					switch {
					case comp.Res > 0:
						inPipe += int64(comp.Res)
						off += int64(comp.Res)
					case comp.Res == 0:
						eof = true
					case comp.Res == -int32(unix.EAGAIN), comp.Res == -int32(unix.EINTR):
					default:
						c.fail(os.NewSyscallError("io_uring splice", unix.Errno(-comp.Res)))
					}
				case slotSpliceOut:
					switch {
					case comp.Res > 0:
						inPipe -= int64(comp.Res)
						written += int64(comp.Res)
						c.st.Moved = true
						if c.a.Progress != nil {
							c.a.Progress(int64(comp.Res))
						}
					case comp.Res == 0 && inPipe > 0:
						waitOut = true
					case comp.Res == -int32(unix.EAGAIN):
						waitOut = true // the socket is full: poll first
						c.st.Requeued++
					case comp.Res == -int32(unix.ECANCELED), comp.Res == -int32(unix.EINTR):
						// A short first splice cancelled it.
					case comp.Res < 0:
						c.fail(os.NewSyscallError("io_uring splice", unix.Errno(-comp.Res)))
					}
				case slotPoll:
					if comp.Res < 0 && comp.Res != -int32(unix.ECANCELED) {
						c.fail(os.NewSyscallError("io_uring poll", unix.Errno(-comp.Res)))
					}
				}
			})
			if c.err == nil {
				if err := c.ctxErr(); err != nil {
					c.fail(err)
				}
			}
			if c.err != nil {
				break
			}
		}
	}
	// Cancel what waits on the socket; the pipe outlives it.
	c.r.drain(nil)
	return written
}
