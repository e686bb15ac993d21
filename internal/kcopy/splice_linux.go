package kcopy

import (
	"os"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/eintr"
)

// maxSpliceRound caps one splice(2) request. A pipe side moves at most the
// pipe's capacity anyway.
const maxSpliceRound = 1 << 30

// pipeSize is what pooled pipes ask F_SETPIPE_SZ for: 1 MiB is the default
// pipe-max-size, and Go's internal/poll uses it for its splice pipes.
const pipeSize = 1 << 20

// growPipeMin is how much a copy moves through a caller's pipe before the
// pipe is grown: a copy that ends sooner (most copies from a pipe have no
// known size) gains nothing worth three fcntl calls, one of which
// allocates the pipe's new ring, and the first 256 KiB take only four
// hand-overs at 64 KiB.
const growPipeMin = 256 << 10

// pipeGrowth is a caller's pipe that a copy grew, to put back afterwards.
type pipeGrowth struct {
	fd   int
	size int // the size before the copy; 0: not grown
}

// growPipes raises the caller's pipes on either side of a direct splice or
// of a sendfile into a pipe to pipeSize, once the copy has moved
// growPipeMin bytes. A 64 KiB pipe makes the two processes hand over every
// 64 KiB; on a 2-vCPU VM each hand-over that wakes an idle vCPU costs tens
// of microseconds, and splice, which fills the whole pipe in one call and
// so always sleeps, lost wall time to io.Copy's 32 KiB writes (zbench
// -scenario pipe -pin). With 1 MiB there are 16 x fewer hand-overs. libzfs
// grows a caller's pipe the same way for zfs send/recv.
func (p *Pair) growPipes(s, d int) {
	r := &p.r
	if r.remain >= 0 && r.remain < growPipeMin {
		return
	}
	grow := [2]bool{p.Src.Kind == KindPipe, p.Dst.Kind == KindPipe}
	if r.kind == callSplice && !grow[0] {
		// A direct splice from anything but a pipe goes into one; the
		// destination may not be classified (a guessed stdout).
		grow[1] = true
	}
	for i, fd := range [2]int{s, d} {
		if grow[i] {
			r.grown[i] = pipeGrowth{fd: fd, size: growPipe(fd)}
		}
	}
}

// growPipe raises the pipe fd to pipeSize and returns the size it had, or 0
// if it is not a pipe, is that large already, or may not grow
// (pipe-max-size, the per-user pipe budget).
func growPipe(fd int) int {
	old, err := unix.FcntlInt(uintptr(fd), unix.F_GETPIPE_SZ, 0)
	if err != nil || old >= pipeSize {
		return 0
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, pipeSize); err != nil {
		return 0
	}
	return old
}

// restorePipes puts the caller's pipes back to the size they had. A pipe
// still holding more than that (the reader has not caught up with the last
// splice) refuses with EBUSY and stays larger: its data is never dropped.
func (r *roundState) restorePipes() {
	for i := range r.grown {
		if g := r.grown[i]; g.size > 0 {
			unix.FcntlInt(uintptr(g.fd), unix.F_SETPIPE_SZ, g.size)
			r.grown[i] = pipeGrowth{}
		}
	}
}

// spliceFlags returns the flags for a direct splice. SPLICE_F_NONBLOCK makes
// a blocking pipe report EAGAIN instead of sleeping in the kernel, so that
// the wait happens in poll(2), in slices that notice a cancelled context.
// Without a context there is nothing to notice, and sleeping in the kernel
// is what os.File.Write does on such a pipe anyway, at a fraction of the
// cost (no EAGAIN/poll round trip each time the pipe fills). Descriptors
// with O_NONBLOCK (all those Go's poller manages, and our own pipes) report
// EAGAIN either way: the kernel adds the flag for them. SPLICE_F_MOVE is a
// hint Go also passes.
func (p *Pair) spliceFlags() int {
	if p.Ctx != nil {
		return unix.SPLICE_F_NONBLOCK | unix.SPLICE_F_MOVE
	}
	return unix.SPLICE_F_MOVE
}

// pipeFlags are the flags for splicing to or from a pooled pipe, which is
// O_NONBLOCK.
const pipeFlags = unix.SPLICE_F_NONBLOCK | unix.SPLICE_F_MOVE

// splice is swapped by tests.
var splice = spliceSys

// spliceSys is unix.Splice with the count as int64 on every GOARCH (it is
// int on 386).
func spliceSys(rfd int, roff *int64, wfd int, woff *int64, n, flags int) (int64, error) {
	k, err := unix.Splice(rfd, roff, wfd, woff, n, flags)
	return int64(k), err
}

// Splice copies with direct splice(2) calls; one side must be a pipe.
func Splice(p *Pair, remain int64) (written int64, handled bool, err error) {
	return p.run(callSplice, remain, nil)
}

