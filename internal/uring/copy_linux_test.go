package uring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/testutil"
)

// configs are the engine variants every differential case runs through.
var configs = []struct {
	name string
	cfg  Config
}{
	{"default", Config{}},
	{"qd1-4k", Config{QueueDepth: 1, BlockSize: 4096}},
	{"qd4-8k", Config{QueueDepth: 4, BlockSize: 8192}},
	{"fixed", Config{Fixed: true, QueueDepth: 3, BlockSize: 64 << 10}},
	{"direct", Config{Direct: true, QueueDepth: 4, BlockSize: 64 << 10}},
	{"batch", Config{Batch: true, QueueDepth: 4, BlockSize: 16 << 10}},
}

// copySizes are the source sizes: empty, one byte, a page and its
// neighbours, a block and its neighbours, several blocks.
func copySizes() []int {
	s := []int{0, 1, 4095, 4096, 4097, 64<<10 - 1, 64 << 10, 64<<10 + 1, 512<<10 + 17, 3 << 20}
	if !testing.Short() {
		s = append(s, 16<<20+3)
	}
	return s
}

func writeFile(t testing.TB, dir string, data []byte) *os.File {
	t.Helper()
	f, err := os.CreateTemp(dir, "src")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// expected is what the generic path (io.Copy of a SectionReader/
// LimitedReader) gives for the same case.
func expected(data []byte, off, remain int64) []byte {
	var src io.Reader = io.NewSectionReader(bytes.NewReader(data), off, 1<<62)
	if remain >= 0 {
		src = io.LimitReader(src, remain)
	}
	var b bytes.Buffer
	io.Copy(&b, src)
	return b.Bytes()
}

// TestCopyMatrix checks that every engine variant writes exactly what the
// generic path writes, over sizes, source offsets, limits and destination
// offsets, on the disk filesystem and on tmpfs.
func TestCopyMatrix(t *testing.T) {
	needRing(t)
	dirs := map[string]string{"tmp": t.TempDir()}
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		d, err := os.MkdirTemp("/dev/shm", "uring")
		if err == nil {
			dirs["shm"] = d
			t.Cleanup(func() { os.RemoveAll(d) })
		}
	}
	for dname, dir := range dirs {
		for _, size := range copySizes() {
			data := testutil.Data(size, 9)
			src := writeFile(t, dir, data)
			for _, off := range []int64{0, 1, 4096} {
				for _, rel := range []int64{-1, -2, 0, 1} { // -1: to EOF; else size+rel-... see below
					remain := int64(-1)
					if rel != -1 {
						remain = max(int64(size)+rel-off, 0)
						if rel == -2 {
							remain = int64(size) / 2
						}
					}
					if size > 4<<20 && (off != 0 || rel != -1) {
						continue // the large size once per variant
					}
					for _, c := range configs {
						if c.cfg.BlockSize > 0 && c.cfg.BlockSize <= 8192 && size > 1<<20 {
							continue // thousands of tiny blocks add nothing
						}
						name := fmt.Sprintf("%s/%d/off%d/remain%d/%s", dname, size, off, remain, c.name)
						dst, err := os.Create(dir + "/dst")
						if err != nil {
							t.Fatal(err)
						}
						const dstOff = 3
						var st Stats
						var progress int64
						n, err := Copy(&CopyArgs{Src: int(src.Fd()), SrcOff: off, Size: int64(size), Dst: int(dst.Fd()), DstOff: dstOff,
							Remain: remain, Progress: func(d int64) { progress += d }}, c.cfg, &st)
						want := expected(data, off, remain)
						got, _ := os.ReadFile(dst.Name())
						dst.Close()
						if err != nil || n != int64(len(want)) || progress != n {
							t.Fatalf("%s: Copy = %d, %v (progress %d); want %d, nil", name, n, err, progress, len(want))
						}
						if len(want) == 0 && len(got) == 0 {
							continue
						}
						if len(got) < dstOff || !bytes.Equal(got[dstOff:], want) {
							t.Fatalf("%s: %s", name, testutil.FirstDiff(got[min(dstOff, len(got)):], want))
						}
						if c.cfg.Fixed && !st.Fixed {
							t.Errorf("%s: fixed buffers not used: %s", name, st.Note)
						}
						if c.cfg.Direct && dname == "tmp" && off%4096 == 0 && !st.Direct {
							t.Errorf("%s: O_DIRECT not used on the disk filesystem: %s", name, st.Note)
						}
					}
				}
			}
		}
	}
}

// TestCopyGrowsAndShrinks checks that Size is only a hint: a source larger
// than announced is copied to its end, a smaller one up to its end.
func TestCopyGrowsAndShrinks(t *testing.T) {
	needRing(t)
	data := testutil.Data(300<<10+5, 3)
	src := writeFile(t, t.TempDir(), data)
	for _, hint := range []int64{0, 1000, 100 << 10, 1 << 20, -1} {
		var b bytes.Buffer
		got := copyToBuffer(t, src, hint, &b, Config{QueueDepth: 4, BlockSize: 32 << 10})
		if !bytes.Equal(got, data) {
			t.Errorf("size hint %d: %s", hint, testutil.FirstDiff(got, data))
		}
	}
}

