package uring

import (
	"testing"
	"unsafe"
)

// TestABILayout pins the kernel structs to the sizes and offsets of
// include/uapi/linux/io_uring.h, on every GOARCH the tests run on.
func TestABILayout(t *testing.T) {
	check := func(name string, got, want uintptr) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	var s sqe
	check("sizeof(io_uring_sqe)", unsafe.Sizeof(s), 64)
	check("sqe.opcode", unsafe.Offsetof(s.opcode), 0)
	check("sqe.flags", unsafe.Offsetof(s.flags), 1)
	check("sqe.ioprio", unsafe.Offsetof(s.ioprio), 2)
	check("sqe.fd", unsafe.Offsetof(s.fd), 4)
	check("sqe.off", unsafe.Offsetof(s.off), 8)
	check("sqe.addr", unsafe.Offsetof(s.addr), 16)
	check("sqe.len", unsafe.Offsetof(s.len), 24)
	check("sqe.rw_flags", unsafe.Offsetof(s.opFlags), 28)
	check("sqe.user_data", unsafe.Offsetof(s.userData), 32)
	check("sqe.buf_index", unsafe.Offsetof(s.bufIndex), 40)
	check("sqe.personality", unsafe.Offsetof(s.personality), 42)
	check("sqe.file_index", unsafe.Offsetof(s.fileIndex), 44)
	check("sqe.addr3", unsafe.Offsetof(s.addr3), 48)
	check("sqe.__pad2", unsafe.Offsetof(s.pad2), 56)

	var c cqe
	check("sizeof(io_uring_cqe)", unsafe.Sizeof(c), 16)
	check("cqe.res", unsafe.Offsetof(c.res), 8)
	check("cqe.flags", unsafe.Offsetof(c.flags), 12)

	var p params
	check("sizeof(io_uring_params)", unsafe.Sizeof(p), 120)
	check("params.features", unsafe.Offsetof(p.features), 20)
	check("params.wq_fd", unsafe.Offsetof(p.wqFd), 24)
	check("params.sq_off", unsafe.Offsetof(p.sqOff), 40)
	check("params.cq_off", unsafe.Offsetof(p.cqOff), 80)
	check("sizeof(io_sqring_offsets)", unsafe.Sizeof(p.sqOff), 40)
	check("sq_off.array", unsafe.Offsetof(p.sqOff.array), 24)
	check("sq_off.user_addr", unsafe.Offsetof(p.sqOff.userAddr), 32)
	check("cq_off.cqes", unsafe.Offsetof(p.cqOff.cqes), 20)
	check("cq_off.flags", unsafe.Offsetof(p.cqOff.flags), 24)
	check("cq_off.user_addr", unsafe.Offsetof(p.cqOff.userAddr), 32)

	check("sizeof(io_uring_probe)", unsafe.Sizeof(probeHdr{}), 16)
	check("sizeof(io_uring_probe_op)", unsafe.Sizeof(probeOp{}), 8)
	var ga geteventsArg
	check("sizeof(io_uring_getevents_arg)", unsafe.Sizeof(ga), 24)
	check("getevents_arg.ts", unsafe.Offsetof(ga.ts), 16)
	check("sizeof(__kernel_timespec)", unsafe.Sizeof(kernelTimespec{}), 16)
}
