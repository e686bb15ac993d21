package kcopy

import (
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/eintr"
)

// Classify fills e from fstat(2) of rc's descriptor, and from the socket
// type and domain when it is a socket. It resets Pos to -1. For a
// destination that is a regular file it also reads O_APPEND, per copy,
// because O_APPEND can be set after open (golang/go#79660), and whether it
// was opened read-only.
func Classify(rc syscall.RawConn, e *Endpoint, dst bool) error {
	e.RC = rc
	e.err = nil
	if e.ctlOwner != e { // never bound, or bound by the Endpoint e was copied from
		e.ctl, e.ctlOwner = e.control, e
	}
	e.ctlDst = dst
	if err := rc.Control(e.ctl); err != nil {
		return err
	}
	return e.err
}

// control is Classify's callback.
func (e *Endpoint) control(fd uintptr) {
	if e.err = classifyFD(int(fd), e); e.err == nil && e.ctlDst && e.Kind == KindRegular {
		flags, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
		e.Append = err == nil && flags&unix.O_APPEND != 0
		e.ReadOnly = err == nil && flags&unix.O_ACCMODE == unix.O_RDONLY
	}
}

func classifyFD(fd int, e *Endpoint) error {
	var st unix.Stat_t
	if err := eintr.Retry(func() error { return unix.Fstat(fd, &st) }); err != nil {
		return os.NewSyscallError("fstat", err)
	}
	e.Dev, e.Ino, e.Blksize, e.Size, e.Pos = uint64(st.Dev), uint64(st.Ino), int64(st.Blksize), -1, -1
	e.Blocks = int64(st.Blocks)
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		e.Kind, e.Size = KindRegular, st.Size
	case unix.S_IFBLK:
		e.Kind = KindBlock
		var n uint64
		if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.BLKGETSIZE64, uintptr(unsafe.Pointer(&n))); errno == 0 {
			e.Size = int64(n)
		}
	case unix.S_IFCHR:
		e.Kind = KindChar
	case unix.S_IFIFO:
		e.Kind = KindPipe
	case unix.S_IFSOCK:
		e.Kind = socketKind(fd)
	default:
		e.Kind = KindOther
	}
	return nil
}

func socketKind(fd int) Kind {
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil || typ != unix.SOCK_STREAM {
		return KindSocket
	}
	switch dom, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN); dom {
	case unix.AF_INET, unix.AF_INET6:
		return KindTCP
	case unix.AF_UNIX:
		return KindUnix
	}
	return KindSocket
}

// FSName names the filesystem holding rc's descriptor (statfs f_type), for
// reports: "ext4", "btrfs", "tmpfs", ...
func FSName(rc syscall.RawConn) string {
	var st unix.Statfs_t
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = eintr.Retry(func() error { return unix.Fstatfs(int(fd), &st) })
	}); err != nil || serr != nil {
		return ""
	}
	switch uint32(st.Type) { // int32 on 386, int64 on amd64; magics are 32-bit
	case unix.EXT4_SUPER_MAGIC:
		return "ext4"
	case unix.BTRFS_SUPER_MAGIC:
		return "btrfs"
	case unix.XFS_SUPER_MAGIC:
		return "xfs"
	case unix.TMPFS_MAGIC:
		return "tmpfs"
	case unix.PROC_SUPER_MAGIC:
		return "proc"
	case unix.SYSFS_MAGIC:
		return "sysfs"
	case unix.OVERLAYFS_SUPER_MAGIC:
		return "overlayfs"
	case unix.NFS_SUPER_MAGIC:
		return "nfs"
	case unix.FUSE_SUPER_MAGIC:
		return "fuse"
	case unix.SOCKFS_MAGIC:
		return "sockfs"
	case unix.PIPEFS_MAGIC:
		return "pipefs"
	case unix.DEVPTS_SUPER_MAGIC:
		return "devpts"
	case unix.F2FS_SUPER_MAGIC:
		return "f2fs"
	case 0x2fc12fc1: // ZFS, not in x/sys/unix
		return "zfs"
	}
	return ""
}
