package uring

import (
	"context"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/eintr"
)

// Operation tags, the low bits of a small-file chain's user_data; the
// rest is the slot index.
const (
	tagStatx = iota
	tagOpenSrc
	tagOpenDst
	tagRead
	tagWrite
	tagCloseSrc
	tagCloseDst
	tagBits = 3
)

// testHookFixed, when set by a test, learns whether a CopyFiles ring runs
// its chains on fixed files.
var testHookFixed func(bool)

// tagNames name the operations for testHookFileOp.
var tagNames = [...]string{tagStatx: "statx", tagOpenSrc: "open src", tagOpenDst: "open dst",
	tagRead: "read", tagWrite: "write", tagCloseSrc: "close src", tagCloseDst: "close dst"}

// testHookFileOp, when set, may rewrite the result of a small-file chain's
// operation (by name: "statx", "open src", "open dst", "read", "write",
// "close src", "close dst"); see SetFileOpHook.
var testHookFileOp func(op string, res int32) int32

// SetFileOpHook installs fn to rewrite the results of CopyFiles' ring
// operations until restore is called: tests of the packages above use it to
// inject a failure into a chain (return -errno) and check the cleanup. A
// hook that fails "open dst" must close a descriptor it receives.
func SetFileOpHook(fn func(op string, res int32) int32) (restore func()) {
	old := testHookFileOp
	testHookFileOp = fn
	return func() { testHookFileOp = old }
}

// fileSlot is one file in flight. Its paths, statx buffer and data buffer
// are ring memory; everything else is the Go side's bookkeeping.
type fileSlot struct {
	job      int // index into jobs; -1: free
	srcPath  []byte
	dstPath  []byte
	sx       *unix.Statx_t
	buf      []byte
	src, dst int // descriptors (or fixed-file slots), -1 when not open
	// srcFixed, dstFixed: src and dst are slots of the ring's file table.
	srcFixed, dstFixed bool
	created            bool
	pending            int // completions owed
	phase              uint8
	off                int64 // bytes read and written so far
	n                  int   // bytes of the last read
	wrote              int   // of those, bytes written
	want               int   // bytes the last read asked for
	eof                bool  // the last read was short: no read after this write
	closing            bool  // closes were queued behind the last write
	r                  Result
}

const (
	phaseOpen  = iota + 1 // statx -> open src
	phaseRead             // open dst + read (first round), or read
	phaseWrite            // write (-> close src -> close dst)
)

type filesRing struct {
	ctx   context.Context
	r     *Ring
	jobs  []Job
	res   []Result
	cfg   FilesConfig
	slots []fileSlot
	next  int  // next job to start
	live  int  // slots in use
	dead  bool // the ring failed: queue nothing more
	fixed bool // the ring has a file table: slot i uses entries 2i, 2i+1
}

// copyFilesUring runs the jobs through one ring. An error means nothing
// was started.
func copyFilesUring(ctx context.Context, jobs []Job, res []Result, cfg FilesConfig) error {
	inflight := cfg.InFlight
	if inflight <= 0 {
		inflight = 32
	}
	inflight = max(1, min(inflight, len(jobs)))
	r, err := NewRing(3 * inflight) // a slot has at most 3 SQEs out
	if err != nil {
		return err
	}
	defer r.Close()
	if cfg.Workers > 0 {
		r.LimitWorkers(uint32(cfg.Workers), uint32(cfg.Workers)) // best effort
	}
	const sxSize = 256 // sizeof(struct statx), 8-aligned
	per := 2*maxPath + sxSize + cfg.BufSize
	mem, err := r.Alloc(inflight * per)
	if err != nil {
		return err
	}
	f := &filesRing{ctx: ctx, r: r, jobs: jobs, res: res, cfg: cfg, slots: make([]fileSlot, inflight)}
	// Without a file table (an old kernel) the chains use plain descriptors.
	f.fixed = cfg.FixedFiles == FixedOn && r.RegisterFiles(2*inflight) == nil
	if testHookFixed != nil {
		testHookFixed(f.fixed)
	}
	for i := range f.slots {
		m := mem[i*per : (i+1)*per]
		s := &f.slots[i]
		s.job = -1
		s.buf = m[:cfg.BufSize:cfg.BufSize] // page-aligned: the first part
		s.srcPath = m[cfg.BufSize : cfg.BufSize+maxPath]
		s.dstPath = m[cfg.BufSize+maxPath : cfg.BufSize+2*maxPath]
		s.sx = StatxAt(m, cfg.BufSize+2*maxPath)
	}
	f.run()
	return nil
}

