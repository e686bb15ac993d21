package uring

import (
	"errors"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// needRing skips t with the reason io_uring cannot be used here.
func needRing(t testing.TB) {
	t.Helper()
	if err := Available(); err != nil {
		t.Skip(err)
	}
}

func TestRingNop(t *testing.T) {
	needRing(t)
	r, err := NewRing(8)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Entries() != 8 {
		t.Errorf("Entries = %d, want 8", r.Entries())
	}
	seen := map[uint64]bool{}
	for round := 0; round < 5; round++ {
		for i := uint64(0); i < 8; i++ {
			if !r.Nop(i, 0) {
				t.Fatalf("round %d: SQ full at %d", round, i)
			}
		}
		if r.Nop(99, 0) {
			t.Fatal("a ninth SQE fit in an 8-entry queue")
		}
		if n, err := r.Submit(8, 0); err != nil || n != 8 {
			t.Fatalf("Submit = %d, %v; want 8", n, err)
		}
		clear(seen)
		r.Reap(func(c Completion) {
			if c.Res != 0 {
				t.Errorf("nop %d: res %d", c.Slot, c.Res)
			}
			seen[c.Slot] = true
		})
		if len(seen) != 8 || r.Inflight() != 0 {
			t.Fatalf("round %d: %d completions, %d in flight", round, len(seen), r.Inflight())
		}
	}
}

// TestProbe checks the feature probe against this kernel: everything the
// engines use exists since 5.6 (SEND_ZC since 6.0), so on a 6.x kernel a
// missing one is a broken probe, not an old kernel.
func TestProbe(t *testing.T) {
	needRing(t)
	var uts unix.Utsname
	unix.Uname(&uts)
	var major int
	for _, c := range uts.Release {
		if c < '0' || c > '9' {
			break
		}
		major = major*10 + int(c-'0')
	}
	if major < 6 {
		t.Skipf("kernel %s: the probe's expectations are for 6.x", unix.ByteSliceToString(uts.Release[:]))
	}
	for _, op := range []uint8{opNop, opRead, opWrite, opReadFixed, opWriteFixed, opOpenat, opClose, opStatx, opSend, opSplice, opSendZC, opAsyncCancel} {
		if !Supported(op) {
			t.Errorf("opcode %d not reported by IORING_REGISTER_PROBE", op)
		}
	}
	if Supported(200) {
		t.Error("opcode 200 reported as supported")
	}
	// SINGLE_ISSUER|DEFER_TASKRUN exist since 6.1.
	r, err := NewRing(2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.SingleIssuer() {
		t.Errorf("ring set up without SINGLE_ISSUER|DEFER_TASKRUN (flags %#x)", r.flags)
	}
}

func TestRingReadWrite(t *testing.T) {
	needRing(t)
	r, err := NewRing(4)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	mem, err := r.Alloc(8192)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(t.TempDir() + "/f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	copy(mem, "hello, ring")
	fd := int(f.Fd())
	r.Write(1, fd, mem[:11], 100, Link)
	r.Read(2, fd, mem[4096:4096+11], 100, 0)
	if _, err := r.Submit(2, 0); err != nil {
		t.Fatal(err)
	}
	got := map[uint64]int32{}
	r.Reap(func(c Completion) { got[c.Slot] = c.Res })
	if got[1] != 11 || got[2] != 11 || string(mem[4096:4096+11]) != "hello, ring" {
		t.Fatalf("results %v, read %q", got, mem[4096:4096+11])
	}
	// A failing op reports -errno, and cancels what is linked to it.
	r.Read(3, -1, mem[:1], 0, Link)
	r.Nop(4, 0)
	r.Submit(2, 0)
	got = map[uint64]int32{}
	r.Reap(func(c Completion) { got[c.Slot] = c.Res })
	if got[3] != -int32(unix.EBADF) || got[4] != -int32(unix.ECANCELED) {
		t.Fatalf("bad fd + linked nop: %v, want EBADF then ECANCELED", got)
	}
	if err := (Completion{Res: -int32(unix.EBADF)}).Err(); !errors.Is(err, unix.EBADF) {
		t.Errorf("Completion.Err = %v", err)
	}
}

// TestCloseInFlight closes a ring while reads wait on an empty pipe: Close
// must cancel them and wait for their completions before unmapping the
// memory they target, and leave no descriptor behind (TestMain checks).
func TestCloseInFlight(t *testing.T) {
	needRing(t)
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	r, err := NewRing(8)
	if err != nil {
		t.Fatal(err)
	}
	mem, err := r.Alloc(4096)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		r.Read(uint64(i), p[0], mem[i*1024:(i+1)*1024], -1, 0)
	}
	if n, err := r.Submit(0, 0); err != nil || n != 4 {
		t.Fatalf("Submit = %d, %v", n, err)
	}
	if r.Inflight() != 4 {
		t.Fatalf("%d in flight, want 4", r.Inflight())
	}
	start := time.Now()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if r.Inflight() != 0 {
		t.Errorf("%d still in flight after Close", r.Inflight())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v", d)
	}
	if _, err := r.Submit(0, 0); err == nil {
		t.Error("Submit on a closed ring succeeded")
	}
}

// TestUnavailable forces each way io_uring can be missing and checks that
// Available says why, that the error matches ErrUnavailable and the errno,
// and that Copy moves nothing and says the same.
func TestUnavailable(t *testing.T) {
	for _, errno := range []unix.Errno{unix.ENOSYS, unix.EPERM, unix.ENOMEM, unix.EINVAL} {
		t.Run(unix.ErrnoName(errno), func(t *testing.T) {
			old := setupRing
			setupRing = func(uint32, *params) (int, error) { return -1, errno }
			resetAvailability()
			defer func() { setupRing = old; resetAvailability() }()
			err := Available()
			if !errors.Is(err, ErrUnavailable) || !errors.Is(err, errno) {
				t.Fatalf("Available() = %v, want ErrUnavailable and %v", err, errno)
			}
			t.Log(err)
			n, err := Copy(&CopyArgs{Src: 0, Dst: 1, Remain: 10, Size: 10}, Config{}, nil)
			if n != 0 || !errors.Is(err, ErrUnavailable) {
				t.Fatalf("Copy = %d, %v; want 0, ErrUnavailable", n, err)
			}
		})
	}
}

// TestWrongThread submits from a thread that did not create the ring: a
// SINGLE_ISSUER ring refuses with EEXIST, which must reach the caller.
func TestWrongThread(t *testing.T) {
	needRing(t)
	r, err := NewRing(4)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.SingleIssuer() {
		t.Skip("not a SINGLE_ISSUER ring")
	}
	done := make(chan error)
	go func() {
		runtime.LockOSThread() // another thread for sure: r's owner is locked
		defer runtime.UnlockOSThread()
		r.Nop(1, 0)
		_, err := r.Submit(1, 0)
		done <- err
	}()
	if err := <-done; !errors.Is(err, unix.EEXIST) {
		t.Fatalf("Submit from another thread: %v, want EEXIST", err)
	}
}
