package copytree

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// progress counts what is done and, in a walk running beside the copy,
// what there is to do; a ticker hands snapshots to Options.Progress.
type progress struct {
	fn                 func(Progress)
	start              time.Time
	files, bytes       atomic.Int64
	totFiles, totBytes atomic.Int64
	totalsKnown        atomic.Bool
	partial            atomic.Int64 // bytes of large files already counted while in flight
	cancel             context.CancelFunc
	wg                 sync.WaitGroup
	mu                 sync.Mutex // serialises calls to fn
	stopped            bool
}

func startProgress(ctx context.Context, o Options, root string, follow bool) *progress {
	ctx, cancel := context.WithCancel(ctx)
	p := &progress{fn: o.Progress, start: time.Now(), cancel: cancel}
	p.wg.Add(2)
	go func() {
		defer p.wg.Done()
		p.count(ctx, root, follow)
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

// count walks the source to learn the totals. It runs beside the copy,
// never before it, and stops when the copy ends.
func (p *progress) count(ctx context.Context, root string, follow bool) {
	var fi os.FileInfo
	var err error
	if follow {
		fi, err = os.Stat(root)
	} else {
		fi, err = os.Lstat(root)
	}
	if err != nil {
		return
	}
	if !fi.IsDir() {
		p.totFiles.Add(1)
		if fi.Mode().IsRegular() {
			p.totBytes.Add(fi.Size())
		}
		p.totalsKnown.Store(true)
		return
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil || d.IsDir() {
			return nil
		}
		p.totFiles.Add(1)
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				p.totBytes.Add(info.Size())
			}
		}
		return nil
	})
	if err == nil {
		p.totalsKnown.Store(true)
	}
}

// fileProgress returns a zcopy progress callback for one large file: it
// adds the file's bytes as they are written.
func (p *progress) fileProgress() func(int64) {
	var last int64
	return func(written int64) {
		p.bytes.Add(written - last)
		p.partial.Add(written - last)
		last = written
	}
}

// inFile reports whether a finished file's bytes were already counted
// while it was copied, and forgets them.
func (p *progress) inFile(size int64) bool {
	for {
		cur := p.partial.Load()
		if cur < size {
			if cur > 0 && p.partial.CompareAndSwap(cur, 0) {
				p.bytes.Add(size - cur)
				return true
			}
			if cur == 0 {
				return false
			}
			continue
		}
		if p.partial.CompareAndSwap(cur, cur-size) {
			return true
		}
	}
}

func (p *progress) snapshot(done bool) Progress {
	s := Progress{Files: p.files.Load(), Bytes: p.bytes.Load(), TotalFiles: p.totFiles.Load(),
		TotalBytes: p.totBytes.Load(), TotalsKnown: p.totalsKnown.Load(), Elapsed: time.Since(p.start), Done: done}
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

// stop ends the ticker and the counting walk and reports the end. If the
// walk had not finished, the copy's own counts are the totals: it has
// visited everything.
func (p *progress) stop() {
	p.cancel()
	p.wg.Wait()
	if !p.totalsKnown.Load() {
		p.totFiles.Store(p.files.Load())
		p.totBytes.Store(p.bytes.Load())
		p.totalsKnown.Store(true)
	}
	p.emit(true)
}
