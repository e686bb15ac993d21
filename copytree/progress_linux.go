package copytree

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zcopy/zcopy"
)

// progress counts what is done and, in a walk running beside the copy,
// what there is to do; a ticker hands snapshots to Options.Progress.
//
// Both sides count the same things, so that a finished copy reads 100 %:
// "files" are the entries that are neither directories nor symbolic links
// (each name of a hard-linked file is one), and bytes are the apparent
// sizes of the regular files whose data is copied, each file once however
// many names it has when links are preserved. A sparse file counts its
// apparent size: its holes are done when they are skipped.
type progress struct {
	fn                 func(Progress)
	start              time.Time
	files, bytes       atomic.Int64
	totFiles, totBytes atomic.Int64
	skippedBytes       atomic.Int64 // of files the overwrite policy kept: not to do
	totalsKnown        atomic.Bool
	cancel             context.CancelFunc
	wg                 sync.WaitGroup
	mu                 sync.Mutex // serialises calls to fn
	stopped            bool

	// What the copy does, which the walk must count alike.
	followRoot, followAll bool // -H or -L; -L
	copiesData            bool // not -l, -s or --attributes-only
	linksKept             bool // hard links are made, not copied: bytes once
	symlinksAreFiles      bool // -s: each file becomes a symlink
	recursive             bool
	oneFS                 bool
}

// testHookWalkEntry, when set, runs before the counting walk looks at an
// entry (tests hold the walk back with it); testHookWalkDone when the walk
// has counted everything (tests hold the copy back until then).
var (
	testHookWalkEntry func(path string)
	testHookWalkDone  func()
)

func startProgress(ctx context.Context, o Options, root string) *progress {
	ctx, cancel := context.WithCancel(ctx)
	p := &progress{fn: o.Progress, start: time.Now(), cancel: cancel,
		followRoot: o.Deref != DerefNever, followAll: o.Deref == DerefAlways,
		copiesData: !o.HardLink && !o.SymbolicLink && !o.AttributesOnly,
		linksKept:  o.Preserve&PreserveLinks != 0, symlinksAreFiles: o.SymbolicLink,
		recursive: !o.NoRecursion, oneFS: o.OneFileSystem}
	p.wg.Add(2)
	go func() {
		defer p.wg.Done()
		p.count(ctx, root)
	}()
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(o.ProgressInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				p.emit(false)
			}
		}
	}()
	return p
}

// walkCounter is the state of one counting walk.
type walkCounter struct {
	p       *progress
	ctx     context.Context
	rootDev uint64
	seen    map[fileID]bool // multiply-linked files counted, when links are kept
	dirs    map[fileID]bool // directories entered through symlinks (-L): no cycles
}

// count walks the source to learn the totals. It runs beside the copy,
// never before it, and stops when the copy ends; the totals are known
// only if it got to the end.
func (p *progress) count(ctx context.Context, root string) {
	var st syscall.Stat_t
	var err error
	if p.followRoot {
		err = syscall.Stat(root, &st)
	} else {
		err = syscall.Lstat(root, &st)
	}
	if err != nil {
		p.totalsKnown.Store(true) // the copy fails on it too: nothing to do
		return
	}
	w := &walkCounter{p: p, ctx: ctx, rootDev: uint64(st.Dev)}
	if st.Mode&syscall.S_IFMT != syscall.S_IFDIR {
		w.entry(root, &st)
		p.totalsKnown.Store(true)
		return
	}
	if !p.recursive {
		p.totalsKnown.Store(true) // "omitting directory": nothing to do
		return
	}
	if w.dir(root) {
		p.totalsKnown.Store(true)
		if testHookWalkDone != nil {
			testHookWalkDone()
		}
	}
}

// dir counts what is below the directory path; false means the walk was
// stopped.
func (w *walkCounter) dir(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return true // the copy reports it; nothing there to count
	}
	defer f.Close()
	for {
		names, err := f.Readdirnames(1024)
		for _, name := range names {
			if w.ctx.Err() != nil {
				return false
			}
			child := path + "/" + name
			if testHookWalkEntry != nil {
				testHookWalkEntry(child)
			}
			var st syscall.Stat_t
			if syscall.Lstat(child, &st) != nil {
				continue
			}
			if st.Mode&syscall.S_IFMT == syscall.S_IFLNK && w.p.followAll {
				if syscall.Stat(child, &st) != nil {
					continue // dangling: the copy fails on it
				}
				if st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
					id := fileID{uint64(st.Dev), uint64(st.Ino)}
					if w.dirs[id] {
						continue // a cycle: the copy refuses it
					}
					if w.dirs == nil {
						w.dirs = map[fileID]bool{}
					}
					w.dirs[id] = true
				}
			}
			if st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
				if w.p.oneFS && uint64(st.Dev) != w.rootDev {
					continue // created, not descended
				}
				if !w.dir(child) {
					return false
				}
				continue
			}
			w.entry(child, &st)
		}
		if err != nil {
			return true
		}
	}
}

