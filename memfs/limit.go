package memfs

import (
	"sync/atomic"
	"syscall"
)

// limiter counts the file bytes held in heap memory (the bytes of heap
// extents, as tmpfs counts the pages it holds; not the slack of their
// buffers) and snapshot bytes against an optional budget. Callers charge
// before they allocate; a failed charge changes nothing.
// It is lock-free and so may be used under any lock.
type limiter struct {
	budget int64 // 0: unlimited
	used   atomic.Int64
}

func (l *limiter) charge(n int64) error {
	if n <= 0 {
		return nil
	}
	for {
		u := l.used.Load()
		if l.budget > 0 && u+n > l.budget {
			return syscall.ENOSPC // what a full tmpfs says
		}
		if l.used.CompareAndSwap(u, u+n) {
			return nil
		}
	}
}

func (l *limiter) refund(n int64) { l.used.Add(-n) }

// Usage says where a filesystem's file data lives.
type Usage struct {
	// Heap is the file bytes held in heap memory, which the memory limit
	// bounds, like a tmpfs's size. It includes bytes of unlinked files
	// still open. The heap buffers holding them may be larger: spare
	// capacity after a file's last heap bytes (less than those, at most
	// 1 MiB) and bytes an import overwrote or a punch freed in a buffer
	// still in use.
	Heap int64
	// Limit is the memory limit (0: none).
	Limit int64
	// Snapshots is the memory of sealed snapshots ([FS.ImportSnapshot]),
	// included in Heap: it is charged to the limit until [FS.Close].
	Snapshots int64
	// Offloaded counts file bytes read from host files (no memory of
	// ours), Holes the bytes of holes and fills (no memory either), and
	// InMemory the file bytes held in heap extents; for the files
	// reachable from the root.
	Offloaded, Holes, InMemory int64
	// Extents is the number of extents of those files.
	Extents int
}
