package copytree

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/zcopy/zcopy"
)

// CopyFS copies the file system fsys into the directory dir, creating dir
// if necessary: a superset of [os.CopyFS]. As with os.CopyFS, files are
// created with mode 0o666 or 0o777 (by the source's executable bits) minus
// the umask, and directories with 0o777, unless opts.Preserve has
// PreserveMode (then the source's permission bits are kept) or
// PreserveTimestamps (modification times are kept). Symbolic links are
// recreated where fsys implements [fs.ReadLinkFS]. Unlike os.CopyFS, an
// existing file is handled by the overwrite policy in opts (by default it
// is replaced; os.CopyFS fails with fs.ErrExist: set Update to
// UpdateNoneFail for that). Files whose fs.File is an *os.File are moved
// with zcopy's fast paths. CopyFS copies serially; it is for sources that
// are not a local directory (embedded files, archives, a network source).
func CopyFS(ctx context.Context, dir string, fsys fs.FS, opts Options) (Summary, error) {
	c := New(opts)
	if ctx == nil {
		ctx = context.Background()
	}
	start := time.Now()
	defer func() { c.sum.elapsed.Add(int64(time.Since(start))) }()
	sink := &errorSink{}
	fail := func(err error) error {
		c.fail(sink, err)
		if opts.ContinueOnError {
			return nil
		}
		return err
	}
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			return fail(&Error{Op: "cannot access", Path: path, Err: err})
		}
		if !fs.ValidPath(path) {
			return fail(&Error{Op: "cannot copy", Path: path, Err: fs.ErrInvalid})
		}
		dst := filepath.Join(dir, filepath.FromSlash(path))
		info, err := d.Info()
		if err != nil {
			return fail(&Error{Op: "cannot stat", Path: path, Err: err})
		}
		switch {
		case d.IsDir():
			perm := os.FileMode(0o777)
			if opts.Preserve&PreserveMode != 0 {
				perm = info.Mode().Perm() | 0o700 // writable until the end
			}
			if err := os.MkdirAll(dst, perm); err != nil {
				return fail(&Error{Op: "cannot create directory", Path: dst, Err: err})
			}
			c.report(&FileReport{Src: path, Dst: dst, Kind: KindDir})
		case d.Type()&fs.ModeSymlink != 0:
			target, err := fs.ReadLink(fsys, path)
			if err != nil {
				return fail(&Error{Op: "cannot read symbolic link", Path: path, Err: err})
			}
			if err := os.Symlink(target, dst); err != nil {
				if !errors.Is(err, fs.ErrExist) || opts.Update != UpdateAll {
					return fail(&Error{Op: "cannot create symbolic link", Path: dst, Err: err})
				}
				if fi, lerr := os.Lstat(dst); lerr == nil && fi.IsDir() {
					return fail(&Error{Path: dst, Err: ErrFileOverDir})
				}
				os.Remove(dst) // a link is recreated, as cp -P does
				if err := os.Symlink(target, dst); err != nil {
					return fail(&Error{Op: "cannot create symbolic link", Path: dst, Err: err})
				}
			}
			c.report(&FileReport{Src: path, Dst: dst, Kind: KindSymlink})
		case d.Type().IsRegular():
			rep, err := copyFSFile(ctx, fsys, path, dst, info, &c.opts)
			if err != nil {
				return fail(err)
			}
			c.report(rep)
		default:
			return fail(&Error{Op: "cannot copy", Path: path, Err: fs.ErrInvalid})
		}
		return nil
	})
	if err == nil && opts.Preserve&(PreserveMode|PreserveTimestamps) != 0 {
		// Directory modes and times after their children.
		err = fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			info, ierr := d.Info()
			if ierr != nil {
				return nil
			}
			dst := filepath.Join(dir, filepath.FromSlash(path))
			if opts.Preserve&PreserveTimestamps != 0 {
				os.Chtimes(dst, info.ModTime(), info.ModTime())
			}
			if opts.Preserve&PreserveMode != 0 {
				os.Chmod(dst, info.Mode().Perm())
			}
			return nil
		})
	}
	if err != nil && !sink.failed.Load() {
		c.fail(sink, err)
	}
	return c.Summary(), sink.err()
}

func copyFSFile(ctx context.Context, fsys fs.FS, path, dst string, info fs.FileInfo, o *Options) (*FileReport, error) {
	rep := &FileReport{Src: path, Dst: dst, Kind: KindFile}
	perm := os.FileMode(0o666)
	if info.Mode()&0o111 != 0 {
		perm = 0o777
	}
	if o.Preserve&PreserveMode != 0 {
		perm = info.Mode().Perm()
	}
	const create = os.O_WRONLY | os.O_CREATE | os.O_EXCL
	flags := create
	if old, err := os.Lstat(dst); err == nil {
		if old.IsDir() {
			return nil, &Error{Path: dst, Err: ErrFileOverDir}
		}
		switch o.Update {
		case UpdateNone:
			rep.Skipped = true
			return rep, nil
		case UpdateNoneFail:
			return nil, &Error{Path: dst, Err: ErrNotReplacing}
		case UpdateOlder:
			if fi, err := os.Lstat(dst); err == nil && !fi.ModTime().Before(info.ModTime()) {
				rep.Skipped = true
				return rep, nil
			}
		}
		if o.Interactive != nil && !o.Interactive(dst) {
			rep.Skipped = true
			return rep, nil
		}
		if o.RemoveDestination || old.Mode()&fs.ModeSymlink != 0 {
			// Asked for, or a symlink, which is replaced rather than
			// written through.
			if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, &Error{Op: "cannot remove", Path: dst, Err: err}
			}
		} else {
			flags = os.O_WRONLY | os.O_TRUNC // written into, as cp does: devices and FIFOs stay
		}
	}
	src, err := fsys.Open(path)
	if err != nil {
		return nil, &Error{Op: "cannot open %s for reading", Path: path, Err: err}
	}
	defer src.Close()
	out, err := os.OpenFile(dst, flags|nofollow, perm)
	if err != nil && flags != create && (o.Force || errors.Is(err, fs.ErrNotExist)) {
		// -f: a destination that cannot be opened is removed (or it
		// vanished meanwhile): create it.
		if rerr := os.Remove(dst); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return nil, &Error{Op: "cannot remove", Path: dst, Err: rerr}
		}
		out, err = os.OpenFile(dst, create|nofollow, perm)
	}
	if err != nil {
		return nil, &Error{Op: "cannot create regular file", Path: dst, Err: err}
	}
	var zr zcopy.Report
	zopts := append(o.CopyOptions[:len(o.CopyOptions):len(o.CopyOptions)], zcopy.WithReport(&zr))
	n, err := zcopy.CopyContext(ctx, out, src.(io.Reader), zopts...)
	rep.Size, rep.Method = n, zr.Method
	if err != nil {
		out.Close()
		return nil, &Error{Op: "error copying %s to %s", Path: path, Path2: dst, Err: err}
	}
	if o.Preserve&PreserveMode != 0 {
		out.Chmod(perm) // the umask applied at creation
	}
	if err := out.Close(); err != nil {
		return nil, &Error{Op: "failed to close", Path: dst, Err: err}
	}
	if o.Preserve&PreserveTimestamps != 0 {
		os.Chtimes(dst, info.ModTime(), info.ModTime())
	}
	return rep, nil
}