// entry counts one non-directory.
func (w *walkCounter) entry(path string, st *syscall.Stat_t) {
	p := w.p
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFLNK:
		if p.symlinksAreFiles {
			p.totFiles.Add(1)
		}
		return
	case syscall.S_IFREG:
	default:
		p.totFiles.Add(1)
		return
	}
	p.totFiles.Add(1)
	if !p.copiesData || st.Size == 0 {
		return
	}
	if p.linksKept && st.Nlink > 1 {
		id := fileID{uint64(st.Dev), uint64(st.Ino)}
		if w.seen[id] {
			return // linked to the first copy: no bytes
		}
		if w.seen == nil {
			w.seen = map[fileID]bool{}
		}
		w.seen[id] = true
	}
	p.totBytes.Add(st.Size)
}

// reported counts an entry the copy has finished.
func (p *progress) reported(fr *FileReport) {
	if fr.Kind == KindDir || (fr.Kind == KindSymlink && !p.symlinksAreFiles) {
		return
	}
	p.files.Add(1)
	if fr.Size > 0 {
		p.bytes.Add(fr.Size)
	}
	if fr.Skipped && fr.Kind == KindFile && p.copiesData {
		// Kept by the overwrite policy: its bytes leave the total.
		var st syscall.Stat_t
		var err error
		if p.followAll {
			err = syscall.Stat(fr.Src, &st)
		} else {
			err = syscall.Lstat(fr.Src, &st)
		}
		if err == nil && st.Mode&syscall.S_IFMT == syscall.S_IFREG {
			p.skippedBytes.Add(st.Size)
		}
	}
}

// fileData prepares the progress accounting of one file's data, of
// apparent size size: opts gain a progress callback for a large file (its
// bytes show while it is copied), and done, called once the data is
// written, credits what the report will not: the bytes counted in flight
// come off, the holes a sparse copy skipped go on.
func (p *progress) fileData(opts []zcopy.Option, size int64, rep *FileReport) ([]zcopy.Option, func()) {
	var inFlight, last int64
	if size > 8<<20 {
		opts = append(opts[:len(opts):len(opts)], zcopy.WithProgress(func(written int64) {
			if written < last {
				last = 0 // a further call (the next data segment) counts from 0
			}
			p.bytes.Add(written - last)
			inFlight += written - last
			last = written
		}))
	}
	return opts, func() {
		if d := size - rep.Size - inFlight; d != 0 {
			p.bytes.Add(d)
		}
	}
}

func (p *progress) snapshot(done bool) Progress {
	s := Progress{Files: p.files.Load(), Bytes: p.bytes.Load(), TotalFiles: p.totFiles.Load(),
		TotalBytes: p.totBytes.Load() - p.skippedBytes.Load(), TotalsKnown: p.totalsKnown.Load(),
		Elapsed: time.Since(p.start), Done: done}
	if s.TotalFiles < s.Files {
		s.TotalFiles = s.Files
	}
	if s.TotalBytes < s.Bytes {
		s.TotalBytes = s.Bytes
	}
	return s
}

func (p *progress) emit(done bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	p.fn(p.snapshot(done))
	if done {
		p.stopped = true
	}
}

// stop ends the ticker and the counting walk and reports the end. A copy
// that ran to its end has visited everything, so if the walk had not
// finished, the copy's own counts are the totals. A stopped copy
// (cancelled, or failed without ContinueOnError) keeps what the walk
// counted, with TotalsKnown false: a total still unknown is not made up.
func (p *progress) stop(completed bool) {
	p.cancel()
	p.wg.Wait()
	if !p.totalsKnown.Load() && completed {
		p.totFiles.Store(p.files.Load())
		p.totBytes.Store(p.bytes.Load() + p.skippedBytes.Load())
		p.totalsKnown.Store(true)
	}
	p.emit(true)
}
