package uring

// The kernel ABI, transcribed from include/uapi/linux/io_uring.h (liburing's
// copy). Sizes and offsets are asserted in abi_linux_test.go; every field has
// a fixed size, so the layout is the same on 32- and 64-bit targets.

import (
	"structs"

	"golang.org/x/sys/unix"
)

// System call numbers; the same on every architecture x/sys supports here.
const (
	sysSetup    = unix.SYS_IO_URING_SETUP
	sysEnter    = unix.SYS_IO_URING_ENTER
	sysRegister = unix.SYS_IO_URING_REGISTER
)

// Opcodes (enum io_uring_op).
const (
	opNop         = 0
	opReadv       = 1
	opWritev      = 2
	opFsync       = 3
	opReadFixed   = 4
	opWriteFixed  = 5
	opPollAdd     = 6
	opAsyncCancel = 14
	opOpenat      = 18
	opClose       = 19
	opStatx       = 21
	opRead        = 22
	opWrite       = 23
	opSend        = 26
	opSplice      = 30
	opUnlinkat    = 36
	opSendZC      = 47
	opLast        = 63 // the highest opcode this file knows (IORING_OP_PIPE is 62)
)

// Setup flags (IORING_SETUP_*).
const (
	setupCQSize       = 1 << 3
	setupClamp        = 1 << 4
	setupSubmitAll    = 1 << 7
	setupCoopTaskrun  = 1 << 8
	setupSingleIssuer = 1 << 12
	setupDeferTaskrun = 1 << 13
)

// SQE flags (IOSQE_*).
const (
	sqeFixedFile = 1 << 0
	sqeIOLink    = 1 << 2
	sqeHardLink  = 1 << 3
	sqeAsync     = 1 << 4
)

// io_uring_enter flags.
const (
	enterGetEvents = 1 << 0
	enterExtArg    = 1 << 3
)

// Features reported in params.features.
const (
	featSingleMmap = 1 << 0
	featNoDrop     = 1 << 1
	featFastPoll   = 1 << 5
	featExtArg     = 1 << 8
)

// mmap offsets.
const (
	offSQRing = 0
	offCQRing = 0x8000000
	offSQEs   = 0x10000000
)

// Register opcodes.
const (
	registerBuffers        = 0
	unregisterBuffers      = 1
	registerFiles          = 2
	registerProbe          = 8
	registerIOWQMaxWorkers = 19
)

// Miscellaneous flags.
const (
	sqNeedWakeup    = 1 << 0
	sqCQOverflow    = 1 << 1
	asyncCancelAny  = 1 << 2
	cqeFMore        = 1 << 1
	cqeFNotif       = 1 << 3
	opSupported     = 1 << 0
	fileIndexAlloc  = ^uint32(0)
	noOffset        = ^uint64(0) // "use the file position" (read/write), "no offset" (splice)
	spliceFdInFixed = 1 << 31
)

// sqe is struct io_uring_sqe (64 bytes, no SQE128).
type sqe struct {
	_           structs.HostLayout
	opcode      uint8
	flags       uint8
	ioprio      uint16
	fd          int32
	off         uint64 // off, addr2
	addr        uint64 // addr, splice_off_in
	len         uint32
	opFlags     uint32 // rw_flags, open_flags, statx_flags, splice_flags, msg_flags, cancel_flags
	userData    uint64
	bufIndex    uint16
	personality uint16
	fileIndex   uint32 // splice_fd_in, file_index
	addr3       uint64
	pad2        uint64
}

// cqe is struct io_uring_cqe (16 bytes, no CQE32).
type cqe struct {
	_        structs.HostLayout
	userData uint64
	res      int32
	flags    uint32
}

type sqringOffsets struct {
	_           structs.HostLayout
	head        uint32
	tail        uint32
	ringMask    uint32
	ringEntries uint32
	flags       uint32
	dropped     uint32
	array       uint32
	resv1       uint32
	userAddr    uint64
}

type cqringOffsets struct {
	_           structs.HostLayout
	head        uint32
	tail        uint32
	ringMask    uint32
	ringEntries uint32
	overflow    uint32
	cqes        uint32
	flags       uint32
	resv1       uint32
	userAddr    uint64
}

// params is struct io_uring_params (120 bytes).
type params struct {
	_            structs.HostLayout
	sqEntries    uint32
	cqEntries    uint32
	flags        uint32
	sqThreadCPU  uint32
	sqThreadIdle uint32
	features     uint32
	wqFd         uint32
	resv         [3]uint32
	sqOff        sqringOffsets
	cqOff        cqringOffsets
}

// probeHdr is struct io_uring_probe without its flexible ops array.
type probeHdr struct {
	_      structs.HostLayout
	lastOp uint8
	opsLen uint8
	resv   uint16
	resv2  [3]uint32
}

// probeOp is struct io_uring_probe_op.
type probeOp struct {
	_     structs.HostLayout
	op    uint8
	resv  uint8
	flags uint16
	resv2 uint32
}

// geteventsArg is struct io_uring_getevents_arg (IORING_ENTER_EXT_ARG).
type geteventsArg struct {
	_           structs.HostLayout
	sigmask     uint64
	sigmaskSz   uint32
	minWaitUsec uint32
	ts          uint64
}

// kernelTimespec is struct __kernel_timespec: 64-bit fields on every arch.
type kernelTimespec struct {
	_    structs.HostLayout
	sec  int64
	nsec int64
}

// iovec is struct iovec for registering buffers; 64-bit fields would be
// wrong on 386, so it uses x/sys's per-arch type.
type iovec = unix.Iovec
