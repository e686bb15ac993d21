//go:build linux

package bench

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/eintr"
)

// The raw contenders are the C programs of the article "Rust io::copy with
// Linux Zero-Copy API" in Go: blocking
// descriptors from unix.Open/Socket/Connect, system calls through
// golang.org/x/sys/unix, no runtime poller.

// rawBuffer is the read/send and read/write loops' buffer.
const rawBuffer = 64 << 10

// rawPipeSize is what splice/pipe asks F_SETPIPE_SZ for: 1 MiB, the
// default pipe-max-size, the same as zcopy's pooled pipes, so the two
// splice rows differ in code, not in pipe size.
const rawPipeSize = 1 << 20

// maxRound is how much one sendfile/splice/copy_file_range call asks for;
// the kernel caps it at MAX_RW_COUNT anyway.
const maxRound = 1 << 30

type rawCopy func(dst, src int, size int64) (int64, error)

var rawCopies = map[string]rawCopy{
	"readwrite": rawReadWrite,
	"mmap":      rawMmapSend,
	"sendfile":  func(dst, src int, _ int64) (int64, error) { return rawSendfile(dst, src, 0) },
	"sendfile-nb": func(dst, src int, _ int64) (int64, error) {
		if err := unix.SetNonblock(dst, true); err != nil {
			return 0, err
		}
		return rawSendfile(dst, src, 0)
	},
	"splicepipe": rawSplicePipe,
	"splice":     rawSplice,
	"splice1m":   rawSplice1M,
	"cfr":        rawCopyFileRange,
	"ficlone":    rawClone,
}

func sendRaw(j *job, fn rawCopy, copies int) (childResult, error) {
	var res childResult
	start := time.Now()
	src, err := rawOpen(j.Src, false)
	if err != nil {
		return res, err
	}
	defer closeFD(src, j.Src)
	dst, err := rawOpen(j.Dst, true)
	if err != nil {
		return res, err
	}
	defer closeFD(dst, j.Dst)
	if kind, _, _ := strings.Cut(j.Dst, ":"); j.SndBuf > 0 && (kind == "unix" || kind == "tcp") {
		if err := setSndBuf(dst, j.SndBuf); err != nil {
			return res, err
		}
	}
	size := j.Size
	if strings.HasPrefix(j.Src, "file:") {
		var st unix.Stat_t
		if err := unix.Fstat(src, &st); err != nil {
			return res, err
		}
		size = st.Size
	}
	for i := range copies {
		if i > 0 {
			for _, fd := range []int{src, dst} {
				unix.Seek(fd, 0, 0) // ESPIPE on sockets, harmless
			}
		}
		n, err := fn(dst, src, size)
		res.Bytes += n
		if errors.Is(err, errSkip) {
			return childResult{Skip: strings.TrimPrefix(err.Error(), "skip: ")}, nil
		}
		if err != nil {
			return res, err
		}
	}
	if !isStd(j.Dst) {
		if err := unix.Close(dst); err != nil {
			return res, fmt.Errorf("close: %w", err)
		}
		dst = -1
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

func isStd(ep string) bool { return ep == "stdin" || ep == "stdout" }

func closeFD(fd int, ep string) {
	if fd >= 0 && !isStd(ep) {
		unix.Close(fd)
	}
}

func rawOpen(ep string, write bool) (int, error) {
	kind, arg, _ := strings.Cut(ep, ":")
	switch kind {
	case "stdin":
		return 0, nil
	case "stdout":
		return 1, nil
	case "file":
		flags := unix.O_RDONLY
		if write {
			flags = unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC
		}
		return eintr.RetryValue(func() (int, error) { return unix.Open(arg, flags|unix.O_CLOEXEC, 0o644) })
	case "unix":
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return -1, err
		}
		if err := unix.Connect(fd, &unix.SockaddrUnix{Name: arg}); err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("connect %s: %w", arg, err)
		}
		return fd, nil
	case "tcp":
		ap, err := netip.ParseAddrPort(arg)
		if err != nil || !ap.Addr().Is4() {
			return -1, fmt.Errorf("bad tcp address %q", arg)
		}
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return -1, err
		}
		// Go's TCP connections have TCP_NODELAY set; so do these, so
		// that the rows differ only in how the bytes move.
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		if err := unix.Connect(fd, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("connect %s: %w", arg, err)
		}
		return fd, nil
	}
	return -1, fmt.Errorf("bad endpoint %q", ep)
}

// waitFD blocks until fd is ready for events (POLLIN or POLLOUT).
func waitFD(fd int, events int16) error {
	_, err := eintr.RetryValue(func() (int, error) {
		return unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: events}}, -1)
	})
	return err
}

// writeAll writes p to fd, with send(2) on sockets as the article's C did.
func writeAll(fd int, p []byte) error {
	for len(p) > 0 {
		n, err := eintr.RetryValue(func() (int, error) { return sendOnce(fd, p) })
		switch e := errnoOf(err); e {
		case 0:
			p = p[n:]
		case unix.EAGAIN:
			if err := waitFD(fd, unix.POLLOUT); err != nil {
				return err
			}
		default:
			return fmt.Errorf("send: %w", e)
		}
	}
	return nil
}

