package main

import (
	"errors"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fatalSignals are those whose default action ends GNU cp, which zcp
// catches to wind down first. SIGXFSZ (a write past RLIMIT_FSIZE) is
// ignored by the Go runtime unless caught, where cp dies of it.
var fatalSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGXFSZ}

// raisesSignal reports whether err may come with a signal already sent:
// EFBIG from a write past the file size limit comes with SIGXFSZ.
func raisesSignal(err error) bool { return errors.Is(err, syscall.EFBIG) }

// raise dies of sig with its default action. The Go runtime's own
// handler would ignore SIGXFSZ, so the disposition is set to SIG_DFL with
// rt_sigaction directly (an all-zero struct sigaction is SIG_DFL, no
// flags, empty mask, on every architecture).
func raise(sig os.Signal) {
	n := sig.(syscall.Signal)
	var act [8]uint64
	_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(n), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	if errno == 0 {
		// To this thread, which the runtime leaves unblocked: the kernel
		// acts on it on the way out of tgkill(2). A signal to the
		// process could go to another thread while this one exits.
		runtime.LockOSThread()
		unix.Tgkill(os.Getpid(), unix.Gettid(), n)
	}
	os.Exit(128 + int(n)) // the status a shell shows for a death by sig
}
