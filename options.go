package zcopy

import (
	"errors"

	"github.com/zcopy/zcopy/internal/uring"
)

// An Option changes how [CopyContext] copies.
type Option func(*config)

type config struct {
	methods  methodSet
	forced   bool // Only was given: no silent fallback outside the set
	strict   bool
	progress func(written int64)
	report   *Report
	chunk    int64
	uring    *uring.Config
}

// Strict forbids page-referencing paths: sendfile or splice from a regular
// file or block device into a pipe or socket. Those leave references to the
// source's page-cache pages in the pipe or socket buffer, so a write to the
// source after Copy returns can change what the reader receives (Go's own
// io.Copy does this for file→TCP; Rust's std refuses it, rust-lang/rust#108283).
// In strict mode such pairs use a read/write loop. The default is the fast mode.
func Strict() Option { return func(c *config) { c.strict = true } }

// WithProgress calls fn with the running total of bytes written, between
// chunks of the fast path (every few MiB) and after each write of the
// read/write loop. It does not push the copy off its fast path.
func WithProgress(fn func(written int64)) Option { return func(c *config) { c.progress = fn } }

// WithReport fills r with what the copy did: the method that moved the
// bytes, syscall counts, and why other methods were skipped.
func WithReport(r *Report) Option { return func(c *config) { c.report = r } }

// Only restricts the copy to the given methods, in zcopy's order. If none of
// them can copy the pair, CopyContext moves nothing and returns an error
// matching [ErrNoMethod]. For benchmarks and tests that must measure one path.
func Only(methods ...Method) Option {
	return func(c *config) { c.methods, c.forced = setOf(methods...), true }
}

// Without removes methods from the set zcopy may use, for example to test
// the fallback: Without(CopyFileRange, Clone). ReadWrite and Generic stay
// available unless removed too.
func Without(methods ...Method) Option {
	return func(c *config) { c.methods &^= setOf(methods...) }
}

// WithChunkSize sets how many bytes one fast-path system call may move
// (default: the syscall maximum, or 8 MiB with a progress callback or a
// cancellable context). Values <= 0 restore the default.
func WithChunkSize(n int64) Option { return func(c *config) { c.chunk = n } }

// ErrNoMethod is returned when [Only] allowed no method that can copy the pair.
var ErrNoMethod = errors.New("zcopy: no allowed method can copy this pair")

// UringOptions tune the [Uring] method. Zero values mean the engine's
// defaults: 8 blocks of 512 KiB in flight, plain buffers, O_DIRECT reads
// only for a source mostly missing from the page cache.
type UringOptions struct {
	// QueueDepth is how many blocks are in flight at once.
	QueueDepth int
	// BlockSize is the bytes one read or write moves.
	BlockSize int
	// Fixed registers the blocks with the kernel (READ_FIXED/WRITE_FIXED);
	// without the memlock to do so, the copy runs unregistered.
	Fixed bool
	// Direct says when the source is read with O_DIRECT (where its
	// alignment allows): faster when the source is not in the page
	// cache, slower when it is.
	Direct DirectMode
	// ZeroCopy sends to TCP sockets with SEND_ZC.
	ZeroCopy bool
	// Splice sends to sockets with IORING_OP_SPLICE through a pipe
	// instead of reading into memory.
	Splice bool
}

// WithUring tunes the [Uring] method. It does not enable it: use [Only].
func WithUring(o UringOptions) Option {
	return func(c *config) {
		c.uring = &uring.Config{QueueDepth: o.QueueDepth, BlockSize: o.BlockSize, Fixed: o.Fixed, ZeroCopy: o.ZeroCopy, Splice: o.Splice,
			Direct: o.Direct == DirectAlways, AutoDirect: o.Direct == DirectAuto}
	}
}

// DirectMode says when the [Uring] method reads with O_DIRECT.
type DirectMode uint8

const (
	// DirectAuto reads with O_DIRECT when cachestat(2) finds less than
	// half of the range to copy in the page cache.
	DirectAuto DirectMode = iota
	// DirectNever always reads through the page cache.
	DirectNever
	// DirectAlways reads with O_DIRECT whenever the alignment allows.
	DirectAlways
)