func (f *filesRing) run() {
	for {
		f.admit()
		if f.live == 0 {
			return
		}
		timeout := time.Duration(0)
		if f.ctx != nil && f.ctx.Done() != nil {
			timeout = waitSlice
		}
		if _, err := f.r.Submit(1, timeout); err != nil && err != unix.EAGAIN && err != unix.EBUSY && err != unix.ETIME {
			f.abort(err)
			return
		}
		f.r.Reap(f.complete)
	}
}

// admit starts jobs in free slots.
func (f *filesRing) admit() {
	for i := range f.slots {
		if f.next >= len(f.jobs) {
			return
		}
		s := &f.slots[i]
		if s.job >= 0 {
			continue
		}
		if err := ctxErr(f.ctx); err != nil {
			for ; f.next < len(f.jobs); f.next++ {
				f.res[f.next].Err = err
			}
			return
		}
		j := f.next
		f.next++
		f.start(i, j)
	}
}

// cpath copies p into ring memory b as a C string.
func cpath(b []byte, p string) bool {
	if len(p) >= len(b) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] == 0 {
			return false
		}
	}
	copy(b, p)
	b[len(p)] = 0
	return true
}

func (f *filesRing) start(i, j int) {
	s := &f.slots[i]
	job := &f.jobs[j]
	*s = fileSlot{job: j, srcPath: s.srcPath, dstPath: s.dstPath, sx: s.sx, buf: s.buf, src: -1, dst: -1,
		srcFixed: f.fixed && !job.KeepSrc && !f.cfg.OpenFirst, dstFixed: f.fixed && !job.KeepDst}
	*s.sx = unix.Statx_t{} // no stale type from the slot's last job
	f.live++
	switch {
	case !cpath(s.srcPath, job.Src):
		s.r.Err = pathErr("statx", job.Src, unix.ENAMETOOLONG)
		f.finish(i)
		return
	case !cpath(s.dstPath, job.Dst):
		s.r.Err = pathErr("open", job.Dst, unix.ENAMETOOLONG)
		f.finish(i)
		return
	}
	if f.cfg.OpenFirst {
		// The open of a cached name completes inline; the status comes
		// from a statx on the descriptor in step.
		s.phase, s.pending = phaseOpen, 1
		f.r.Openat(ud(i, tagOpenSrc), job.SrcDir, s.srcPath, srcOpenFlags, 0, 0)
		return
	}
	s.phase, s.pending = phaseOpen, 2
	// statx -> open: a statx failure cancels the open.
	f.r.Statx(ud(i, tagStatx), job.SrcDir, s.srcPath, unix.AT_SYMLINK_NOFOLLOW, statxMask, s.sx, Link)
	if s.srcFixed {
		f.r.OpenatDirect(ud(i, tagOpenSrc), job.SrcDir, s.srcPath, srcOpenFlags, 0, 2*i, 0)
		return
	}
	f.r.Openat(ud(i, tagOpenSrc), job.SrcDir, s.srcPath, srcOpenFlags, 0, 0)
}

func ud(slot, tag int) uint64 { return uint64(slot)<<tagBits | uint64(tag) }

func (f *filesRing) complete(c Completion) {
	if c.Slot == cancelSlot {
		return
	}
	i, tag := int(c.Slot>>tagBits), int(c.Slot&(1<<tagBits-1))
	if i >= len(f.slots) || f.slots[i].job < 0 {
		return
	}
	s := &f.slots[i]
	job := &f.jobs[s.job]
	s.pending--
	if testHookFileOp != nil && c.Res != -int32(unix.ECANCELED) {
		c.Res = testHookFileOp(tagNames[tag], c.Res)
	}
	fail := func(op, path string) {
		if s.r.Err == nil && c.Res != -int32(unix.ECANCELED) {
			s.r.Err = pathErr(op, path, unix.Errno(-c.Res))
		}
	}
	switch tag {
	case tagStatx:
		if c.Res < 0 {
			fail("statx", job.Src)
		}
	case tagOpenSrc:
		if c.Res >= 0 {
			s.src = int(c.Res)
			if s.srcFixed {
				s.src = 2 * i
			}
		} else {
			fail("open", job.Src)
		}
	case tagOpenDst:
		if c.Res >= 0 {
			s.dst, s.created = int(c.Res), true
			if s.dstFixed {
				s.dst = 2*i + 1
			}
		} else {
			fail("open", job.Dst)
		}
	case tagRead:
		if c.Res >= 0 {
			// A regular file's read comes up short only at EOF.
			s.n, s.wrote, s.eof = int(c.Res), 0, int(c.Res) < s.want
		} else {
			fail("read", job.Src)
		}
	case tagWrite:
		switch {
		case c.Res > 0:
			s.wrote += int(c.Res)
			s.off += int64(c.Res)
			s.r.Written += int64(c.Res)
		case c.Res == 0:
			s.r.Err = pathErr("write", job.Dst, unix.EIO)
		default:
			fail("write", job.Dst)
		}
	case tagCloseSrc:
		if c.Res != -int32(unix.ECANCELED) {
			s.src = -1 // close releases the descriptor even when it fails
		}
	case tagCloseDst:
		if c.Res != -int32(unix.ECANCELED) {
			s.dst = -1
			if c.Res < 0 {
				fail("close", job.Dst)
			}
		}
	}
	if s.pending == 0 {
		f.step(i)
	}
}

