package memfs

import (
	"container/list"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"
	"syscall"
)

// A backing is a host file that host extents read from. Backings made by
// importing a path hold no descriptor: the file is opened and mapped on
// first read and the mapping lives in a bounded cache (maxMapped entries),
// so importing a tree of 15,000 files opens none of them. Backings made
// from an open *os.File keep a duplicate of its descriptor (the file may
// have no name any more) until the filesystem is closed.
type backing struct {
	cache *mapCache
	path  string   // host path to reopen; "" when file is set
	file  *os.File // owned duplicate descriptor, or nil
	id    fileID   // identity at import: a reopened path must match it

	// Protected by cache.mu.
	size int64     // bytes of the host file that extents may reach
	ent  *mapEntry // open and mapped state, nil when not cached
}

// name is the host file's name for errors.
func (b *backing) name() string {
	if b.file != nil {
		return b.file.Name()
	}
	return b.path
}

// BackingError is returned by reads of host extents whose host file can no
// longer give the bytes: it shrank under the mapping (Err is syscall.EIO),
// the path now names another file (syscall.ESTALE), or it cannot be opened
// (the open error). errors.Is(err, syscall.EIO) holds for the first case.
type BackingError struct {
	HostPath string
	Err      error
}

func (e *BackingError) Error() string {
	return fmt.Sprintf("memfs: host file %s: %v", e.HostPath, e.Err)
}

func (e *BackingError) Unwrap() error { return e.Err }

// ErrClosed is returned for reads of host extents after [FS.Close].
var ErrClosed = errors.New("memfs: filesystem closed")

// A mapEntry is a backing's open descriptor and read-only mapping. It is
// freed (unmapped, closed) when it was evicted and no reader holds it.
type mapEntry struct {
	b       *backing
	f       *os.File
	owned   bool   // f was opened by the cache and is closed with it
	data    []byte // mapping of the first len(data) bytes; nil: use pread
	refs    int
	evicted bool
	elem    *list.Element
}

// maxMapped bounds the open descriptors and mappings the cache keeps.
const maxMapped = 128

// mapCache is the per-filesystem cache of open backings. Its mu is a leaf
// lock: nothing else is locked under it, and no system call runs under it.
type mapCache struct {
	mu       sync.Mutex
	lru      list.List // of *mapEntry, most recent first
	closed   bool
	backings map[backingKey]*backing
}

type backingKey struct {
	id fileID
}

// backingFor returns the filesystem's backing for a host file; need is how
// far into the file the new extents reach. Backings of open files (f !=
// nil) are shared by all imports of one host file, so that they cost one
// descriptor; path backings (tree imports, one per file) are not
// registered at all.
func (mc *mapCache) backingFor(path string, f hostFile, id fileID, need int64) (*backing, error) {
	if f == nil {
		return &backing{cache: mc, path: path, id: id, size: need}, nil
	}
	key := backingKey{id: id}
	mc.mu.Lock()
	if mc.closed {
		mc.mu.Unlock()
		return nil, ErrClosed
	}
	if b, ok := mc.backings[key]; ok && id.valid {
		b.size = max(b.size, need)
		mc.mu.Unlock()
		return b, nil
	}
	mc.mu.Unlock()
	b := &backing{cache: mc, path: path, id: id, size: need}
	if f != nil {
		dup, err := dupFile(f)
		if err != nil {
			return nil, err
		}
		b.file = dup
	}
	mc.mu.Lock()
	defer mc.mu.Unlock()
	if mc.closed {
		if b.file != nil {
			b.file.Close()
		}
		return nil, ErrClosed
	}
	if old, ok := mc.backings[key]; ok && id.valid {
		if b.file != nil {
			b.file.Close()
		}
		old.size = max(old.size, need)
		return old, nil
	}
	if mc.backings == nil {
		mc.backings = map[backingKey]*backing{}
	}
	if id.valid {
		mc.backings[key] = b
	}
	return b, nil
}

// acquire returns b's open entry with a mapping covering need bytes (or a
// descriptor for pread), opening and mapping it if needed. The caller
// releases it.
func (mc *mapCache) acquire(b *backing, need int64) (*mapEntry, error) {
	mc.mu.Lock()
	if mc.closed {
		mc.mu.Unlock()
		return nil, ErrClosed
	}
	if e := b.ent; e != nil && (e.data == nil || int64(len(e.data)) >= need) {
		e.refs++
		mc.lru.MoveToFront(e.elem)
		mc.mu.Unlock()
		return e, nil
	}
	size := max(b.size, need)
	mc.mu.Unlock()

	e, err := openEntry(b, size)
	if err != nil {
		return nil, err
	}

	mc.mu.Lock()
	var free []*mapEntry
	defer func() {
		mc.mu.Unlock()
		for _, f := range free {
			f.free()
		}
	}()
	if mc.closed {
		free = append(free, e)
		return nil, ErrClosed
	}
	if old := b.ent; old != nil {
		if old.data == nil || int64(len(old.data)) >= need {
			// Another reader opened it meanwhile.
			free = append(free, e)
			old.refs++
			mc.lru.MoveToFront(old.elem)
			return old, nil
		}
		free = mc.evictLocked(old, free)
	}
	b.ent = e
	e.elem = mc.lru.PushFront(e)
	e.refs = 1
	for mc.lru.Len() > maxMapped {
		free = mc.evictLocked(mc.lru.Back().Value.(*mapEntry), free)
	}
	return e, nil
}

