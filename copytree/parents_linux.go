package copytree

import (
	"strings"

	"golang.org/x/sys/unix"
)

// Parents is what cp --parents keeps between making a source's leading
// directories under the target and copying it: the directories whose
// attributes are set once the copy is done (GNU's dir_attr list).
type Parents struct {
	c    *Copier
	dirs []parentDir // deepest first, as GNU's re_protect walks them
}

type parentDir struct {
	dst     string      // the directory made or found under the target
	st      unix.Stat_t // its source directory
	restore bool        // set perm after the copy (it was made u+rwx)
	perm    uint32
}

// MakeParents is GNU cp's make_dir_parents_private: dst is src's name
// under target (target/src, trailing slashes dropped), and the
// directories of src's name that dst lacks are made there, with the
// source directories' permissions (or the defaults with NoPreserveMode)
// held back where ownership or the umask could let others in first, and
// u+rwx while the copy fills them. When every one exists nothing is
// touched. Errors are reported (OnError) and returned; made directories
// are reported (OnFile, Kind KindDir, Parent set). Call Restore on the
// result after copying src to dst.
func (c *Copier) MakeParents(target, src string) (dst string, p *Parents, err error) {
	p = &Parents{c: c}
	arg := strings.TrimRight(src, "/")
	if arg == "" {
		arg = src[:min(len(src), 1)]
	}
	dir := strings.TrimRight(target, "/")
	if dir == "" && strings.HasPrefix(target, "/") {
		dir = "/"
	}
	off := len(dir)
	switch {
	case strings.HasSuffix(dir, "/"):
		arg = strings.TrimLeft(arg, "/") // the root: no doubled slash
	case !strings.HasPrefix(arg, "/"):
		dir += "/"
		off++
	}
	dst = dir + arg
	fail := func(err error) (string, *Parents, error) {
		c.fail(&errorSink{}, err)
		return dst, p, err
	}
	dirLen := strings.LastIndexByte(dst, '/')
	for dirLen > 0 && dst[dirLen-1] == '/' {
		dirLen--
	}
	if dirLen <= off {
		return dst, p, nil
	}
	o := &c.opts
	var st unix.Stat_t
	if err := fstatat(unix.AT_FDCWD, dst[:dirLen], &st, 0); err == nil {
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return fail(&Error{Path: dst[:dirLen], Err: ErrParentNotDir})
		}
		return dst, p, nil
	}
	keep := o.Preserve&(PreserveOwnership|PreserveMode|PreserveTimestamps) != 0
	i := off
	for i < len(dst) && dst[i] == '/' {
		i++
	}
	for {
		j := strings.IndexByte(dst[i:], '/')
		if j < 0 {
			break
		}
		slash := i + j
		comp, srcComp := dst[:slash], dst[off:slash]
		missing := fstatat(unix.AT_FDCWD, comp, &st, 0) != nil
		if missing || keep {
			var sst unix.Stat_t
			err := fstatat(unix.AT_FDCWD, srcComp, &sst, 0)
			if err == nil && sst.Mode&unix.S_IFMT != unix.S_IFDIR {
				err = unix.ENOTDIR
			}
			if err != nil {
				return fail(&Error{Op: "failed to get attributes of", Path: srcComp, Err: err})
			}
			p.dirs = append([]parentDir{{dst: comp, st: sst}}, p.dirs...)
		}
		if missing {
			d := &p.dirs[0]
			srcMode := d.st.Mode & 0o7777
			var omitted uint32
			switch {
			case o.Preserve&PreserveOwnership != 0:
				omitted = srcMode & 0o077
			case o.Preserve&PreserveMode != 0:
				omitted = srcMode & 0o022
			}
			mode := srcMode
			if o.NoPreserveMode {
				mode = 0o777
			}
			if err := unix.Mkdirat(unix.AT_FDCWD, comp, mode&^omitted); err != nil {
				return fail(&Error{Op: "cannot make directory", Path: comp, Err: err})
			}
			c.report(&FileReport{Src: srcComp, Dst: comp, Kind: KindDir, Parent: true})
			if err := fstatat(unix.AT_FDCWD, comp, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return fail(&Error{Op: "failed to get attributes of", Path: comp, Err: err})
			}
			made := st.Mode & 0o7777
			if o.Preserve&PreserveMode == 0 {
				if omitted&^made != 0 {
					omitted &^= umask()
				}
				if omitted&^made != 0 || made&0o700 != 0o700 {
					d.perm, d.restore = made|omitted, true
				}
			}
			if made|0o700 != made {
				// Searchable and writable while the copy fills it.
				if err := unix.Fchmodat(unix.AT_FDCWD, comp, made|0o700, 0); err != nil {
					return fail(&Error{Op: "setting permissions for", Path: comp, Err: err})
				}
			}
		} else if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return fail(&Error{Path: comp, Err: ErrParentNotDir})
		}
		i = slash + 1
		for i < len(dst) && dst[i] == '/' {
			i++
		}
	}
	return dst, p, nil
}

// Restore is GNU's re_protect: the directories MakeParents listed get
// their sources' times, ownership and mode as the options say, or the
// permissions they were made without. It stops at the first failure,
// which it reports and returns.
func (p *Parents) Restore() error {
	if p == nil {
		return nil
	}
	c, o := p.c, &p.c.opts
	fail := func(err error) error {
		c.fail(&errorSink{}, err)
		return err
	}
	euid := unix.Geteuid()
	for _, d := range p.dirs {
		if o.Preserve&PreserveTimestamps != 0 {
			ts := statTimes(&d.st)
			if err := unix.UtimesNanoAt(unix.AT_FDCWD, d.dst, ts[:], 0); err != nil {
				return fail(&Error{Op: "failed to preserve times for", Path: d.dst, Err: err})
			}
		}
		if o.Preserve&PreserveOwnership != 0 {
			if err := unix.Lchown(d.dst, int(d.st.Uid), int(d.st.Gid)); err != nil {
				if euid == 0 || err != unix.EPERM && err != unix.EINVAL {
					return fail(&Error{Op: "failed to preserve ownership for", Path: d.dst, Err: err})
				}
				unix.Lchown(d.dst, -1, int(d.st.Gid)) // the group at least, where allowed
			}
		}
		switch {
		case o.Preserve&PreserveMode != 0:
			if err := unix.Fchmodat(unix.AT_FDCWD, d.dst, d.st.Mode&0o7777, 0); err != nil {
				return fail(&Error{Op: "preserving permissions for", Path: d.dst, Err: err})
			}
		case d.restore:
			if err := unix.Fchmodat(unix.AT_FDCWD, d.dst, d.perm, 0); err != nil {
				return fail(&Error{Op: "failed to preserve permissions for", Path: d.dst, Err: err})
			}
		}
	}
	return nil
}
