package uring

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Ring is one io_uring instance: its submission and completion queues
// mapped into this process, and the arenas whose memory its operations use.
//
// A Ring is owned by the goroutine that called [NewRing], which stays
// locked to its OS thread until [Ring.Close]; no method may be called from
// another goroutine.
type Ring struct {
	fd       int
	flags    uint32 // setup flags the kernel accepted
	features uint32
	ops      [opLast + 1]bool // IORING_REGISTER_PROBE: supported opcodes

	ringMem []byte // SQ ring (and CQ ring with FEAT_SINGLE_MMAP)
	cqMem   []byte // CQ ring when mapped separately
	sqeMem  []byte

	sqHead, sqTail, sqFlags *uint32
	sqMask, sqEntries       uint32
	sqes                    []sqe
	sqLocal                 uint32 // our tail: SQEs filled, not yet published

	cqHead, cqTail *uint32
	cqMask         uint32
	cqes           []cqe

	// inflight counts CQEs still owed by the kernel: one per submitted
	// SQE, plus one for each SEND_ZC notification announced by F_MORE.
	inflight int

	scratch []byte // off-heap page for wait arguments
	arenas  [][]byte
	closed  bool
}

// defaultEntries is the SQ size of a ring made with entries <= 0.
const defaultEntries = 64

// NewRing sets up a ring with room for entries submissions (rounded up to a
// power of two by the kernel) and twice as many completions. It locks the
// calling goroutine to its OS thread until Close. Errors from setup match
// [ErrUnavailable] when io_uring cannot be used at all.
func NewRing(entries int) (*Ring, error) {
	if entries <= 0 {
		entries = defaultEntries
	}
	runtime.LockOSThread()
	r, err := newRing(uint32(entries))
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	return r, nil
}

// setupFlagSets are tried in order: the single-issuer, deferred task-work
// ring liburing recommends (6.1+), then cooperative task work (5.19+), then
// a plain ring. EINVAL means the kernel does not know a flag.
var setupFlagSets = []uint32{
	setupSingleIssuer | setupDeferTaskrun,
	setupCoopTaskrun,
	0,
}

