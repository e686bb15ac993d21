package copytree

import (
	"strings"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/eintr"
)

// openat is openat(2) with O_CLOEXEC. A short name is passed from a
// buffer on the stack: unix.Openat's copy of it would be one of the few
// allocations a copied file costs.
func openat(dirfd int, name string, flags int, mode uint32) (fd int, err error) {
	var buf [256]byte
	if len(name) >= len(buf) || strings.IndexByte(name, 0) >= 0 {
		err = eintr.Retry(func() error {
			fd, err = unix.Openat(dirfd, name, flags|unix.O_CLOEXEC, mode)
			return err
		})
		return fd, err
	}
	copy(buf[:], name)
	err = eintr.Retry(func() error {
		r, _, e := unix.Syscall6(unix.SYS_OPENAT, uintptr(dirfd), uintptr(unsafe.Pointer(&buf[0])),
			uintptr(flags|unix.O_CLOEXEC|unix.O_LARGEFILE), uintptr(mode), 0, 0)
		if e != 0 {
			return e
		}
		fd = int(r)
		return nil
	})
	return fd, err
}

// noOpenat2 is set once openat2(2) is known to be missing (Linux < 5.6,
// or a seccomp filter returning ENOSYS).
var noOpenat2 atomic.Bool

// openBeneath opens the directory rel below dirfd without following any
// symbolic link on the way when nofollow is set, so a link planted in the
// destination during the copy is never written through.
func openBeneath(dirfd int, rel string, nofollow bool) (int, error) {
	flags := unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC
	if !nofollow {
		return openat(dirfd, rel, flags, 0)
	}
	if !noOpenat2.Load() {
		var fd int
		err := eintr.Retry(func() (err error) {
			fd, err = unix.Openat2(dirfd, rel, &unix.OpenHow{
				Flags:   uint64(flags | unix.O_NOFOLLOW),
				Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
			})
			return err
		})
		if err != unix.ENOSYS && err != unix.EPERM {
			return fd, err
		}
		noOpenat2.Store(true)
	}
	return walkNoFollow(dirfd, rel, flags)
}

// walkNoFollow opens rel one component at a time with O_NOFOLLOW, for
// kernels without openat2. It holds at most two descriptors.
func walkNoFollow(dirfd int, rel string, flags int) (int, error) {
	cur := dirfd
	for rel != "" {
		var name string
		name, rel = cutSlash(rel)
		if name == "" {
			continue
		}
		fd, err := openat(cur, name, flags|unix.O_NOFOLLOW, 0)
		if cur != dirfd {
			unix.Close(cur)
		}
		if err != nil {
			return -1, err
		}
		cur = fd
	}
	if cur == dirfd {
		return openat(dirfd, ".", flags, 0)
	}
	return cur, nil
}

func cutSlash(s string) (string, string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

func fstatat(dirfd int, name string, st *unix.Stat_t, flags int) error {
	return eintr.Retry(func() error { return unix.Fstatat(dirfd, name, st, flags) })
}

func fstat(fd int, st *unix.Stat_t) error {
	return eintr.Retry(func() error { return unix.Fstat(fd, st) })
}

// futimens sets fd's access and modification times: utimensat(fd, NULL),
// which x/sys/unix does not wrap with nanoseconds.
func futimens(fd int, ts *[2]unix.Timespec) error {
	return eintr.Retry(func() error {
		_, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(ts)), 0, 0, 0)
		if e != 0 {
			return e
		}
		return nil
	})
}

// statTimes returns st's access and modification times for utimensat.
func statTimes(st *unix.Stat_t) [2]unix.Timespec {
	return [2]unix.Timespec{st.Atim, st.Mtim}
}

// listXattrs returns the names of fd's extended attributes (or those of
// path's link itself when fd < 0), growing the buffer on ERANGE.
func listXattrs(fd int, path string, buf []byte) ([]string, []byte, error) {
	for {
		var n int
		err := eintr.Retry(func() (err error) {
			if fd >= 0 {
				n, err = unix.Flistxattr(fd, buf)
			} else {
				n, err = unix.Llistxattr(path, buf)
			}
			return err
		})
		if err == unix.ERANGE || (err == nil && n == len(buf) && len(buf) > 0) {
			buf = make([]byte, max(2*len(buf), 4096))
			continue
		}
		if err != nil {
			return nil, buf, err
		}
		var names []string
		for rest := buf[:n]; len(rest) > 0; {
			i := 0
			for i < len(rest) && rest[i] != 0 {
				i++
			}
			if i > 0 {
				names = append(names, string(rest[:i]))
			}
			if i == len(rest) {
				break
			}
			rest = rest[i+1:]
		}
		return names, buf, nil
	}
}

func getXattr(fd int, path, name string, buf []byte) ([]byte, []byte, error) {
	for {
		var n int
		err := eintr.Retry(func() (err error) {
			if fd >= 0 {
				n, err = unix.Fgetxattr(fd, name, buf)
			} else {
				n, err = unix.Lgetxattr(path, name, buf)
			}
			return err
		})
		if err == unix.ERANGE {
			buf = make([]byte, max(2*len(buf), 4096))
			continue
		}
		if err != nil {
			return nil, buf, err
		}
		return buf[:n], buf, nil
	}
}

func setXattr(fd int, path, name string, val []byte) error {
	return eintr.Retry(func() error {
		if fd >= 0 {
			return unix.Fsetxattr(fd, name, val, 0)
		}
		return unix.Lsetxattr(path, name, val, 0)
	})
}