// evictLocked drops e from the cache and adds it to free if no reader holds it.
// Preconditions: mc.mu is held.
func (mc *mapCache) evictLocked(e *mapEntry, free []*mapEntry) []*mapEntry {
	mc.lru.Remove(e.elem)
	e.b.ent = nil
	e.evicted = true
	if e.refs == 0 {
		free = append(free, e)
	}
	return free
}

func (mc *mapCache) release(e *mapEntry) {
	mc.mu.Lock()
	e.refs--
	last := e.evicted && e.refs == 0
	mc.mu.Unlock()
	if last {
		e.free()
	}
}

// close unmaps and closes everything; later reads of host extents fail
// with ErrClosed. Entries in use are freed by their last reader. It
// reports whether this call closed the cache.
func (mc *mapCache) close() bool {
	mc.mu.Lock()
	if mc.closed {
		mc.mu.Unlock()
		return false
	}
	mc.closed = true
	var free []*mapEntry
	for mc.lru.Len() > 0 {
		free = mc.evictLocked(mc.lru.Front().Value.(*mapEntry), free)
	}
	var files []*os.File
	for _, b := range mc.backings {
		if b.file != nil {
			files = append(files, b.file)
		}
	}
	mc.backings = nil
	mc.mu.Unlock()
	for _, e := range free {
		e.free()
	}
	for _, f := range files {
		f.Close()
	}
	return true
}

// openEntry opens b's host file and maps its first size bytes read-only.
func openEntry(b *backing, size int64) (*mapEntry, error) {
	e := &mapEntry{b: b, f: b.file}
	if e.f == nil {
		f, err := os.Open(b.path)
		if err != nil {
			return nil, &BackingError{HostPath: b.path, Err: err}
		}
		if b.id.valid {
			fi, err := f.Stat()
			if err != nil {
				f.Close()
				return nil, &BackingError{HostPath: b.path, Err: err}
			}
			if id := idOf(fi); id.valid && (id.dev != b.id.dev || id.ino != b.id.ino) {
				f.Close()
				return nil, &BackingError{HostPath: b.path, Err: syscall.ESTALE}
			}
		}
		e.f, e.owned = f, true
	}
	if size > 0 && !readFaultsAllocate(e.f) {
		// A failed map (a 32-bit address space, a filesystem without
		// mmap) leaves data nil: reads use pread instead, as they do on
		// tmpfs, where faults on holes would allocate them.
		e.data, _ = mapFile(e.f, size)
	}
	return e, nil
}

func (e *mapEntry) free() {
	if e.data != nil {
		unmapFile(e.data)
		e.data = nil
	}
	if e.owned {
		e.f.Close()
	}
}

// readAt copies the host bytes at off into p. All of p lies within the
// extents the backing was made for; bytes the host file no longer has are
// an error (never a crash, never zeros).
func (b *backing) readAt(p []byte, off int64) (int, error) {
	e, err := b.cache.acquire(b, off+int64(len(p)))
	if err != nil {
		return 0, err
	}
	defer b.cache.release(e)
	if e.data != nil {
		n, ok := guardedCopy(p, e.data[off:])
		// Past a shrunk host file's end, whole pages fault, but the
		// rest of the page it now ends in reads as zeros: only the size
		// after the copy says which copied bytes are the file's.
		fi, err := e.f.Stat()
		if err != nil {
			return 0, &BackingError{HostPath: b.name(), Err: err}
		}
		if end := off + int64(n); !ok || fi.Size() < end {
			return int(min(max(fi.Size()-off, 0), int64(n))), &BackingError{HostPath: b.name(), Err: syscall.EIO}
		}
		return n, nil
	}
	n, err := e.f.ReadAt(p, off)
	if err == io.EOF {
		// The host file shrank below what we imported.
		return n, &BackingError{HostPath: b.name(), Err: syscall.EIO}
	}
	if err != nil {
		return n, &BackingError{HostPath: b.name(), Err: err}
	}
	return n, nil
}

// guardChunk is how much guardedCopy copies between progress updates, so
// that a fault reports the bytes copied before it.
const guardChunk = 256 << 10

// guardedCopy copies src into dst with page faults turned into a panic it
// recovers (runtime/debug.SetPanicOnFault applies to this goroutine only):
// a mapping whose file shrank raises SIGBUS on the lost pages. ok is false
// after a fault; n counts the bytes copied before the faulting chunk. The
// mapping never escapes: callers get copies.
func guardedCopy(dst, src []byte) (n int, ok bool) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			if _, isFault := r.(interface{ Addr() uintptr }); !isFault {
				panic(r)
			}
			ok = false
		}
	}()
	total := min(len(dst), len(src))
	for n < total {
		k := min(total-n, guardChunk)
		copy(dst[n:n+k], src[n:n+k])
		n += k
	}
	return n, true
}

// withFile calls fn with an open descriptor of b's host file, held open
// for the call; own says the descriptor is memfs's own (not a duplicate
// sharing a caller's file offset), so fn may move its offset.
func (b *backing) withFile(need int64, fn func(f *os.File, own bool) error) error {
	e, err := b.cache.acquire(b, need)
	if err != nil {
		return err
	}
	defer b.cache.release(e)
	return fn(e.f, e.owned)
}
