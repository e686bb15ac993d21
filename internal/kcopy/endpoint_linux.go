package kcopy

import (
	"context"
	"syscall"

	"github.com/zcopy/zcopy/internal/uring"
)

// Kind is what a descriptor is, as far as copying is concerned.
type Kind uint8

const (
	KindOther   Kind = iota // anything without a faster path (tty, epoll, ...)
	KindRegular             // regular file
	KindBlock               // block device
	KindChar                // character device (/dev/null, /dev/zero, ...)
	KindPipe                // pipe or FIFO
	KindTCP                 // TCP stream socket
	KindUnix                // Unix stream socket
	KindSocket              // any other socket (datagram, seqpacket, ...)
)

var kindNames = [...]string{
	KindOther:   "other",
	KindRegular: "regular file",
	KindBlock:   "block device",
	KindChar:    "character device",
	KindPipe:    "pipe",
	KindTCP:     "tcp socket",
	KindUnix:    "unix socket",
	KindSocket:  "socket",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Seekable reports whether the kind has a size and a file offset.
func (k Kind) Seekable() bool { return k == KindRegular || k == KindBlock }

// Stream reports whether splice(2) can read from or write to a socket of this kind.
func (k Kind) Stream() bool { return k == KindTCP || k == KindUnix }

// tri is a three-valued flag: unknown until first use.
type tri uint8

const (
	unknown tri = iota
	yes
	no
)

// Endpoint is one side of a copy: a descriptor reached through its RawConn
// and what fstat(2) said about it.
type Endpoint struct {
	RC   syscall.RawConn
	Kind Kind
	// Size is st_size for regular files, the device size for block
	// devices, and -1 otherwise.
	Size    int64
	Dev     uint64 // st_dev: the filesystem, for per-filesystem probe caching
	Ino     uint64
	Blksize int64
	Blocks  int64 // st_blocks, in 512-byte units: fewer than Size needs means holes
	// Pos is an explicit read position (io.SectionReader); -1 means the
	// descriptor's own file offset is used and advanced.
	Pos int64
	// Append is O_APPEND on a destination: no copy syscall but write(2)
	// honours it, so every fast path is skipped.
	Append bool
	// ReadOnly is a regular-file destination opened O_RDONLY: no
	// method can write it (EBADF).
	ReadOnly bool
	// pollable says whether waits can go through Go's poller; it is found
	// out on the first wait.
	pollable tri
	err      error // Classify's scratch
	// ctl is Classify's callback for RawConn.Control, bound to ctlOwner
	// once, so that classifying a pooled Endpoint allocates nothing;
	// ctlDst is its argument.
	ctl      func(uintptr)
	ctlOwner *Endpoint
	ctlDst   bool
}

// Reset readies e for another descriptor: everything unknown, no
// explicit position, and Classify's callback kept.
func (e *Endpoint) Reset(rc syscall.RawConn) {
	*e = Endpoint{RC: rc, Pos: -1, Size: -1, ctl: e.ctl, ctlOwner: e.ctlOwner}
}

// Pair is a source and destination plus what governs a copy between them.
type Pair struct {
	Src, Dst *Endpoint
	Ctx      context.Context
	// Chunk caps the bytes asked for in one system call so that Progress is
	// called and Ctx is checked that often; 0 means the syscall maximum.
	Chunk int64
	// Progress, if set, is called with Done after every call that moved
	// bytes. Done counts bytes moved; the caller may start it at the bytes
	// an enclosing copy already moved.
	Progress func(done int64)
	Done     int64
	// Calls counts the system calls made by methods (a report figure).
	Calls int
	// Drained counts bytes a splice through the pipe had taken from the
	// source but had to deliver with read/write, because the destination
	// refused splice (a report figure; the caller resets it).
	Drained int64
	// FailedSrc says that the error a method returned came from the
	// source's descriptor; otherwise it came from the destination's (or
	// could not be told apart, as with EIO between two files, where
	// io.Copy names the destination too).
	FailedSrc bool
	// Uring tunes the io_uring engine ([Uring]); nil means its defaults.
	Uring *uring.Config

	st   ioState // see Pair.do
	off  int64   // scratch offset handed to the kernel
	want int     // bytes asked of the current call
	ops  opCache
	r    roundState
}