// sendOnce is one send(2) of p, or write(2) where fd is not a socket.
func sendOnce(fd int, p []byte) (int, error) {
	n, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), 0, 0, 0)
	if e == unix.ENOTSOCK {
		return unix.Write(fd, p)
	}
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func errnoOf(err error) unix.Errno {
	var e unix.Errno
	if err != nil && !errors.As(err, &e) {
		return unix.EIO
	}
	return e
}

func rawReadWrite(dst, src int, _ int64) (int64, error) {
	buf := make([]byte, rawBuffer)
	var total int64
	for {
		n, err := eintr.RetryValue(func() (int, error) { return unix.Read(src, buf) })
		if err == unix.EAGAIN {
			if err = waitFD(src, unix.POLLIN); err == nil {
				continue
			}
		}
		if err != nil {
			return total, fmt.Errorf("read: %w", err)
		}
		if n == 0 {
			return total, nil
		}
		if err := writeAll(dst, buf[:n]); err != nil {
			return total, err
		}
		total += int64(n)
	}
}

func rawMmapSend(dst, src int, size int64) (int64, error) {
	if size == 0 {
		return 0, nil
	}
	m, err := unix.Mmap(src, 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return 0, fmt.Errorf("mmap: %w", err)
	}
	defer unix.Munmap(m)
	if err := writeAll(dst, m); err != nil {
		return 0, err
	}
	return size, nil
}

// setSndBuf sets a sender socket's SO_SNDBUF (-sndbuf).
func setSndBuf(fd, size int) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, size); err != nil {
		return fmt.Errorf("SO_SNDBUF: %w", err)
	}
	return nil
}

// rawSendfile moves src's bytes from its offset to EOF.
func rawSendfile(dst, src int, _ int64) (int64, error) {
	var total int64
	for {
		n, err := eintr.RetryValue(func() (int, error) { return unix.Sendfile(dst, src, nil, maxRound) })
		if err == unix.EAGAIN {
			if err = waitFD(dst, unix.POLLOUT); err == nil {
				continue
			}
		}
		if err != nil {
			return total, fmt.Errorf("sendfile: %w", err)
		}
		if n == 0 {
			return total, nil
		}
		total += int64(n)
	}
}

// rawSplicePipe is the article's splice/pipe: splice(file, pipe[1]) then
// splice(pipe[0], socket), for pairs where neither side is a pipe.
func rawSplicePipe(dst, src int, _ int64) (int64, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return 0, fmt.Errorf("pipe2: %w", err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	unix.FcntlInt(uintptr(p[1]), unix.F_SETPIPE_SZ, rawPipeSize)
	size, err := unix.FcntlInt(uintptr(p[1]), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		size = 64 << 10
	}
	var total int64
	for {
		n, err := eintr.RetryValue(func() (int64, error) {
			n, err := unix.Splice(src, nil, p[1], nil, size, unix.SPLICE_F_MOVE)
			return int64(n), err
		})
		if err != nil {
			return total, fmt.Errorf("splice in: %w", err)
		}
		if n == 0 {
			return total, nil
		}
		for left := n; left > 0; {
			m, err := eintr.RetryValue(func() (int64, error) {
				m, err := unix.Splice(p[0], nil, dst, nil, int(left), unix.SPLICE_F_MOVE)
				return int64(m), err
			})
			if err != nil {
				return total, fmt.Errorf("splice out: %w", err)
			}
			left -= m
			total += m
		}
	}
}

// rawSplice splices directly; one side is a pipe.
func rawSplice(dst, src int, _ int64) (int64, error) {
	var total int64
	for {
		n, err := eintr.RetryValue(func() (int64, error) {
			n, err := unix.Splice(src, nil, dst, nil, maxRound, unix.SPLICE_F_MOVE)
			return int64(n), err
		})
		if err != nil {
			return total, fmt.Errorf("splice: %w", err)
		}
		if n == 0 {
			return total, nil
		}
		total += n
	}
}

// rawSplice1M is rawSplice after raising the pipe side to 1 MiB, as zcopy
// does for a large copy, so that the two rows differ in code, not in pipe
// size.
func rawSplice1M(dst, src int, size int64) (int64, error) {
	for _, fd := range []int{src, dst} {
		unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, rawPipeSize) // EBADF on the side that is not a pipe
	}
	return rawSplice(dst, src, size)
}

func rawCopyFileRange(dst, src int, _ int64) (int64, error) {
	var total int64
	for {
		n, err := eintr.RetryValue(func() (int, error) { return unix.CopyFileRange(src, nil, dst, nil, maxRound, 0) })
		if err != nil {
			return total, fmt.Errorf("copy_file_range: %w", err)
		}
		if n == 0 {
			return total, nil
		}
		total += int64(n)
	}
}

// rawClone is FICLONE: the destination shares the source's extents. A
// filesystem without reflinks makes the row "skipped", not FAILED.
func rawClone(dst, src int, size int64) (int64, error) {
	err := unix.IoctlFileClone(dst, src)
	switch err {
	case nil:
		return size, nil
	case unix.EOPNOTSUPP, unix.EXDEV, unix.EINVAL, unix.ENOTTY, unix.ENOSYS:
		return 0, fmt.Errorf("%w: FICLONE: %s", errSkip, unix.ErrnoName(err.(unix.Errno)))
	}
	return 0, fmt.Errorf("FICLONE: %w", err)
}
