package uring

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/eintr"
)

// ErrNotRegular is the error of a Job whose source is not a regular file
// (a directory, a FIFO, a device, a symlink: the walk decides what to do
// with those).
var ErrNotRegular = errors.New("not a regular file")

// ErrDeclined is the error of a Job that FilesConfig.Accept refused.
var ErrDeclined = errors.New("declined by the caller")

const (
	// O_NONBLOCK: a FIFO swapped in after the statx opens at once (and
	// is refused) instead of blocking for a writer; regular files ignore
	// the flag, io_uring's reads too (their files support nowait).
	srcOpenFlags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC | unix.O_NONBLOCK | unix.O_NOCTTY
	// O_EXCL|O_NOFOLLOW: never write through an existing file or a
	// symlink an attacker planted at the destination.
	dstOpenFlags = unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_CLOEXEC
	statxMask    = unix.STATX_BASIC_STATS | unix.STATX_BTIME
	defaultMode  = 0o600
	defaultBuf   = 64 << 10
	maxPath      = 4096 // PATH_MAX, with the NUL
)

// CopyFiles copies each job's regular file to its new destination and
// returns one Result per job, in the jobs' order. It never stops early:
// every job gets its own error. Cancelling ctx stops starting new jobs
// (they fail with ctx.Err()) and lets the ones in flight finish.
//
// Per file it makes statx, openat(src, O_RDONLY|O_NOFOLLOW), openat(dst,
// O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW, Mode), read and write rounds, and two
// closes: with EngineUring as chains of linked io_uring operations, many
// files in flight on one ring; with EngineSync as plain system calls on a
// pool of goroutines. A failure after the destination was created closes
// both descriptors and removes the partial destination.
func CopyFiles(ctx context.Context, jobs []Job, cfg FilesConfig) []Result {
	res := make([]Result, len(jobs))
	if cfg.BufSize <= 0 {
		cfg.BufSize = defaultBuf
	}
	cfg.BufSize = (cfg.BufSize + 4095) &^ 4095
	if cfg.Engine == EngineUring && Available() == nil {
		if err := copyFilesUring(ctx, jobs, res, cfg); err == nil {
			return res
		}
		// Setup failed before any job started (out of memory for the
		// arena, descriptors): the pool copies them all.
	}
	copyFilesSync(ctx, jobs, res, cfg)
	return res
}

func pathErr(op, path string, err error) error { return &fs.PathError{Op: op, Path: path, Err: err} }

func statFrom(sx *unix.Statx_t) Stat {
	ts := func(t unix.StatxTimestamp) time.Time { return time.Unix(t.Sec, int64(t.Nsec)) }
	return Stat{
		Mode: uint32(sx.Mode), Uid: sx.Uid, Gid: sx.Gid, Size: int64(sx.Size), Nlink: sx.Nlink,
		Blocks: int64(sx.Blocks), Dev: unix.Mkdev(sx.Dev_major, sx.Dev_minor), Ino: sx.Ino,
		Atime: ts(sx.Atime), Mtime: ts(sx.Mtime), Btime: ts(sx.Btime),
	}
}

func jobMode(j *Job) uint32 {
	if j.Mode == 0 {
		return defaultMode
	}
	return j.Mode & 0o7777
}

// copyFilesSync is the goroutine pool.
func copyFilesSync(ctx context.Context, jobs []Job, res []Result, cfg FilesConfig) {
	workers := cfg.InFlight
	if workers <= 0 {
		workers = 4 * runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(jobs))
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, cfg.BufSize)
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(jobs) {
					return
				}
				if err := ctxErr(ctx); err != nil {
					res[i].Err = err
					continue
				}
				res[i] = copyOneSync(&jobs[i], buf, cfg.Accept)
			}
		}()
	}
	wg.Wait()
}

func ctxErr(ctx context.Context) error {
	if ctx == nil {
		return nil
	}
	return ctx.Err()
}

// copyOneSync copies one job with plain system calls.
func copyOneSync(j *Job, buf []byte, accept func(*Stat) bool) (r Result) {
	var sx unix.Statx_t
	if err := eintr.Retry(func() error { return unix.Statx(j.SrcDir, j.Src, unix.AT_SYMLINK_NOFOLLOW, statxMask, &sx) }); err != nil {
		r.Err = pathErr("statx", j.Src, err)
		return r
	}
	r.Stat = statFrom(&sx)
	if sx.Mode&unix.S_IFMT != unix.S_IFREG {
		r.Err = pathErr("open", j.Src, ErrNotRegular)
		return r
	}
	if accept != nil && !accept(&r.Stat) {
		r.Err = pathErr("open", j.Src, ErrDeclined)
		return r
	}
	src, err := eintr.RetryValue(func() (int, error) { return unix.Openat(j.SrcDir, j.Src, srcOpenFlags, 0) })
	if err != nil {
		r.Err = pathErr("open", j.Src, err)
		return r
	}
	defer func() {
		if r.Err == nil && j.KeepSrc {
			r.SrcFile = os.NewFile(uintptr(src), j.Src)
			return
		}
		unix.Close(src)
	}()
	dst, err := eintr.RetryValue(func() (int, error) { return unix.Openat(j.DstDir, j.Dst, dstOpenFlags, jobMode(j)) })
	if err != nil {
		r.Err = pathErr("open", j.Dst, err)
		return r
	}
	for {
		n, err := eintr.RetryValue(func() (int, error) { return unix.Read(src, buf) })
		if err != nil {
			r.Err = pathErr("read", j.Src, err)
			break
		}
		if n == 0 {
			break
		}
		for w := 0; w < n && r.Err == nil; {
			k, err := eintr.RetryValue(func() (int, error) { return unix.Write(dst, buf[w:n]) })
			switch {
			case err != nil:
				r.Err = pathErr("write", j.Dst, err)
			case k == 0:
				r.Err = pathErr("write", j.Dst, unix.EIO)
			}
			w += k
			r.Written += int64(k)
		}
		if r.Err != nil {
			break
		}
	}
	if r.Err == nil && j.KeepDst {
		r.DstFile = os.NewFile(uintptr(dst), j.Dst)
		return r
	}
	if err := unix.Close(dst); err != nil && r.Err == nil {
		r.Err = pathErr("close", j.Dst, err)
	}
	if r.Err != nil {
		removeDst(j, &r)
	}
	return r
}

// removeDst removes the partial destination of a failed job.
func removeDst(j *Job, r *Result) {
	if err := unix.Unlinkat(j.DstDir, j.Dst, 0); err != nil {
		r.Err = errors.Join(r.Err, pathErr("remove", j.Dst, err))
		return
	}
	r.Removed = true
}