// step moves slot i on once its operations have all completed.
func (f *filesRing) step(i int) {
	s := &f.slots[i]
	job := &f.jobs[s.job]
	if f.dead {
		return // abort finishes the slot
	}
	if s.phase == phaseOpen && f.cfg.OpenFirst {
		// By descriptor once open; by name when the open failed, so
		// that the error says what statx first would have said (a
		// missing file, a symlink that is not a regular file).
		dir, name, flags := s.src, "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW
		if s.src < 0 {
			dir, name, flags = job.SrcDir, job.Src, unix.AT_SYMLINK_NOFOLLOW
		}
		if _, err := eintr.RetryValue(func() (int, error) { return 0, unix.Statx(dir, name, flags, statxMask, s.sx) }); err != nil {
			s.r.Err = pathErr("statx", job.Src, err)
		}
	}
	if s.phase == phaseOpen && s.sx.Mask&unix.STATX_TYPE != 0 {
		s.r.Stat = statFrom(s.sx)
		if s.sx.Mode&unix.S_IFMT != unix.S_IFREG {
			// Whatever the open said (ELOOP for a symlink): the
			// walk hands over regular files only.
			s.r.Err = pathErr("open", job.Src, ErrNotRegular)
		} else if s.r.Err == nil && f.cfg.Accept != nil && !f.cfg.Accept(&s.r.Stat) {
			s.r.Err = pathErr("open", job.Src, ErrDeclined)
		}
	}
	if s.r.Err != nil {
		f.finish(i)
		return
	}
	switch s.phase {
	case phaseOpen:
		// The destination's open and the first read do not depend on
		// each other: both go now.
		s.phase, s.pending = phaseRead, 2
		if s.dstFixed {
			f.r.OpenatDirect(ud(i, tagOpenDst), job.DstDir, s.dstPath, dstOpenFlags, jobMode(job), 2*i+1, 0)
		} else {
			f.r.Openat(ud(i, tagOpenDst), job.DstDir, s.dstPath, dstOpenFlags, jobMode(job), 0)
		}
		f.queueRead(i)
	case phaseRead:
		if s.n == 0 {
			f.closeAll(i)
			return
		}
		f.queueWrite(i)
	case phaseWrite:
		switch {
		case s.wrote < s.n && s.dst < 0:
			// Cannot happen: a short write cancels the closes linked
			// behind it. Never report a short file as copied.
			s.r.Err = pathErr("write", job.Dst, io.ErrShortWrite)
			f.finish(i)
		case s.wrote < s.n:
			// Short write: the rest, then (if EOF) the closes that
			// the short write cancelled.
			f.queueWrite(i)
		case s.closing && (s.src < 0 || job.KeepSrc) && (s.dst < 0 || job.KeepDst):
			f.finish(i)
		case s.eof:
			f.closeAll(i)
		default:
			s.phase, s.pending = phaseRead, 1
			f.queueRead(i)
		}
	}
}

func (f *filesRing) readLen(s *fileSlot) int {
	// A file that fits asks for one byte more than its size: a short
	// read then proves EOF, and no extra read is needed.
	if size := int64(s.sx.Size) - s.off; size >= 0 && size < int64(len(s.buf)) {
		return int(size) + 1
	}
	return len(s.buf)
}

func (f *filesRing) queueRead(i int) {
	s := &f.slots[i]
	s.want = f.readLen(s)
	f.r.Read(ud(i, tagRead), s.src, s.buf[:s.want], s.off, fixedFlag(s.srcFixed))
}