func copyToBuffer(t *testing.T, src *os.File, hint int64, _ *bytes.Buffer, cfg Config) []byte {
	t.Helper()
	dst, err := os.Create(t.TempDir() + "/dst")
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := Copy(&CopyArgs{Src: int(src.Fd()), Size: hint, Dst: int(dst.Fd()), Remain: -1}, cfg, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dst.Name())
	return got
}

// withHook installs a completion hook for one test.
func withHook(t *testing.T, fn func(Completion) int32) {
	old := testHookCQE
	testHookCQE = fn
	t.Cleanup(func() { testHookCQE = old })
}

// TestShortResults makes every other completion look short (half the bytes)
// or EAGAIN: the engine must re-queue the rest and still write exactly the
// source.
func TestShortResults(t *testing.T) {
	needRing(t)
	data := testutil.Data(1<<20+77, 4)
	src := writeFile(t, t.TempDir(), data)
	for _, mode := range []string{"short", "eagain"} {
		for _, c := range configs {
			var calls atomic.Int64
			withHook(t, func(comp Completion) int32 {
				if calls.Add(1)%2 == 0 || comp.Res <= 1 {
					return comp.Res
				}
				if mode == "eagain" {
					return -int32(unix.EAGAIN)
				}
				return comp.Res / 2
			})
			var st Stats
			dst, _ := os.Create(t.TempDir() + "/dst")
			n, err := Copy(&CopyArgs{Src: int(src.Fd()), Size: int64(len(data)), Dst: int(dst.Fd()), Remain: -1}, c.cfg, &st)
			dst.Close()
			got, _ := os.ReadFile(dst.Name())
			if err != nil || n != int64(len(data)) || !bytes.Equal(got, data) {
				t.Fatalf("%s/%s: Copy = %d, %v; %s", mode, c.name, n, err, testutil.FirstDiff(got, data))
			}
			if st.Requeued == 0 {
				t.Errorf("%s/%s: nothing re-queued", mode, c.name)
			}
		}
	}
}

// TestInjectedError fails one read or write with EIO: Copy returns it, the count
// is a prefix of the destination that matches the source, and the ring
// leaves nothing in flight.
func TestInjectedError(t *testing.T) {
	needRing(t)
	data := testutil.Data(2<<20, 5)
	src := writeFile(t, t.TempDir(), data)
	// The nth successful completion fails: the first read, the first
	// write, and later ones, under every variant.
	for _, nth := range []int64{1, 2, 5} {
		for _, c := range configs {
			var k atomic.Int64
			withHook(t, func(comp Completion) int32 {
				if comp.Res > 0 && k.Add(1) == nth {
					return -int32(unix.EIO)
				}
				return comp.Res
			})
			dst, _ := os.Create(t.TempDir() + "/dst")
			n, err := Copy(&CopyArgs{Src: int(src.Fd()), Size: int64(len(data)), Dst: int(dst.Fd()), Remain: -1}, c.cfg, nil)
			dst.Close()
			if !errors.Is(err, unix.EIO) {
				t.Fatalf("%s: Copy = %d, %v; want EIO", c.name, n, err)
			}
			got, _ := os.ReadFile(dst.Name())
			if n > int64(len(got)) || !bytes.Equal(got[:n], data[:n]) {
				t.Fatalf("%s: the reported prefix %d is not what the file holds", c.name, n)
			}
		}
	}
}