// handleSpliceErr classifies the outcome of one splice call.
func handleSpliceErr(p *Pair, n int64, err error, written int64) (handled bool, _ error) {
	switch err {
	case nil:
		if n == 0 && written == 0 && p.Src.Kind != KindPipe && !p.Src.Kind.Stream() {
			// A pseudo-file may say 0 without being empty (and a
			// guessed source has no kind yet): let a read settle
			// it. From a pipe or socket 0 is a real EOF.
			return false, ErrNoProgress
		}
		return true, nil
	case unix.EINVAL, // a side that cannot splice, O_APPEND destination
		unix.ENOSYS,     // no splice (seccomp)
		unix.EOPNOTSUPP, // socket family without splice_read
		unix.EBADF,      // wrong access mode for a side
		unix.ESPIPE,     // offset on an unseekable side
		unix.EPERM:      // seccomp
		if written == 0 {
			return false, err
		}
		return true, ErrContinue // another method finishes (see handleCopyFileRangeErr)
	}
	// EPIPE, ECONNRESET, ENOSPC, EIO and the rest are real failures.
	return true, os.NewSyscallError("splice", err)
}

// SpliceViaPipe copies with splice(2) through a pooled pipe, for pairs
// where neither side is a pipe: socket to file, socket to socket, and (when
// forced) file to socket.
func SpliceViaPipe(p *Pair, remain int64) (written int64, handled bool, err error) {
	pp, err := getPipe()
	if err != nil {
		return 0, false, err
	}
	defer putPipe(pp)
	written, handled, err = p.run(callSpliceViaPipe, remain, pp)
	if p.r.drain {
		// The source's bytes are in the pipe: deliver them with
		// read/write, then let the caller carry on generically.
		w, derr := p.drainPipe(pp)
		p.Drained += w
		p.progress(w)
		if derr != nil {
			return written + w, true, derr
		}
		return written + w, true, ErrContinue
	}
	return written, handled, err
}

// drainPipe moves what is left in pp to the destination with read/write.
func (p *Pair) drainPipe(pp *pipe) (int64, error) {
	buf := make([]byte, min(pp.data, 1<<16))
	var written int64
	for pp.data > 0 {
		k, err := eintr.RetryValue(func() (int, error) { return unix.Read(pp.r, buf[:min(int64(len(buf)), pp.data)]) })
		if err != nil {
			p.FailedSrc = false // our own pipe: not the caller's source
			return written, os.NewSyscallError("read", err)
		}
		pp.data -= int64(k)
		for off := 0; off < k; {
			m, err := p.do(func(_, d int) (int64, side, error) {
				p.Calls++
				m, err := eintr.RetryValue(func() (int, error) { return unix.Write(d, buf[off:k]) })
				return int64(max0(m)), sideDst, err
			})
			off += int(m)
			written += m
			if err != nil {
				p.FailedSrc = false
				return written, os.NewSyscallError("write", err)
			}
		}
	}
	return written, nil
}

// pipe is a pooled pipe; data counts bytes spliced in and not yet out.
type pipe struct {
	r, w    int
	size    int
	data    int64
	err     error // from creating it
	cleanup runtime.Cleanup
}

// pipePool keeps empty pipes for reuse, per P and without locks, as Go's
// internal/poll does; the garbage collector drops idle ones, and a cleanup
// closes their descriptors.
var pipePool = sync.Pool{New: func() any { return newPipe() }}

// closePipe is a pipe's cleanup.
func closePipe(fds [2]int) {
	unix.Close(fds[0])
	unix.Close(fds[1])
}

func newPipe() *pipe {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return &pipe{err: os.NewSyscallError("pipe2", err)}
	}
	pp := &pipe{r: fds[0], w: fds[1], size: 1 << 16}
	// A smaller pipe still works: pipe-max-size or the per-user page
	// budget may refuse 1 MiB.
	unix.FcntlInt(uintptr(pp.w), unix.F_SETPIPE_SZ, pipeSize)
	if n, err := unix.FcntlInt(uintptr(pp.w), unix.F_GETPIPE_SZ, 0); err == nil {
		pp.size = n
	}
	pp.cleanup = runtime.AddCleanup(pp, closePipe, fds)
	return pp
}

func getPipe() (*pipe, error) {
	pp := pipePool.Get().(*pipe)
	if pp.err != nil {
		return nil, pp.err
	}
	return pp, nil
}

// putPipe keeps an empty pipe for reuse; one still holding bytes (after a
// failed copy) is closed, so no stale data reaches the next copy.
func putPipe(pp *pipe) {
	if pp.data == 0 {
		pipePool.Put(pp)
		return
	}
	pp.cleanup.Stop()
	closePipe([2]int{pp.r, pp.w})
}

// ClosePipes empties the pipe pool: the descriptors are closed as soon as
// the garbage collector has run. Tests call it before checking for leaked
// descriptors.
func ClosePipes() {
	runtime.GC()
	runtime.GC()
}
