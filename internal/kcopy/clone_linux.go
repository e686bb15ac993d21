package kcopy

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/eintr"
)

// ErrUnaligned is the reason a clone is not tried: FICLONERANGE needs both
// offsets, and the length unless it runs to the source's EOF, to be
// multiples of the filesystem block size.
var ErrUnaligned = errors.New("range not block-aligned")

// cloneRange is swapped by tests.
var cloneRange = unix.IoctlFileCloneRange

// Clone reflinks the source's remaining range into the destination with
// FICLONERANGE and advances both offsets past it. It handles the copy only
// if the whole range up to remain (or the source's EOF) can be cloned; the
// caller then continues with copy_file_range to pick up bytes appended in
// the meantime and to confirm EOF.
func Clone(p *Pair, remain int64) (written int64, handled bool, err error) {
	var reason error
	n, err := p.do(func(s, d int) (int64, side, error) {
		soff := p.Src.Pos
		if soff < 0 {
			off, err := unix.Seek(s, 0, unix.SEEK_CUR)
			if err != nil {
				return 0, sideNone, err
			}
			soff = off
		}
		doff, err := unix.Seek(d, 0, unix.SEEK_CUR)
		if err != nil {
			return 0, sideNone, err
		}
		length := p.Src.Size - soff
		toEOF := true
		if remain >= 0 && remain < length {
			length, toEOF = remain, false
		}
		bs := max(p.Src.Blksize, p.Dst.Blksize, 1)
		if length <= 0 || soff%bs != 0 || doff%bs != 0 || (!toEOF && length%bs != 0) {
			reason = ErrUnaligned
			return 0, sideNone, nil
		}
		p.Calls++
		rng := unix.FileCloneRange{Src_fd: int64(s), Src_offset: uint64(soff), Src_length: uint64(length), Dest_offset: uint64(doff)}
		if err := eintr.Retry(func() error { return cloneRange(d, &rng) }); err != nil {
			return 0, sideNone, err
		}
		if p.Src.Pos < 0 {
			if _, err := unix.Seek(s, soff+length, unix.SEEK_SET); err != nil {
				return 0, sideNone, err
			}
		}
		if _, err := unix.Seek(d, doff+length, unix.SEEK_SET); err != nil {
			return 0, sideNone, err
		}
		return length, sideNone, nil
	})
	if reason != nil {
		return 0, false, reason
	}
	if handled, err = handleCloneErr(err); !handled {
		return 0, false, err
	}
	p.FailedSrc = false
	if err == nil {
		p.moved(n)
	}
	return n, true, err
}

// handleCloneErr classifies a FICLONERANGE failure, which is all or
// nothing: handled == false means fall back, with err as the reason.
func handleCloneErr(err error) (handled bool, _ error) {
	switch err {
	case nil:
		return true, nil
	case unix.EOPNOTSUPP, // filesystem cannot reflink (ext4, tmpfs)
		unix.ENOTTY,  // not a filesystem ioctl at all
		unix.ENOSYS,  // no such ioctl in this kernel or sandbox
		unix.EXDEV,   // different filesystems (or btrfs subvolume rules)
		unix.EINVAL,  // unaligned, same-file overlap, or not regular files
		unix.EBADF,   // O_APPEND destination or source not readable
		unix.EPERM,   // immutable or append-only inode, seccomp
		unix.EACCES,  // same, from some filesystems
		unix.ETXTBSY: // active swap file
		return false, err
	}
	// EIO, ENOSPC, EDQUOT, ENOMEM are terminal: GNU cp 9.2 stopped retrying
	// other methods after them because that could corrupt data.
	return true, os.NewSyscallError("ioctl FICLONERANGE", err)
}
