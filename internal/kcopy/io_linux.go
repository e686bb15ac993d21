package kcopy

import (
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/eintr"
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

// ioState is the state of one [Pair.do], kept in the Pair so that the
// callbacks handed to RawConn are made once per copy, not once per call.
type ioState struct {
	fn           op
	n            int64
	err          error
	wait         side
	retry        bool
	outer, inner func(uintptr) bool
	sfd          uintptr
}

// opCache holds the ops of a Pair, bound once (see Pair.Reset).
type opCache struct {
	rounds op
}

// callKind selects the system call a round makes.
type callKind uint8

const (
	callCopyFileRange callKind = iota
	callSendfile
	callSplice
	callSpliceViaPipe
	callReadWrite
)

// roundState is the progress of [Pair.run].
type roundState struct {
	kind      callKind
	batch     bool  // all rounds in one hold of the descriptors
	remain    int64 // source bytes still to take; < 0: until EOF
	written   int64 // bytes delivered to the destination
	taken     int64 // bytes taken from the source
	lastN     int64 // delivered since progress was last reported
	pipe      *pipe // callSpliceViaPipe's pipe
	done      bool
	handled   bool
	drain     bool // the destination refused splice with bytes in the pipe
	err       error
	rw        rwState       // callReadWrite's buffer
	growTried bool          // growPipes ran for this copy
	grown     [2]pipeGrowth // the caller's pipes this copy grew: source, destination
}

// run drives a method that makes one kind of call per round until remain
// bytes moved, EOF, or an error, and classifies each outcome. Without a
// context, a progress callback or a chunk limit, all rounds run inside one
// hold of the descriptors, as os.File's own loops do (a small copy then
// costs what io.Copy's does); otherwise the descriptors are released after
// every round, so that progress is reported and cancellation noticed in
// between, outside the locks.
func (p *Pair) run(kind callKind, remain int64, pp *pipe) (written int64, handled bool, err error) {
	if p.ops.rounds == nil {
		p.ops.rounds = p.rounds
	}
	r := &p.r
	*r = roundState{kind: kind, remain: remain, handled: true, pipe: pp, rw: r.rw}
	r.batch = p.Ctx == nil && p.Progress == nil && p.Chunk <= 0
	for !r.done {
		if err := p.ctxErr(); err != nil {
			return r.written, true, err
		}
		_, err := p.do(p.ops.rounds)
		if r.lastN > 0 {
			p.progress(r.lastN)
			r.lastN = 0
		}
		if err != nil {
			// Taking a descriptor or waiting on it failed: closed, or
			// a deadline (a cancelled context). Before any byte left
			// the source this is a fallback, so that the read/write
			// loop reports it exactly as io.Copy would.
			if r.taken == 0 && p.ctxErr() == nil {
				return 0, false, err
			}
			return r.written, true, err
		}
	}
	return r.written, r.handled, r.err
}

// rounds is the op behind [Pair.run]: it makes calls until the copy is
// done, after one call when not batching, or at EAGAIN, which goes back to
// do to wait; do then calls rounds again and it carries on.
func (p *Pair) rounds(s, d int) (int64, side, error) {
	for {
		wait, err := p.round1(s, d)
		p.Calls++
		if err == unix.EAGAIN {
			return 0, wait, err
		}
		if p.r.done || !p.r.batch {
			return 0, sideNone, nil
		}
	}
}

// round1 makes one system call and records its outcome in p.r. It returns
// EAGAIN, and the side that would block, untouched.
func (p *Pair) round1(s, d int) (side, error) {
	r := &p.r
	var n int64
	var err error
	switch r.kind {
	case callCopyFileRange:
		p.want = p.round(r.remain, maxCopyFileRangeRound)
		off := p.srcOff()
		k, e := eintr.RetryValue(func() (int, error) { return copyFileRange(s, off, d, nil, p.want, 0) })
		if e == unix.EAGAIN {
			return sideUnknown, e
		}
		n, err = int64(max0(k)), e
	case callSendfile:
		p.want = p.round(r.remain, maxSendfileRound)
		off := p.srcOff()
		k, e := eintr.RetryValue(func() (int, error) { return sendfile(d, s, off, p.want) })
		if e == unix.EAGAIN {
			return sideDst, e
		}
		n, err = int64(max0(k)), e
	case callSplice:
		p.want = p.round(r.remain, maxSpliceRound)
		off := p.srcOff()
		k, e := eintr.RetryValue(func() (int64, error) { return splice(s, off, d, nil, p.want, p.spliceFlags()) })
		if e == unix.EAGAIN {
			return sideUnknown, e
		}
		n, err = max(k, 0), e
	case callSpliceViaPipe:
		return p.pipeRound(s, d)
	case callReadWrite:
		return p.rwRound(s, d)
	}
	if n > 0 {
		r.written += n
		r.lastN += n
		r.take(p, n)
	}
	var handled bool
	errno := err
	switch r.kind {
	case callCopyFileRange:
		handled, err = handleCopyFileRangeErr(n, err, r.written)
	case callSendfile:
		handled, err = handleSendfileErr(n, err, r.written)
	case callSplice:
		handled, err = handleSpliceErr(p, n, err, r.written)
	}
	if handled && err != nil {
		p.FailedSrc = sourceFailed(p, errno)
	}
	switch {
	case !handled:
		r.done, r.handled, r.err = true, false, err
	case err != nil || n == 0 || r.remain == 0:
		r.done, r.err = true, err
	}
	switch {
	case r.done:
		if r.grown[0].size != 0 || r.grown[1].size != 0 {
			r.restorePipes()
		}
	case !r.growTried && r.written >= growPipeMin &&
		(r.kind == callSplice || (r.kind == callSendfile && p.Dst.Kind == KindPipe)):
		r.growTried = true
		p.growPipes(s, d)
	}
	return sideNone, nil
}

// pipeRound is one call of a splice through the pipe: from the source
// into the empty pipe, or from the pipe into the destination until it is
// empty again.
func (p *Pair) pipeRound(s, d int) (side, error) {
	r, pp := &p.r, p.r.pipe
	if pp.data > 0 {
		k, err := eintr.RetryValue(func() (int64, error) { return splice(pp.r, nil, d, nil, int(pp.data), pipeFlags) })
		if err == unix.EAGAIN {
			return sideDst, err // the destination is full
		}
		k = max(k, 0)
		pp.data -= k
		r.written += k
		r.lastN += k
		switch {
		case err != nil && r.written == 0 && (err == unix.EINVAL || err == unix.EOPNOTSUPP):
			// A destination without splice_write (or O_APPEND): the
			// source bytes are in the pipe already, so read/write
			// must deliver them (see SpliceViaPipe).
			r.done, r.drain = true, true
		case err != nil:
			r.done, r.err, p.FailedSrc = true, os.NewSyscallError("splice", err), false
		case k == 0:
			r.done, r.err = true, os.NewSyscallError("splice", unix.EIO) // a pipe never gives 0 while holding data
		case pp.data == 0 && r.remain == 0:
			r.done = true
		}
		return sideNone, nil
	}
	p.want = p.round(r.remain, int64(pp.size))
	off := p.srcOff()
	k, err := eintr.RetryValue(func() (int64, error) { return splice(s, off, pp.w, nil, p.want, pipeFlags) })
	if err == unix.EAGAIN {
		return sideSrc, err // the pipe is empty, so the source has nothing
	}
	k = max(k, 0)
	if k > 0 {
		pp.data += k
		r.take(p, k)
	}
	handled, err := handleSpliceErr(p, k, err, r.written+pp.data-k)
	p.FailedSrc = true // only the source can refuse a splice into our pipe
	switch {
	case !handled:
		r.done, r.handled, r.err = true, false, err
	case err != nil || k == 0:
		r.done, r.err = true, err
	}
	return sideNone, nil
}

// take accounts n bytes taken from the source.
func (r *roundState) take(p *Pair, n int64) {
	r.taken += n
	if r.remain > 0 {
		r.remain -= n
	}
	if p.Src.Pos >= 0 {
		p.Src.Pos += n
	}
}

// Reset readies p for another copy. The callbacks p made for RawConn stay,
// so a pooled Pair costs no allocation.
func (p *Pair) Reset() {
	*p = Pair{st: ioState{outer: p.st.outer, inner: p.st.inner}, ops: p.ops}
}

// do runs fn with both descriptors held (the source's read lock and the
// destination's write lock, as os.File's own zero-copy paths take them) and
// waits, never spins, while fn reports EAGAIN: through Go's poller where the
// descriptor is registered, with poll(2) where it is not.
func (p *Pair) do(fn op) (int64, error) {
	st := &p.st
	if st.outer == nil {
		st.outer, st.inner = p.outerCallback, p.innerCallback
	}
	st.fn = fn
	for {
		st.n, st.err, st.wait, st.retry = 0, nil, sideNone, false
		if rerr := p.Src.RC.Read(st.outer); rerr != nil {
			if st.wait == sideSrc && rerr.Error() == notPollable {
				p.Src.pollable, st.retry = no, true
			} else {
				st.err, p.FailedSrc = rerr, true
			}
		}
		if !st.retry {
			st.fn = nil
			return st.n, st.err
		}
		if err := p.ctxErr(); err != nil {
			st.fn = nil
			return st.n, err
		}
	}
}

// outerCallback runs with the source held and takes the destination.
func (p *Pair) outerCallback(s uintptr) bool {
	st := &p.st
	st.sfd = s
	if werr := p.Dst.RC.Write(st.inner); werr != nil {
		if st.wait == sideDst && werr.Error() == notPollable {
			p.Dst.pollable, st.retry = no, true
		} else {
			st.err, st.wait, p.FailedSrc = werr, sideNone, false
		}
		return true
	}
	// false makes the poller wait until the source is readable.
	return st.wait != sideSrc || p.Src.pollable == no
}

// innerCallback runs with both descriptors held and makes the call.
func (p *Pair) innerCallback(d uintptr) bool {
	st := &p.st
	s := int(st.sfd)
	for again := 0; ; again++ {
		st.n, st.wait, st.err = st.fn(s, int(d))
		if st.err != unix.EAGAIN {
			st.wait = sideNone
			return true
		}
		if st.wait == sideUnknown {
			st.wait = blockedSide(p, s, int(d))
			if st.wait == sideNone {
				if again < maxAgain {
					// Both sides became ready after the call
					// said EAGAIN: waiting for an edge on either
					// could wait forever, so call again.
					continue
				}
				st.wait = sideDst // the kernel disagrees with poll: do not spin
			}
		}
		e, fd, events := p.Src, s, int16(unix.POLLIN)
		if st.wait == sideDst {
			e, fd, events = p.Dst, int(d), unix.POLLOUT
		}
		switch {
		case e.pollable != no && p.Ctx == nil:
			// Let the poller wait: for the destination by returning
			// false here, for the source by returning false from
			// the outer callback.
			return st.wait != sideDst
		case p.Ctx != nil:
			// A cancellable copy waits in slices of poll(2) and goes
			// back through the RawConns between them, where a closed
			// descriptor or the caller's own deadline shows: zcopy
			// never sets a deadline, so it never clears the caller's.
			ready, err := p.pollOnce(fd, events, int(pollSlice/time.Millisecond))
			if err != nil || !ready {
				st.err, st.wait, st.retry = err, sideNone, err == nil
				return true
			}
		default:
			if st.err = p.pollWait(fd, events); st.err != nil {
				st.wait = sideNone
				return true
			}
		}
	}
}

// maxAgain bounds the calls repeated at once because poll(2) found both
// sides ready after an EAGAIN.
const maxAgain = 8

// blockedSide finds which descriptor made a two-sided call return EAGAIN.
func blockedSide(p *Pair, s, d int) side {
	switch {
	case p.Src.Kind.Seekable():
		return sideDst
	case p.Dst.Kind.Seekable():
		return sideSrc
	}
	fds := []unix.PollFd{{Fd: int32(s), Events: unix.POLLIN}, {Fd: int32(d), Events: unix.POLLOUT}}
	if _, err := eintr.RetryValue(func() (int, error) { return unix.Poll(fds, 0) }); err != nil {
		return sideDst
	}
	switch {
	case fds[0].Revents == 0:
		return sideSrc
	case fds[1].Revents == 0:
		return sideDst
	}
	// Both ready: the other end filled the source pipe (or drained the
	// destination) between the EAGAIN and the poll. Waiting on the
	// destination would sleep until its next edge, which never comes if
	// it has room (a pipe -> TCP copy hung so in TestPairMatrix). sideNone
	// asks the caller to call again; the next EAGAIN is a fresh one.
	return sideNone
}

// pollWait blocks in poll(2) until fd is ready for events.
func (p *Pair) pollWait(fd int, events int16) error {
	for {
		ready, err := p.pollOnce(fd, events, -1)
		if err != nil || ready {
			return err
		}
	}
}

// pollOnce waits up to timeout milliseconds (-1: no limit) in poll(2) for
// fd to be ready for events.
func (p *Pair) pollOnce(fd int, events int16, timeout int) (ready bool, err error) {
	fds := [1]unix.PollFd{{Fd: int32(fd), Events: events}}
	n, err := eintr.RetryValue(func() (int, error) { return unix.Poll(fds[:], timeout) })
	return n > 0, err
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

// moved accounts n bytes moved, advancing an explicit source position.
func (p *Pair) moved(n int64) {
	if n <= 0 {
		return
	}
	if p.Src.Pos >= 0 {
		p.Src.Pos += n
	}
	p.progress(n)
}

// progress counts n bytes moved and tells the caller.
func (p *Pair) progress(n int64) {
	p.Done += n
	if p.Progress != nil {
		p.Progress(p.Done)
	}
}

// srcOff returns a pointer to a copy of the explicit source position (the
// kernel advances it), or nil when the descriptor's own offset is used.
func (p *Pair) srcOff() *int64 {
	if p.Src.Pos < 0 {
		return nil
	}
	p.off = p.Src.Pos
	return &p.off
}

// sourceFailed tells, from the errno and the kinds of the two sides, which
// descriptor made a call between them fail: errors name the side that
// failed, as io.Copy's Read and Write errors do.
func sourceFailed(p *Pair, errno error) bool {
	switch errno {
	case unix.EISDIR: // reading a directory
		return true
	case unix.EIO:
		// Pipes, sockets and /dev/null do not fail with EIO: a hung-up
		// terminal or a bad disk on the other side does. Between two
		// files or devices io.Copy blames the destination (ReadFrom).
		return p.Dst.Kind == KindPipe || p.Dst.Kind.Stream() || p.Dst.Kind == KindChar
	case unix.ECONNRESET, unix.ENOTCONN, unix.ETIMEDOUT, unix.EHOSTUNREACH, unix.ENETUNREACH:
		// A network failure belongs to the side that is a socket.
		return p.Src.Kind.Stream() && !p.Dst.Kind.Stream()
	}
	// EPIPE, ENOSPC, EDQUOT, EFBIG, EPERM, EROFS and the rest concern
	// what is written.
	return false
}
