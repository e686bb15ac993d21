package uring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Prep methods fill the next SQE. Every []byte, path and statx buffer
// handed to them must come from [Ring.Alloc] (off-heap, mapped until the
// ring is closed): the kernel reads or writes it after the call returns.
// slot is returned as the completion's Slot. Each returns false when the
// submission queue is full: Submit, then try again.

// Link flags for a prep method's flags argument.
const (
	// Link makes the next SQE wait for this one, and cancels it
	// (-ECANCELED) if this one fails or comes up short.
	Link = sqeIOLink
	// HardLink orders like Link but runs the next SQE even on failure.
	HardLink = sqeHardLink
	// Fixed makes fd a slot of the ring's file table (RegisterFiles)
	// instead of a descriptor, for Read, Write and their Fixed forms.
	Fixed = sqeFixedFile
)

// Opcodes callers may ask [Ring.Supports] and [Supported] about.
const (
	OpRead    uint8 = opRead
	OpWrite   uint8 = opWrite
	OpSend    uint8 = opSend
	OpSendZC  uint8 = opSendZC
	OpSplice  uint8 = opSplice
	OpOpenat  uint8 = opOpenat
	OpStatx   uint8 = opStatx
	OpClose   uint8 = opClose
	OpReadFix uint8 = opReadFixed
)

func addr(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(&b[0])))
}

// Nop queues a no-op.
func (r *Ring) Nop(slot uint64, flags uint8) bool {
	e := r.next()
	if e == nil {
		return false
	}
	e.opcode, e.flags, e.fd, e.userData = opNop, flags, -1, slot
	return true
}

// rw queues a read or write of b at off (noOffset: the file position).
func (r *Ring) rw(op uint8, slot uint64, fd int, b []byte, off uint64, bufIndex int, flags uint8) bool {
	e := r.next()
	if e == nil {
		return false
	}
	e.opcode, e.flags, e.fd, e.userData = op, flags, int32(fd), slot
	e.addr, e.len, e.off = addr(b), uint32(len(b)), off
	if bufIndex >= 0 {
		e.bufIndex = uint16(bufIndex)
	}
	return true
}

// Read queues pread(fd, b, off); off < 0 reads at the file position.
func (r *Ring) Read(slot uint64, fd int, b []byte, off int64, flags uint8) bool {
	return r.rw(opRead, slot, fd, b, fileOff(off), -1, flags)
}

// Write queues pwrite(fd, b, off); off < 0 writes at the file position.
func (r *Ring) Write(slot uint64, fd int, b []byte, off int64, flags uint8) bool {
	return r.rw(opWrite, slot, fd, b, fileOff(off), -1, flags)
}

// ReadFixed is Read into registered buffer index buf (b lies inside it).
func (r *Ring) ReadFixed(slot uint64, fd int, b []byte, off int64, buf int, flags uint8) bool {
	return r.rw(opReadFixed, slot, fd, b, fileOff(off), buf, flags)
}

// WriteFixed is Write from registered buffer index buf.
func (r *Ring) WriteFixed(slot uint64, fd int, b []byte, off int64, buf int, flags uint8) bool {
	return r.rw(opWriteFixed, slot, fd, b, fileOff(off), buf, flags)
}

func fileOff(off int64) uint64 {
	if off < 0 {
		return noOffset
	}
	return uint64(off)
}

// Send queues send(fd, b, msgFlags) on a socket. With zeroCopy it is
// SEND_ZC: the completion carries F_MORE and a second, notification
// completion follows once the kernel no longer references b.
func (r *Ring) Send(slot uint64, fd int, b []byte, msgFlags uint32, zeroCopy bool, flags uint8) bool {
	e := r.next()
	if e == nil {
		return false
	}
	e.opcode, e.flags, e.fd, e.userData = opSend, flags, int32(fd), slot
	if zeroCopy {
		e.opcode = opSendZC
	}
	e.addr, e.len, e.opFlags = addr(b), uint32(len(b)), msgFlags
	return true
}

// Splice queues splice(in, offIn, out, offOut, n, spliceFlags); an offset
// < 0 means none (the descriptor's position, or a pipe).
func (r *Ring) Splice(slot uint64, in int, offIn int64, out int, offOut int64, n int, spliceFlags uint32, flags uint8) bool {
	e := r.next()
	if e == nil {
		return false
	}
	e.opcode, e.flags, e.fd, e.userData = opSplice, flags, int32(out), slot
	e.fileIndex = uint32(int32(in)) // splice_fd_in
	e.addr, e.off = fileOff(offIn), fileOff(offOut)
	e.len, e.opFlags = uint32(n), spliceFlags
	return true
}

// Openat queues openat(dirfd, path, openFlags, mode); path is
// NUL-terminated, in ring memory. The completion's Res is the descriptor.
func (r *Ring) Openat(slot uint64, dirfd int, path []byte, openFlags int, mode uint32, flags uint8) bool {
	e := r.next()
	if e == nil {
		return false
	}
	e.opcode, e.flags, e.fd, e.userData = opOpenat, flags, int32(dirfd), slot
	e.addr, e.len, e.opFlags = addr(path), mode, uint32(openFlags)
	return true
}

// OpenatDirect is Openat into slot index of the ring's file table (see
// [Ring.RegisterFiles]) instead of the descriptor table: the completion's
// Res is 0 on success. O_CLOEXEC is dropped (the kernel refuses it for a
// slot, which no exec can inherit anyway).
func (r *Ring) OpenatDirect(slot uint64, dirfd int, path []byte, openFlags int, mode uint32, index int, flags uint8) bool {
	if !r.Openat(slot, dirfd, path, openFlags&^unix.O_CLOEXEC, mode, flags) {
		return false
	}
	r.last().fileIndex = uint32(index) + 1 // 0 means "not direct"
	return true
}

// CloseDirect queues the close of slot index of the ring's file table.
func (r *Ring) CloseDirect(slot uint64, index int, flags uint8) bool {
	e := r.next()
	if e == nil {
		return false
	}
	e.opcode, e.flags, e.fd, e.userData = opClose, flags, 0, slot
	e.fileIndex = uint32(index) + 1
	return true
}

// Statx queues statx(dirfd, path, statxFlags, mask, st); st must point
// into ring memory (see [StatxAt]).
func (r *Ring) Statx(slot uint64, dirfd int, path []byte, statxFlags int, mask uint32, st *unix.Statx_t, flags uint8) bool {
	e := r.next()
	if e == nil {
		return false
	}
	e.opcode, e.flags, e.fd, e.userData = opStatx, flags, int32(dirfd), slot
	e.addr, e.len, e.opFlags = addr(path), mask, uint32(statxFlags)
	e.off = uint64(uintptr(unsafe.Pointer(st)))
	return true
}

// CloseFD queues close(fd).
func (r *Ring) CloseFD(slot uint64, fd int, flags uint8) bool {
	e := r.next()
	if e == nil {
		return false
	}
	e.opcode, e.flags, e.fd, e.userData = opClose, flags, int32(fd), slot
	return true
}

// StatxAt returns the statx buffer at offset off of ring memory b, which
// must be 8-byte aligned and have room for one.
func StatxAt(b []byte, off int) *unix.Statx_t {
	return (*unix.Statx_t)(unsafe.Pointer(&b[off : off+int(unsafe.Sizeof(unix.Statx_t{}))][0]))
}