// queueWrite writes what the last read brought; after a short read (EOF)
// the closes are linked behind it.
func (f *filesRing) queueWrite(i int) {
	s := &f.slots[i]
	job := &f.jobs[s.job]
	s.phase = phaseWrite
	s.pending = 1
	if !s.eof {
		f.r.Write(ud(i, tagWrite), s.dst, s.buf[s.wrote:s.n], s.off, fixedFlag(s.dstFixed))
		return
	}
	s.closing = true
	if job.KeepSrc && job.KeepDst {
		f.r.Write(ud(i, tagWrite), s.dst, s.buf[s.wrote:s.n], s.off, fixedFlag(s.dstFixed))
		return
	}
	f.r.Write(ud(i, tagWrite), s.dst, s.buf[s.wrote:s.n], s.off, Link|fixedFlag(s.dstFixed))
	if job.KeepSrc {
		s.pending++
		f.closeDst(i, 0)
		return
	}
	if job.KeepDst {
		s.pending++
		f.closeSrc(i, 0)
		return
	}
	// Hard link: the destination is closed even if closing the source
	// fails.
	s.pending += 2
	f.closeSrc(i, HardLink)
	f.closeDst(i, 0)
}

func fixedFlag(fixed bool) uint8 {
	if fixed {
		return Fixed
	}
	return 0
}

func (f *filesRing) closeSrc(i int, flags uint8) {
	s := &f.slots[i]
	if s.srcFixed {
		f.r.CloseDirect(ud(i, tagCloseSrc), s.src, flags)
		return
	}
	f.r.CloseFD(ud(i, tagCloseSrc), s.src, flags)
}

func (f *filesRing) closeDst(i int, flags uint8) {
	s := &f.slots[i]
	if s.dstFixed {
		f.r.CloseDirect(ud(i, tagCloseDst), s.dst, flags)
		return
	}
	f.r.CloseFD(ud(i, tagCloseDst), s.dst, flags)
}

// closeAll closes the descriptors at EOF.
func (f *filesRing) closeAll(i int) {
	s := &f.slots[i]
	job := &f.jobs[s.job]
	s.phase, s.closing, s.pending = phaseWrite, true, 0
	s.n, s.wrote = 0, 0
	if s.src >= 0 && !job.KeepSrc {
		s.pending++
		f.closeSrc(i, 0)
	}
	if s.dst >= 0 && !job.KeepDst {
		s.pending++
		f.closeDst(i, 0)
	}
	if s.pending == 0 {
		f.finish(i)
	}
}

// finish ends slot i's job: descriptors still open are closed with plain
// close(2), a failed job's destination is removed, the result is stored.
func (f *filesRing) finish(i int) {
	s := &f.slots[i]
	job := &f.jobs[s.job]
	if s.r.Err == nil && job.KeepSrc && s.src >= 0 {
		s.r.SrcFile = os.NewFile(uintptr(s.src), job.Src)
		s.src = -1
	}
	// A fixed-file slot left open (a failed chain) is replaced by the
	// slot's next open, or released when the ring closes.
	if s.src >= 0 && !s.srcFixed {
		unix.Close(s.src)
	}
	if s.r.Err == nil && job.KeepDst && s.dst >= 0 {
		s.r.DstFile = os.NewFile(uintptr(s.dst), job.Dst)
		s.dst = -1
	}
	if s.dst >= 0 && !s.dstFixed {
		if err := unix.Close(s.dst); err != nil && s.r.Err == nil {
			s.r.Err = pathErr("close", job.Dst, err)
		}
	}
	if s.r.Err != nil && s.created {
		removeDst(job, &s.r)
	}
	f.res[s.job] = s.r
	s.job = -1
	f.live--
}

// abort ends every job in flight after the ring failed: their
// completions are drained first (the ring's memory must outlive them).
func (f *filesRing) abort(err error) {
	f.dead = true
	f.r.drain(func(c Completion) {
		if i := int(c.Slot >> tagBits); c.Slot != cancelSlot && i < len(f.slots) && f.slots[i].job >= 0 {
			f.complete(c)
		}
	})
	for i := range f.slots {
		if s := &f.slots[i]; s.job >= 0 {
			if s.r.Err == nil {
				s.r.Err = pathErr("copy", f.jobs[s.job].Src, err)
			}
			f.finish(i)
		}
	}
	for ; f.next < len(f.jobs); f.next++ {
		f.res[f.next].Err = err
	}
}