// sysSetup is io_uring_setup(2), swapped by tests to force failures.
var setupRing = func(entries uint32, p *params) (int, error) {
	fd, _, errno := syscall.Syscall(sysSetup, uintptr(entries), uintptr(unsafe.Pointer(p)), 0)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

func newRing(entries uint32) (*Ring, error) {
	var p params
	fd := -1
	var err error
	for _, f := range setupFlagSets {
		p = params{flags: f | setupCQSize | setupClamp | setupSubmitAll, cqEntries: 2 * entries}
		fd, err = setupRing(entries, &p)
		if err != unix.EINVAL {
			break
		}
	}
	if err != nil {
		return nil, setupError(err)
	}
	r := &Ring{fd: fd, flags: p.flags, features: p.features}
	if err := r.mapRings(&p); err != nil {
		r.unmap()
		unix.Close(fd)
		return nil, os.NewSyscallError("io_uring mmap", err)
	}
	if err := r.probe(); err != nil {
		r.unmap()
		unix.Close(fd)
		return nil, err
	}
	return r, nil
}

// setupError classifies io_uring_setup's errno.
func setupError(err error) error {
	switch err {
	case unix.ENOSYS: // no CONFIG_IO_URING, or a seccomp filter answering ENOSYS
		return &UnavailableError{Reason: "io_uring_setup: function not implemented (kernel without io_uring, or seccomp)", Err: err}
	case unix.EPERM: // kernel.io_uring_disabled, or seccomp (Docker's default profile)
		return &UnavailableError{Reason: "io_uring_setup: operation not permitted (kernel.io_uring_disabled or seccomp)", Err: err}
	case unix.ENOMEM: // rings cannot be allocated (memlock on kernels before 5.12)
		return &UnavailableError{Reason: "io_uring_setup: cannot allocate memory (RLIMIT_MEMLOCK?)", Err: err}
	case unix.EINVAL: // even a plain ring is refused: too old a kernel
		return &UnavailableError{Reason: "io_uring_setup: invalid argument (kernel too old)", Err: err}
	case unix.EMFILE, unix.ENFILE: // out of descriptors: a real error, not a missing feature
		return os.NewSyscallError("io_uring_setup", err)
	}
	return &UnavailableError{Reason: "io_uring_setup: " + err.Error(), Err: err}
}

func (r *Ring) mapRings(p *params) error {
	sqSize := uintptr(p.sqOff.array) + uintptr(p.sqEntries)*4
	cqSize := uintptr(p.cqOff.cqes) + uintptr(p.cqEntries)*uintptr(unsafe.Sizeof(cqe{}))
	single := p.features&featSingleMmap != 0
	if single {
		sqSize = max(sqSize, cqSize)
	}
	var err error
	r.ringMem, err = unix.Mmap(r.fd, offSQRing, int(sqSize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return err
	}
	cqMem := r.ringMem
	if !single {
		r.cqMem, err = unix.Mmap(r.fd, offCQRing, int(cqSize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
		if err != nil {
			return err
		}
		cqMem = r.cqMem
	}
	sqeSize := int(p.sqEntries) * int(unsafe.Sizeof(sqe{}))
	r.sqeMem, err = unix.Mmap(r.fd, offSQEs, sqeSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return err
	}
	r.scratch, err = unix.Mmap(-1, 0, os.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return err
	}
	u32 := func(mem []byte, off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&mem[off])) }
	r.sqHead, r.sqTail, r.sqFlags = u32(r.ringMem, p.sqOff.head), u32(r.ringMem, p.sqOff.tail), u32(r.ringMem, p.sqOff.flags)
	r.sqMask, r.sqEntries = *u32(r.ringMem, p.sqOff.ringMask), *u32(r.ringMem, p.sqOff.ringEntries)
	// The index array maps ring slots to SQEs; identity, set once.
	array := unsafe.Slice(u32(r.ringMem, p.sqOff.array), r.sqEntries)
	for i := range array {
		array[i] = uint32(i)
	}
	r.sqes = unsafe.Slice((*sqe)(unsafe.Pointer(&r.sqeMem[0])), r.sqEntries)
	r.cqHead, r.cqTail = u32(cqMem, p.cqOff.head), u32(cqMem, p.cqOff.tail)
	r.cqMask = *u32(cqMem, p.cqOff.ringMask)
	r.cqes = unsafe.Slice((*cqe)(unsafe.Pointer(&cqMem[p.cqOff.cqes])), *u32(cqMem, p.cqOff.ringEntries))
	r.sqLocal = atomic.LoadUint32(r.sqTail)
	return nil
}

func (r *Ring) unmap() {
	for _, m := range [][]byte{r.ringMem, r.cqMem, r.sqeMem, r.scratch} {
		if m != nil {
			unix.Munmap(m)
		}
	}
	for _, a := range r.arenas {
		arenaCache.put(a)
	}
	r.ringMem, r.cqMem, r.sqeMem, r.scratch, r.arenas = nil, nil, nil, nil, nil
	r.sqes, r.cqes = nil, nil
}

// probe records which opcodes the kernel supports.
func (r *Ring) probe() error {
	const n = 256
	buf := make([]byte, unsafe.Sizeof(probeHdr{})+n*unsafe.Sizeof(probeOp{}))
	_, _, errno := syscall.Syscall6(sysRegister, uintptr(r.fd), registerProbe, uintptr(unsafe.Pointer(&buf[0])), n, 0, 0)
	runtime.KeepAlive(buf)
	if errno != 0 {
		// Before 5.6 there is no probe: only the classic ops exist,
		// and this package needs more.
		return &UnavailableError{Reason: "IORING_REGISTER_PROBE: " + errno.Error(), Err: errno}
	}
	hdr := (*probeHdr)(unsafe.Pointer(&buf[0]))
	ops := unsafe.Slice((*probeOp)(unsafe.Pointer(&buf[unsafe.Sizeof(probeHdr{})])), n)
	for i := 0; i < int(hdr.opsLen); i++ {
		if op := ops[i]; int(op.op) < len(r.ops) && op.flags&opSupported != 0 {
			r.ops[op.op] = true
		}
	}
	return nil
}

// Supports reports whether the kernel offers opcode op (IORING_OP_*).
func (r *Ring) Supports(op uint8) bool { return int(op) < len(r.ops) && r.ops[op] }

// SingleIssuer reports whether the ring runs with
// IORING_SETUP_SINGLE_ISSUER|IORING_SETUP_DEFER_TASKRUN.
func (r *Ring) SingleIssuer() bool { return r.flags&setupSingleIssuer != 0 }

// Entries is the submission queue's size.
func (r *Ring) Entries() int { return int(r.sqEntries) }

// Alloc returns size bytes of page-aligned, off-heap memory owned by the
// ring: it stays mapped until Close has seen every operation complete, so
// the kernel may read or write it in any operation of this ring. The
// memory is not zeroed: it may be that of a closed ring (see arenaCache).
func (r *Ring) Alloc(size int) ([]byte, error) {
	size = (size + os.Getpagesize() - 1) &^ (os.Getpagesize() - 1)
	if b := arenaCache.get(size); b != nil {
		r.arenas = append(r.arenas, b)
		return b[:size], nil
	}
	b, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, os.NewSyscallError("mmap", err)
	}
	r.arenas = append(r.arenas, b)
	return b, nil
}

// arenaCache keeps the arenas of closed rings (whose operations have all
// completed) for the next rings. A fresh mapping costs a page fault on
// each page's first touch and a munmap at the end; on the 2-vCPU VM of
// BENCHMARKS.md that was about 0.3 ms per CopyFiles call, more than the
// copy of a directory of small files.
var arenaCache = &arenas{max: 8 << 20}

type arenas struct {
	sync.Mutex
	free  [][]byte
	bytes int
	max   int
}

// get returns a cached mapping of at least size bytes (and at most twice
// that), or nil.
func (a *arenas) get(size int) []byte {
	a.Lock()
	defer a.Unlock()
	for i, b := range a.free {
		if len(b) >= size && len(b) <= 2*size {
			a.free = append(a.free[:i], a.free[i+1:]...)
			a.bytes -= len(b)
			return b
		}
	}
	return nil
}

// put keeps b for a later ring, or unmaps it when the cache is full.
func (a *arenas) put(b []byte) {
	a.Lock()
	defer a.Unlock()
	if a.bytes+len(b) > a.max {
		unix.Munmap(b)
		return
	}
	a.free = append(a.free, b)
	a.bytes += len(b)
}

// RegisterBuffers registers bufs (memory from Alloc) as the ring's fixed
// buffers, for the *Fixed ops; buffer i is buf_index i. A failure (ENOMEM
// under RLIMIT_MEMLOCK) leaves the ring usable without fixed buffers.
func (r *Ring) RegisterBuffers(bufs [][]byte) error {
	iov := make([]iovec, len(bufs))
	for i, b := range bufs {
		iov[i].Base = &b[0]
		iov[i].SetLen(len(b))
	}
	err := registerBuffersFn(r.fd, iov)
	runtime.KeepAlive(iov)
	runtime.KeepAlive(bufs)
	if err != nil {
		return os.NewSyscallError("io_uring_register buffers", err)
	}
	return nil
}

// registerBuffersFn is io_uring_register(IORING_REGISTER_BUFFERS), swapped
// by tests to force ENOMEM.
var registerBuffersFn = func(fd int, iov []iovec) error {
	_, _, errno := syscall.Syscall6(sysRegister, uintptr(fd), registerBuffers, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// RegisterFiles gives the ring a table of n fixed-file slots, all empty:
// [Ring.OpenatDirect] fills them, the Fixed flag makes a read or write
// use a slot instead of a descriptor, [Ring.CloseDirect] empties one. The
// ring's close releases what is left. Fixed files spare each operation
// the lookup and reference count of a descriptor (fget/fput).
func (r *Ring) RegisterFiles(n int) error {
	fds := make([]int32, n)
	for i := range fds {
		fds[i] = -1 // sparse
	}
	_, _, errno := syscall.Syscall6(sysRegister, uintptr(r.fd), registerFiles, uintptr(unsafe.Pointer(&fds[0])), uintptr(n), 0, 0)
	runtime.KeepAlive(fds)
	if errno != 0 {
		return os.NewSyscallError("io_uring_register files", errno)
	}
	return nil
}

// ErrRingFull is returned by Next when every submission slot is taken.
var ErrRingFull = errors.New("uring: submission queue full")

// errClosed is returned by methods of a closed ring.
var errClosed = errors.New("uring: ring closed")

// next returns a zeroed SQE to fill, or nil when the submission queue is
// full (Submit first). The SQE is published by the next Submit.
func (r *Ring) next() *sqe {
	head := atomic.LoadUint32(r.sqHead)
	if r.sqLocal-head >= r.sqEntries {
		return nil
	}
	e := &r.sqes[r.sqLocal&r.sqMask]
	*e = sqe{}
	r.sqLocal++
	return e
}

// last is the SQE the latest successful next returned.
func (r *Ring) last() *sqe { return &r.sqes[(r.sqLocal-1)&r.sqMask] }

// pending is the number of SQEs filled but not yet consumed by the kernel.
func (r *Ring) pending() uint32 { return r.sqLocal - atomic.LoadUint32(r.sqHead) }

// Submit publishes the filled SQEs and, if wait > 0, blocks until at least
// wait completions are ready (or timeout elapses, when > 0). It returns the
// number of SQEs the kernel consumed.
func (r *Ring) Submit(wait int, timeout time.Duration) (int, error) {
	if r.closed {
		return 0, errClosed
	}
	// Release the SQE contents to the kernel: a sequentially consistent
	// store is at least the release store liburing makes.
	atomic.StoreUint32(r.sqTail, r.sqLocal)
	toSubmit := r.pending()
	var flags uint32
	if wait > 0 || r.flags&setupDeferTaskrun != 0 {
		// With DEFER_TASKRUN, completions are only posted when the
		// owner enters with GETEVENTS.
		flags |= enterGetEvents
	}
	var arg uintptr
	var argSz uintptr
	if wait > 0 && timeout > 0 && r.features&featExtArg != 0 {
		ts := (*kernelTimespec)(unsafe.Pointer(&r.scratch[64]))
		ts.sec, ts.nsec = int64(timeout/time.Second), int64(timeout%time.Second)
		ga := (*geteventsArg)(unsafe.Pointer(&r.scratch[0]))
		*ga = geteventsArg{ts: uint64(uintptr(unsafe.Pointer(ts)))}
		arg, argSz = uintptr(unsafe.Pointer(ga)), unsafe.Sizeof(*ga)
		flags |= enterExtArg
	}
	if toSubmit == 0 && flags == 0 {
		return 0, nil
	}
	n, err := r.enter(toSubmit, uint32(max(wait, 0)), flags, arg, argSz)
	r.inflight += n
	if err == unix.ETIME {
		err = nil
	}
	return n, err
}

// enter is io_uring_enter(2). It goes through syscall.Syscall6, so that a
// blocking wait hands the P to another thread, and retries EINTR (a
// runtime signal interrupted the wait: nothing was consumed) in this one
// place.
func (r *Ring) enter(toSubmit, minComplete, flags uint32, arg, argSz uintptr) (int, error) {
	for {
		n, _, errno := syscall.Syscall6(sysEnter, uintptr(r.fd), uintptr(toSubmit), uintptr(minComplete), uintptr(flags), arg, argSz)
		switch errno {
		case 0:
			return int(n), nil
		case unix.EINTR:
			toSubmit = r.pending()
			continue
		case unix.EAGAIN, unix.EBUSY, unix.ETIME:
			// ETIME: the wait's timeout expired (Submit clears it).
			// Out of kernel memory for requests, or the CQ backlog
			// is full: the caller reaps and tries again.
			return 0, errno
		}
		return 0, os.NewSyscallError("io_uring_enter", errno)
	}
}

// Completion is one CQE.
type Completion struct {
	Slot  uint64 // the submission's user_data
	Res   int32  // result: >= 0 success, -errno failure
	Flags uint32
}

// Err is the completion's error, or nil.
func (c Completion) Err() error {
	if c.Res < 0 {
		return syscall.Errno(-c.Res)
	}
	return nil
}

// Reap calls fn for every completion ready now and consumes them. It
// returns how many it saw.
func (r *Ring) Reap(fn func(Completion)) int {
	head := atomic.LoadUint32(r.cqHead)
	tail := atomic.LoadUint32(r.cqTail) // acquire: CQE contents are visible
	n := 0
	for ; head != tail; head++ {
		c := r.cqes[head&r.cqMask]
		comp := Completion{Slot: c.userData, Res: c.res, Flags: c.flags}
		if comp.Flags&cqeFMore == 0 {
			r.inflight--
		}
		if testHookCQE != nil {
			comp.Res = testHookCQE(comp)
		}
		// Release the slot to the kernel before calling fn, which may
		// submit.
		atomic.StoreUint32(r.cqHead, head+1)
		fn(comp)
		n++
	}
	return n
}

// testHookCQE, when set by a test, may rewrite a completion's result:
// shorten it or turn it into an error, to exercise the re-queue and
// failure paths.
var testHookCQE func(Completion) int32

// Inflight is the number of completions the kernel still owes.
func (r *Ring) Inflight() int { return r.inflight }

// Close cancels every operation in flight, waits for all their
// completions (discarding them), then unmaps the rings and arenas and
// closes the ring. It unlocks the goroutine from its thread.
func (r *Ring) Close() error {
	if r.closed {
		return nil
	}
	err := r.drain(nil)
	r.closed = true
	r.unmap()
	if cerr := unix.Close(r.fd); err == nil && cerr != nil {
		err = os.NewSyscallError("close", cerr)
	}
	runtime.UnlockOSThread()
	return err
}

// drain cancels what is in flight and waits until the kernel owes nothing,
// passing completions to fn (if set).
func (r *Ring) drain(fn func(Completion)) error {
	if fn == nil {
		fn = func(Completion) {}
	}
	// SQEs filled but never submitted are dropped: rewind our tail.
	r.sqLocal = atomic.LoadUint32(r.sqTail)
	r.Reap(fn)
	if r.inflight == 0 {
		return nil
	}
	if e := r.next(); e != nil {
		e.opcode = opAsyncCancel
		e.fd = -1
		e.opFlags = asyncCancelAny
		e.userData = cancelSlot
	}
	for r.inflight > 0 {
		if _, err := r.Submit(1, time.Second); err != nil && err != unix.EAGAIN && err != unix.EBUSY {
			return fmt.Errorf("uring: draining %d operations: %w", r.inflight, err)
		}
		r.Reap(fn)
	}
	return nil
}

// cancelSlot is the user_data of the ring's own cancel requests.
const cancelSlot = ^uint64(0)

// LimitWorkers caps the ring's io-wq worker threads: bounded (regular
// file I/O) and unbounded (opens, statx, sockets) workers, per NUMA node;
// 0 leaves a kind unchanged. Operations the kernel cannot run inline
// (openat with O_CREAT, statx) each take a worker, so without a cap many
// files in flight mean as many threads.
func (r *Ring) LimitWorkers(bounded, unbounded uint32) error {
	arg := (*[2]uint32)(unsafe.Pointer(&r.scratch[128]))
	arg[0], arg[1] = bounded, unbounded
	_, _, errno := syscall.Syscall6(sysRegister, uintptr(r.fd), registerIOWQMaxWorkers, uintptr(unsafe.Pointer(arg)), 2, 0, 0)
	if errno != 0 {
		return os.NewSyscallError("io_uring_register iowq_max_workers", errno)
	}
	return nil
}
