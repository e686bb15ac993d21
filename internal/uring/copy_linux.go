package uring

import (
	"io"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Block states.
const (
	blockFree    = iota
	blockReading // a read is in flight
	blockReady   // read complete, waiting for its turn to be written
	blockWriting // a write is in flight
	blockFailed  // an operation failed; the block's bytes were not all written
)

type block struct {
	buf    []byte // QueueDepth x BlockSize of ring memory
	off    int64  // offset of the block's first byte, from the copy's start
	want   int    // bytes to read into the block
	n      int    // bytes read
	done   int    // bytes written
	state  uint8
	notify bool // a SEND_ZC notification is still owed
	writeQ bool // queued in the batch or stream order, not yet submitted
}

// copier is the state of one [Copy].
type copier struct {
	r    *Ring
	a    *CopyArgs
	cfg  Config
	st   *Stats
	blk  []block
	dio  int // O_DIRECT descriptor for aligned reads, or -1
	dioA int64

	next    int64 // offset of the next block to read
	end     int64 // stop reading here; -1: at EOF
	eof     int64 // EOF found by a read; -1: not yet
	wnext   int64 // stream destinations: next offset to send
	err     error
	reading int // blocks with a read in flight
	writing int // blocks with a write in flight
}

// waitSlice bounds one wait when the copy can be cancelled.
const waitSlice = 100 * time.Millisecond

// Copy copies from a.Src to a.Dst through a ring of its own: QueueDepth
// blocks are in flight at independent offsets, each completed read becomes
// a write of the same memory, and short or EAGAIN results are re-queued,
// as in liburing's io_uring-cp. It returns the number of bytes written as
// a contiguous prefix of the range: on error, writes of later blocks may
// have completed too (Stats.Moved says whether any write completed).
//
// Errors that mean io_uring cannot be used match [ErrUnavailable]; errors
// of the reads and writes are *os.SyscallError around the errno.
func Copy(a *CopyArgs, cfg Config, st *Stats) (written int64, err error) {
	if st == nil {
		st = new(Stats)
	}
	if cfg.QueueDepth <= 0 {
		cfg.QueueDepth = DefaultQueueDepth
	}
	if cfg.BlockSize <= 0 {
		cfg.BlockSize = DefaultBlockSize
	}
	cfg.BlockSize = (cfg.BlockSize + 4095) &^ 4095
	if a.Remain == 0 {
		return 0, nil
	}
	if err := Available(); err != nil {
		return 0, err
	}
	// Each block may owe two completions (SEND_ZC), plus the cancel.
	r, err := NewRing(cfg.QueueDepth + 1)
	if err != nil {
		return 0, err
	}
	c := &copier{r: r, a: a, cfg: cfg, st: st, dio: -1, end: -1, eof: -1}
	defer func() {
		if cerr := r.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if c.dio >= 0 {
			unix.Close(c.dio)
		}
	}()
	if a.Remain > 0 {
		c.end = a.Remain
	}
	if err := c.setup(); err != nil {
		return 0, err
	}
	if cfg.Splice && a.DstOff < 0 {
		if !c.r.Supports(opSplice) || !c.r.Supports(opPollAdd) {
			return 0, &UnavailableError{Reason: "IORING_OP_SPLICE not supported"}
		}
		n := c.runSplice()
		return n, c.err
	}
	c.run()
	return c.prefix(), c.err
}

func (c *copier) setup() error {
	if c.cfg.Splice && c.a.DstOff < 0 {
		return nil // no buffers: the pages go through a pipe
	}
	qd, bs := c.cfg.QueueDepth, c.cfg.BlockSize
	mem, err := c.r.Alloc(qd * bs)
	if err != nil {
		return err
	}
	c.blk = make([]block, qd)
	bufs := make([][]byte, qd)
	for i := range c.blk {
		c.blk[i].buf = mem[i*bs : (i+1)*bs : (i+1)*bs]
		bufs[i] = c.blk[i].buf
	}
	if c.cfg.Fixed {
		if err := c.r.RegisterBuffers(bufs); err != nil {
			c.cfg.Fixed = false
			c.note("registered buffers: " + err.Error())
		} else {
			c.st.Fixed = true
		}
	}
	if c.cfg.Direct || (c.cfg.AutoDirect && c.mostlyUncached()) {
		c.openDirect()
	}
	if c.a.DstOff < 0 && !c.r.Supports(opSend) {
		return &UnavailableError{Reason: "IORING_OP_SEND not supported"}
	}
	if c.cfg.ZeroCopy && (c.a.DstOff >= 0 || !c.r.Supports(opSendZC)) {
		c.cfg.ZeroCopy = false
		c.note("SEND_ZC: not a socket destination, or not supported")
	}
	return nil
}

func (c *copier) note(s string) {
	if c.st.Note != "" {
		c.st.Note += "; "
	}
	c.st.Note += s
}

// mostlyUncached reports whether cachestat(2) finds less than half of the
// range to copy in the page cache (false where cachestat is missing).
func (c *copier) mostlyUncached() bool {
	length := c.a.Size
	if c.end >= 0 && (length < 0 || c.end < length) {
		length = c.end
	}
	if length <= 0 {
		return false
	}
	var cs unix.Cachestat_t
	crange := unix.CachestatRange{Off: uint64(c.a.SrcOff), Len: uint64(length)}
	if err := unix.Cachestat(uint(c.a.Src), &crange, &cs, 0); err != nil {
		return false
	}
	cached := int64(cs.Cache) * int64(os.Getpagesize())
	return cached < length/2
}

// openDirect opens the source a second time with O_DIRECT (through
// /proc/self/fd, so the caller's descriptor and its flags are untouched)
// and finds its alignment with statx(STATX_DIOALIGN).
func (c *copier) openDirect() {
	var sx unix.Statx_t
	if err := unix.Statx(c.a.Src, "", unix.AT_EMPTY_PATH, unix.STATX_DIOALIGN, &sx); err != nil || sx.Mask&unix.STATX_DIOALIGN == 0 || sx.Dio_offset_align == 0 {
		c.note("O_DIRECT: the filesystem reports no direct I/O alignment")
		return
	}
	align := int64(max(sx.Dio_offset_align, sx.Dio_mem_align))
	if align > 4096 || c.a.SrcOff%align != 0 || int64(c.cfg.BlockSize)%align != 0 {
		c.note("O_DIRECT: offset or block size not aligned to " + strconv.FormatInt(align, 10))
		return
	}
	fd, err := unix.Open("/proc/self/fd/"+strconv.Itoa(c.a.Src), unix.O_RDONLY|unix.O_DIRECT|unix.O_CLOEXEC, 0)
	if err != nil {
		c.note("O_DIRECT: " + err.Error())
		return
	}
	c.dio, c.dioA = fd, align
	c.st.Direct = true
}

// run is the completion loop.
func (c *copier) run() {
	for {
		if c.err == nil {
			if err := c.ctxErr(); err != nil {
				c.err = err
			}
		}
		if c.err == nil {
			c.fill()
		}
		if c.r.pending() == 0 && c.r.Inflight() == 0 {
			return
		}
		if c.err != nil && c.r.pending() == 0 {
			// Stop: let the kernel finish or cancel what is in
			// flight; the blocks' memory must outlive it.
			c.r.drain(c.complete)
			return
		}
		timeout := time.Duration(0)
		if c.a.Ctx != nil && c.a.Ctx.Done() != nil {
			timeout = waitSlice
		}
		n, err := c.r.Submit(1, timeout)
		c.st.Enters++
		c.st.Ops += n
		if err != nil && err != unix.EAGAIN && err != unix.EBUSY {
			c.fail(err)
			c.r.drain(c.complete)
			return
		}
		c.r.Reap(c.complete)
	}
}

func (c *copier) ctxErr() error {
	if c.a.Ctx == nil {
		return nil
	}
	return c.a.Ctx.Err()
}

// fill queues reads into free blocks and writes of blocks whose turn came.
func (c *copier) fill() {
	if c.cfg.Batch {
		c.fillBatch()
		return
	}
	if c.a.DstOff < 0 {
		c.sendInOrder()
	}
	for i := range c.blk {
		if b := &c.blk[i]; b.writeQ && c.a.DstOff >= 0 {
			c.queueWrite(i, 0)
		}
	}
	for i := range c.blk {
		b := &c.blk[i]
		if b.state != blockFree || !c.readMore() {
			continue
		}
		want := int64(len(b.buf))
		if c.end >= 0 {
			want = min(want, c.end-c.next)
		}
		*b = block{buf: b.buf, off: c.next, want: int(want), state: blockReading}
		c.next += want
		if !c.queueRead(i) {
			c.next -= want
			b.state = blockFree
			return
		}
	}
}

// readMore says whether another block should be read now.
func (c *copier) readMore() bool {
	if c.eof >= 0 || (c.end >= 0 && c.next >= c.end) {
		return false
	}
	if c.a.Size >= 0 && c.next >= c.a.Size && c.reading > 0 {
		// Past the size seen at classification: read one block at a
		// time until a read finds EOF.
		for i := range c.blk {
			if b := &c.blk[i]; b.state == blockReading && b.off >= c.a.Size {
				return false
			}
		}
	}
	return true
}

func (c *copier) queueRead(i int) bool {
	b := &c.blk[i]
	buf := b.buf[b.n:b.want]
	off := c.a.SrcOff + b.off + int64(b.n)
	fd := c.a.Src
	if c.dio >= 0 && off%c.dioA == 0 && int64(len(buf))%c.dioA == 0 {
		fd = c.dio
	}
	var ok bool
	if c.cfg.Fixed {
		ok = c.r.ReadFixed(uint64(i), fd, buf, off, i, 0)
	} else {
		ok = c.r.Read(uint64(i), fd, buf, off, 0)
	}
	if ok {
		c.reading++
	}
	return ok
}

func (c *copier) queueWrite(i int, flags uint8) bool {
	b := &c.blk[i]
	buf := b.buf[b.done:b.n]
	var ok bool
	switch {
	case c.a.DstOff < 0:
		ok = c.r.Send(uint64(i), c.a.Dst, buf, unix.MSG_WAITALL|unix.MSG_NOSIGNAL, c.cfg.ZeroCopy, flags)
	case c.cfg.Fixed:
		ok = c.r.WriteFixed(uint64(i), c.a.Dst, buf, c.a.DstOff+b.off+int64(b.done), i, flags)
	default:
		ok = c.r.Write(uint64(i), c.a.Dst, buf, c.a.DstOff+b.off+int64(b.done), flags)
	}
	if ok {
		b.state = blockWriting
		b.writeQ = false
		c.writing++
	}
	return ok
}

// sendInOrder queues the send of the block holding the next byte of the
// stream, if it is read and no send is in flight: a socket takes the
// blocks one after the other.
func (c *copier) sendInOrder() {
	if c.writing > 0 {
		return
	}
	for i := range c.blk {
		if b := &c.blk[i]; b.state == blockReady && b.off+int64(b.done) == c.wnext {
			c.queueWrite(i, 0)
			return
		}
	}
}

// fillBatch is the first source document's scheme: reads of up to
// QueueDepth blocks, all completed before their writes go out as one
// linked chain, all completed before the next reads.
func (c *copier) fillBatch() {
	if c.reading > 0 || c.writing > 0 {
		return
	}
	ready := 0
	for i := range c.blk {
		if c.blk[i].state == blockReady {
			ready++
		}
	}
	if ready > 0 {
		last := -1
		for i := range c.blk {
			if c.blk[i].state == blockReady {
				last = i
			}
		}
		for i := range c.blk {
			if c.blk[i].state != blockReady {
				continue
			}
			var flags uint8
			if i != last && c.a.DstOff >= 0 {
				flags = Link
			}
			if c.a.DstOff < 0 {
				// A stream takes one send at a time, in order.
				c.sendInOrder()
				return
			}
			c.queueWrite(i, flags)
		}
		return
	}
	for i := range c.blk {
		b := &c.blk[i]
		if b.state != blockFree || !c.readMore() {
			continue
		}
		want := int64(len(b.buf))
		if c.end >= 0 {
			want = min(want, c.end-c.next)
		}
		*b = block{buf: b.buf, off: c.next, want: int(want), state: blockReading}
		c.next += want
		c.queueRead(i)
	}
}

// complete handles one completion.
func (c *copier) complete(comp Completion) {
	if comp.Slot == cancelSlot || comp.Slot >= uint64(len(c.blk)) {
		return
	}
	b := &c.blk[comp.Slot]
	i := int(comp.Slot)
	if comp.Flags&cqeFNotif != 0 {
		// SEND_ZC: the kernel no longer references the memory.
		b.notify = false
		if b.state == blockWriting && b.done == b.n {
			c.writeDone(b)
		}
		return
	}
	switch b.state {
	case blockReading:
		c.reading--
		c.readDone(i, b, comp.Res)
	case blockWriting:
		if comp.Flags&cqeFMore != 0 {
			b.notify = true
		}
		c.writing--
		c.wroteSome(i, b, comp.Res)
	}
}

func (c *copier) readDone(i int, b *block, res int32) {
	switch {
	case res == -int32(unix.EAGAIN) || res == -int32(unix.ECANCELED):
		if c.err == nil {
			c.st.Requeued++
			if !c.queueRead(i) {
				b.state = blockFailed
				c.fail(ErrRingFull)
			}
			return
		}
		b.state = blockFailed
		return
	case res < 0:
		b.state = blockFailed
		c.fail(os.NewSyscallError("io_uring read", unix.Errno(-res)))
		return
	case res == 0:
		// EOF here: no byte at or after this offset.
		if e := b.off + int64(b.n); c.eof < 0 || e < c.eof {
			c.eof = e
		}
		if c.end < 0 || c.eof < c.end {
			c.end = c.eof
		}
	default:
		b.n += int(res)
		if b.n < b.want {
			if c.err == nil {
				// Short: re-queue the rest; a read at EOF says 0.
				c.st.Requeued++
				if c.queueRead(i) {
					return
				}
				c.fail(ErrRingFull)
			}
		}
	}
	if b.n == 0 {
		b.state = blockFree
		return
	}
	b.state = blockReady
	if c.err != nil {
		return
	}
	switch {
	case c.cfg.Batch:
	case c.a.DstOff < 0:
		c.sendInOrder()
	default:
		if !c.queueWrite(i, 0) {
			b.writeQ = true
		}
	}
}

func (c *copier) wroteSome(i int, b *block, res int32) {
	switch {
	case res == -int32(unix.EOPNOTSUPP) && c.cfg.ZeroCopy && b.done == 0:
		// SEND_ZC exists but this socket family has no zero-copy
		// path (Unix sockets): send with copies from now on.
		c.cfg.ZeroCopy = false
		c.note("SEND_ZC: not supported by this socket, using SEND")
		b.state = blockReady
		c.queueAfterShort(i)
		return
	case res == -int32(unix.EAGAIN) || res == -int32(unix.ECANCELED):
		if c.err == nil {
			c.st.Requeued++
			b.state = blockReady
			c.queueAfterShort(i)
			return
		}
		b.state = blockFailed
		return
	case res < 0:
		b.state = blockFailed
		c.fail(os.NewSyscallError(c.writeName(), unix.Errno(-res)))
		return
	case res == 0:
		b.state = blockFailed
		c.fail(io.ErrShortWrite)
		return
	}
	b.done += int(res)
	if c.a.Progress != nil {
		c.a.Progress(int64(res))
	}
	c.st.Moved = true
	if b.done < b.n {
		if c.err != nil {
			b.state = blockFailed
			return
		}
		c.st.Requeued++
		b.state = blockReady
		c.queueAfterShort(i)
		return
	}
	if !b.notify {
		c.writeDone(b)
	}
}

// queueAfterShort re-queues the rest of block i's write.
func (c *copier) queueAfterShort(i int) {
	if c.cfg.Batch {
		return // the next fillBatch writes it
	}
	if c.a.DstOff < 0 {
		c.sendInOrder()
		return
	}
	if !c.queueWrite(i, 0) {
		c.blk[i].writeQ = true
	}
}

func (c *copier) writeDone(b *block) {
	if c.a.DstOff < 0 {
		c.wnext = b.off + int64(b.n)
	}
	b.state = blockFree
	if c.err == nil && c.a.DstOff < 0 {
		c.sendInOrder()
	}
}

func (c *copier) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// prefix is the number of bytes written without a gap from the start.
func (c *copier) prefix() int64 {
	p := c.next
	if c.eof >= 0 && c.eof < p {
		p = c.eof
	}
	for i := range c.blk {
		b := &c.blk[i]
		if b.state != blockFree {
			p = min(p, b.off+int64(b.done))
		}
	}
	return p
}

// writeName names the write operation in errors.
func (c *copier) writeName() string {
	if c.a.DstOff < 0 {
		return "io_uring send"
	}
	return "io_uring write"
}
