package uring

import (
	"context"
	"fmt"
)

// Config tunes [Copy]; the zero value means the defaults.
type Config struct {
	// QueueDepth is how many blocks are in flight, reading or writing
	// (default 8).
	QueueDepth int
	// BlockSize is the bytes one read or write moves (default 512 KiB).
	BlockSize int
	// Fixed registers the blocks' memory with the kernel and uses
	// READ_FIXED/WRITE_FIXED (when registration fails, for instance
	// under RLIMIT_MEMLOCK, the copy runs without and says so in Stats).
	Fixed bool
	// Direct reads with O_DIRECT (a second open of the source) where the
	// offset, length and memory meet the file's alignment, bypassing the
	// page cache: a win when the source is not cached.
	Direct bool
	// AutoDirect turns Direct on when cachestat(2) finds less than half
	// of the source's range in the page cache: O_DIRECT reads win on a
	// cold cache and lose on a warm one.
	AutoDirect bool
	// ZeroCopy sends to a socket with SEND_ZC instead of SEND.
	ZeroCopy bool
	// Batch is the first source document's scheme, kept as a benchmark
	// contender: read QueueDepth blocks, wait for all of them, then
	// write them as a linked chain and wait for all of those.
	Batch bool
	// Splice sends to a socket with IORING_OP_SPLICE through a pipe
	// (file -> pipe linked to pipe -> socket) instead of reading into
	// memory and sending: no copy to user space.
	Splice bool
}

// Defaults.
const (
	DefaultQueueDepth = 8
	DefaultBlockSize  = 512 << 10
)

// CopyArgs says what [Copy] copies.
type CopyArgs struct {
	Ctx context.Context // nil: not cancellable
	// Src is a descriptor of a regular file or block device, read at
	// SrcOff onwards with positioned reads (its file offset is not used).
	Src    int
	SrcOff int64
	// Size is the source's size when the caller classified it, or -1.
	// It is a hint: reads go on until EOF, so a source that grew is
	// copied in full, and one that shrank stops where it ends.
	Size int64
	// Dst is the destination. DstOff >= 0 writes at that offset
	// (regular files, block devices); DstOff < 0 sends in order to a
	// stream socket.
	Dst    int
	DstOff int64
	// Remain is the most bytes to copy; < 0 means until EOF.
	Remain int64
	// Progress, if set, is called with the bytes of every completed
	// write.
	Progress func(delta int64)
}

// Stats describes what a [Copy] did, for reports and benchmarks.
type Stats struct {
	Ops      int  // SQEs submitted
	Enters   int  // io_uring_enter calls
	Requeued int  // short or EAGAIN results submitted again
	Fixed    bool // registered buffers were used
	Direct   bool // O_DIRECT reads were used
	// Moved reports that some write completed (possibly beyond the
	// returned count, which is the contiguous prefix).
	Moved bool
	// Note says why an option asked for was not used.
	Note string
}

// String describes a Stats for reports.
func (s *Stats) String() string {
	t := fmt.Sprintf("%d ops, %d enters", s.Ops, s.Enters)
	if s.Fixed {
		t += ", fixed buffers"
	}
	if s.Direct {
		t += ", O_DIRECT"
	}
	if s.Note != "" {
		t += " (" + s.Note + ")"
	}
	return t
}