// TestGCStress runs copies while other goroutines allocate and collect:
// nothing the kernel touches lives on the Go heap, so nothing may move or
// be freed under it.
func TestGCStress(t *testing.T) {
	needRing(t)
	data := testutil.Data(4<<20+9, 6)
	src := writeFile(t, t.TempDir(), data)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var keep [][]byte
			for {
				select {
				case <-stop:
					return
				default:
				}
				keep = append(keep, make([]byte, 1<<20))
				if len(keep) > 16 {
					keep = nil
					runtime.GC()
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	rounds := 20
	if testing.Short() {
		rounds = 5
	}
	for i := range rounds {
		c := configs[i%len(configs)]
		got := copyToBuffer(t, src, int64(len(data)), nil, c.cfg)
		if !bytes.Equal(got, data) {
			t.Fatalf("round %d (%s): %s", i, c.name, testutil.FirstDiff(got, data))
		}
	}
}

// socketPair returns a connected Unix or TCP stream pair as *os.File
// sender (blocking mode as Go leaves it: non-blocking) and a net.Conn
// receiver.
func socketPair(t *testing.T, network string) (send *os.File, recv net.Conn) {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = t.TempDir() + "/s"
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		acc <- c
	}()
	c, err := net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-acc
	f, err := c.(interface{ File() (*os.File, error) }).File()
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	// File() returns a blocking descriptor; Go's own sockets are
	// non-blocking, which is what the engine must cope with.
	unix.SetNonblock(int(f.Fd()), true)
	t.Cleanup(func() { f.Close(); r.Close() })
	return f, r
}

// TestCopyToSocket sends a file into Unix and TCP stream sockets with
// SEND and SEND_ZC, in order, while the peer reads slowly at first.
func TestCopyToSocket(t *testing.T) {
	needRing(t)
	data := testutil.Data(3<<20+11, 7)
	src := writeFile(t, t.TempDir(), data)
	for _, network := range []string{"unix", "tcp"} {
		for _, zc := range []bool{false, true} {
			for _, c := range configs {
				if c.cfg.Batch && zc {
					continue
				}
				send, recv := socketPair(t, network)
				got := make(chan []byte, 1)
				go func() {
					time.Sleep(10 * time.Millisecond) // let the send buffer fill
					b, _ := io.ReadAll(recv)
					got <- b
				}()
				cfg := c.cfg
				cfg.ZeroCopy = zc
				if c.name == "qd4-8k" && zc {
					cfg = Config{Splice: true, BlockSize: 64 << 10} // the splice loop
				}
				var st Stats
				n, err := Copy(&CopyArgs{Src: int(src.Fd()), SrcOff: 5, Size: int64(len(data)), Dst: int(send.Fd()), DstOff: -1, Remain: -1}, cfg, &st)
				send.Close()
				b := <-got
				if err != nil || n != int64(len(data)-5) || !bytes.Equal(b, data[5:]) {
					t.Fatalf("%s zc=%v %s: Copy = %d, %v; %s", network, zc, c.name, n, err, testutil.FirstDiff(b, data[5:]))
				}
			}
		}
	}
}

// TestCancel stops a copy into a socket nobody reads: Copy must return
// the context's error promptly, with the ring drained.
func TestCancel(t *testing.T) {
	needRing(t)
	data := testutil.Data(32<<20, 8)
	src := writeFile(t, t.TempDir(), data)
	for _, cfg := range []Config{{}, {Splice: true}} {
		send, _ := socketPair(t, "unix")
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		start := time.Now()
		var st Stats
		n, err := Copy(&CopyArgs{Ctx: ctx, Src: int(src.Fd()), Size: int64(len(data)), Dst: int(send.Fd()), DstOff: -1, Remain: -1}, cfg, &st)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || n >= int64(len(data)) {
			t.Fatalf("%+v: Copy = %d, %v; want a short count and DeadlineExceeded", cfg, n, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%+v: cancel took %v", cfg, d)
		}
		t.Logf("%+v: %d bytes before the deadline, %s", cfg, n, &st)
	}
}

// TestRegisterFails forces ENOMEM from buffer registration (RLIMIT_MEMLOCK):
// the copy runs unregistered and says why.
func TestRegisterFails(t *testing.T) {
	needRing(t)
	old := registerBuffersFn
	registerBuffersFn = func(int, []iovec) error { return unix.ENOMEM }
	defer func() { registerBuffersFn = old }()
	data := testutil.Data(1<<20, 10)
	src := writeFile(t, t.TempDir(), data)
	dst, _ := os.Create(t.TempDir() + "/dst")
	defer dst.Close()
	var st Stats
	n, err := Copy(&CopyArgs{Src: int(src.Fd()), Size: int64(len(data)), Dst: int(dst.Fd()), Remain: -1}, Config{Fixed: true}, &st)
	got, _ := os.ReadFile(dst.Name())
	if err != nil || n != int64(len(data)) || !bytes.Equal(got, data) {
		t.Fatalf("Copy = %d, %v", n, err)
	}
	if st.Fixed || st.Note == "" {
		t.Errorf("Stats %+v: want unregistered with a note", st)
	}
	t.Log(st.String())
}

// TestAutoDirect evicts the source from the page cache (fadvise
// DONTNEED, no root needed) and checks that AutoDirect then reads with
// O_DIRECT, and does not once the file is cached again.
func TestAutoDirect(t *testing.T) {
	needRing(t)
	data := testutil.Data(8<<20, 11)
	src := writeFile(t, t.TempDir(), data)
	if err := src.Sync(); err != nil {
		t.Fatal(err)
	}
	for _, cold := range []bool{true, false} {
		if cold {
			unix.Fadvise(int(src.Fd()), 0, 0, unix.FADV_DONTNEED)
		} else {
			os.ReadFile(src.Name())
		}
		var st Stats
		dst, _ := os.Create(t.TempDir() + "/dst")
		n, err := Copy(&CopyArgs{Src: int(src.Fd()), Size: int64(len(data)), Dst: int(dst.Fd()), Remain: -1}, Config{AutoDirect: true}, &st)
		dst.Close()
		got, _ := os.ReadFile(dst.Name())
		if err != nil || n != int64(len(data)) || !bytes.Equal(got, data) {
			t.Fatalf("cold=%v: Copy = %d, %v", cold, n, err)
		}
		if st.Direct != cold {
			if fs := fsMagic(src); cold && fs == unix.TMPFS_MAGIC {
				t.Skip("tmpfs: pages cannot be evicted")
			}
			t.Errorf("cold=%v: O_DIRECT used = %v (%s)", cold, st.Direct, &st)
		}
	}
}

func fsMagic(f *os.File) int64 {
	var st unix.Statfs_t
	unix.Fstatfs(int(f.Fd()), &st)
	return int64(st.Type)
}
