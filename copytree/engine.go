package copytree

import "github.com/zcopy/zcopy/internal/uring"

// Engine selects how the regular files of a directory are copied: one by
// one with zcopy's system calls, or many at a time through io_uring (zcp
// --engine).
type Engine uint8

const (
	// EngineAuto uses what measured faster on trees (BENCHMARKS.md,
	// io_uring): EngineUring for a batch whose files are not in the page
	// cache (the batch's first non-empty file, asked with cachestat(2)),
	// where the ring's many reads in flight win; the per-file path for
	// cached files and tmpfs, where the ring measured slower.
	EngineAuto Engine = iota
	// EngineSync never uses io_uring.
	EngineSync
	// EngineUring copies the small regular files of each directory this
	// copy created through io_uring chains (statx, open, read, write,
	// close, many files in flight), then applies their metadata with
	// plain system calls. Everything else, and every file when io_uring
	// is unavailable, takes the per-file path; [FileReport.Method] says
	// which ("uring" for the ring).
	EngineUring
)

func (e Engine) String() string {
	switch e {
	case EngineSync:
		return "sync"
	case EngineUring:
		return "uring"
	}
	return "auto"
}

// UringAvailable reports why io_uring cannot be used by this process (nil
// when it can): with EngineUring every file then takes the per-file path.
// The answer is probed once and cached.
func UringAvailable() error { return uring.Available() }
