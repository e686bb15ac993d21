package zcopy_test

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/testutil"
)

// kind is an endpoint kind of the pair matrix.
type kind int

const (
	kExt4  kind = iota // regular file in t.TempDir (ext4 here)
	kTmpfs             // regular file on /dev/shm
	kBlock             // loop device
	kPipe              // os.Pipe
	kFIFO              // syscall.Mkfifo
	kTCP               // TCP loopback connection
	kUnix              // Unix stream socketpair
	kProc              // /proc/version, source only
	kNull              // /dev/null, destination only
)

var kindNames = [...]string{"ext4", "tmpfs", "block", "pipe", "fifo", "tcp", "unix", "proc", "null"}

func (k kind) String() string { return kindNames[k] }

// seekable kinds have a file offset that a copy must advance like io.Copy.
func (k kind) seekable() bool { return k == kExt4 || k == kTmpfs || k == kBlock || k == kProc }

// pipeLike kinds are pipes for splice(2).
func (k kind) pipeLike() bool { return k == kPipe || k == kFIFO }

// ioDeadline bounds every blocking read or write on a pipe or socket of a
// fixture, so that a broken copy fails the test instead of hanging it.
const ioDeadline = 2 * time.Minute

// src is a source fixture.
type src struct {
	r io.Reader
	f *os.File // the seekable file, or nil
	// rest reads what the copy left unread (streams only; nil for files).
	rest func() digest
}

// dst is a destination fixture.
type dst struct {
	w io.Writer
	f *os.File // the seekable file, or nil
	// result ends the writing side and digests the first n bytes written
	// (a block device) or all of them (everything else; zero for /dev/null).
	result func(n int64) digest
}

// env holds the directories a pair test makes its files in.
type env struct {
	ext4, shm string
}

func newEnv(t *testing.T) *env {
	return &env{ext4: t.TempDir(), shm: testutil.ShmDir(t)}
}

func closeOnCleanup(t testing.TB, c io.Closer) {
	t.Cleanup(func() { c.Close() })
}

// newFile writes data to a new file in dir and opens it for reading at off.
func newSrcFile(t testing.TB, dir string, data []byte, off int64) *os.File {
	t.Helper()
	f, err := os.CreateTemp(dir, "src-")
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, f)
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	return f
}

// pipeSource starts a goroutine that writes data to w and closes it; the
// source is r. rest drains r. The goroutine ends when data is written or r
// is closed; cleanup waits for it.
func streamSource(t testing.TB, r io.ReadCloser, w io.WriteCloser, data []byte) *src {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer w.Close()
		w.Write(data)
	}()
	t.Cleanup(func() {
		r.Close()
		<-done
	})
	return &src{r: r, rest: func() digest {
		d, err := digestReader(r)
		if err != nil {
			t.Errorf("reading the rest of the source: %v", err)
		}
		return d
	}}
}

// streamSink starts a goroutine that reads r to EOF; result closes w (via
// closeWrite) and returns what was read.
func streamSink(t testing.TB, r io.ReadCloser, w io.Writer, closeWrite func() error) *dst {
	done := make(chan digest, 1)
	go func() {
		d, _ := digestReader(r) // ends at EOF, on a deadline, or when r is closed
		done <- d
	}()
	var once sync.Once
	var got digest
	finish := func() {
		once.Do(func() {
			closeWrite()
			got = <-done
			r.Close()
		})
	}
	t.Cleanup(finish)
	return &dst{w: w, result: func(int64) digest { finish(); return got }}
}

func setDeadline(t testing.TB, xs ...interface{ SetDeadline(time.Time) error }) {
	for _, x := range xs {
		if err := x.SetDeadline(time.Now().Add(ioDeadline)); err != nil {
			t.Fatal(err)
		}
	}
}

// osPipe returns a pipe closed at cleanup.
func osPipe(t testing.TB) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, r)
	closeOnCleanup(t, w)
	setDeadline(t, r, w)
	return r, w
}

// fifo makes a FIFO in dir and opens both ends (the read end first, non
// blocking, so that neither open waits for the other).
func fifo(t testing.TB, dir string) (r, w *os.File) {
	t.Helper()
	path := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, r)
	w, err = os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, w)
	setDeadline(t, r, w)
	return r, w
}

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t testing.TB) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.DialTCP("tcp", nil, ln.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, client)
	ln.SetDeadline(time.Now().Add(ioDeadline))
	server, err = ln.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, server)
	setDeadline(t, client, server)
	return client, server
}

// unixPair returns both ends of a Unix stream socketpair.
func unixPair(t testing.TB) (a, b *net.UnixConn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	conn := func(fd int) *net.UnixConn {
		f := os.NewFile(uintptr(fd), "socketpair")
		defer f.Close() // FileConn dups it
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		closeOnCleanup(t, c)
		return c.(*net.UnixConn)
	}
	a, b = conn(fds[0]), conn(fds[1])
	setDeadline(t, a, b)
	return a, b
}

// newSource builds a source of kind k holding data, positioned at off for
// seekable kinds. A block source's data is fixed by its device (see
// blockSource) and a proc source's by the kernel.
func (e *env) newSource(t testing.TB, k kind, data []byte, off int64) *src {
	t.Helper()
	switch k {
	case kExt4:
		f := newSrcFile(t, e.ext4, data, off)
		return &src{r: f, f: f}
	case kTmpfs:
		f := newSrcFile(t, e.shm, data, off)
		return &src{r: f, f: f}
	case kBlock:
		f, err := os.Open(blockSource(t, len(data)))
		if err != nil {
			t.Fatal(err)
		}
		closeOnCleanup(t, f)
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		return &src{r: f, f: f}
	case kProc:
		f, err := os.Open(procFile)
		if err != nil {
			t.Fatal(err)
		}
		closeOnCleanup(t, f)
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		return &src{r: f, f: f}
	case kPipe:
		r, w := osPipe(t)
		return streamSource(t, r, w, data)
	case kFIFO:
		r, w := fifo(t, t.TempDir())
		return streamSource(t, r, w, data)
	case kTCP:
		c, s := tcpPair(t)
		return streamSource(t, s, c, data)
	case kUnix:
		a, b := unixPair(t)
		return streamSource(t, b, a, data)
	}
	t.Fatalf("no source of kind %v", k)
	return nil
}

// newDest builds an empty destination of kind k.
func (e *env) newDest(t testing.TB, k kind) *dst {
	t.Helper()
	switch k {
	case kExt4, kTmpfs:
		dir := e.ext4
		if k == kTmpfs {
			dir = e.shm
		}
		f, err := os.CreateTemp(dir, "dst-")
		if err != nil {
			t.Fatal(err)
		}
		closeOnCleanup(t, f)
		return &dst{w: f, f: f, result: func(int64) digest {
			d, err := digestReader(io.NewSectionReader(f, 0, 1<<62))
			if err != nil {
				t.Fatal(err)
			}
			return d
		}}
	case kBlock:
		f, err := os.OpenFile(blockDest(t), os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		closeOnCleanup(t, f)
		return &dst{w: f, f: f, result: func(n int64) digest {
			d, err := digestReader(io.NewSectionReader(f, 0, n))
			if err != nil || d.n != n {
				t.Fatalf("reading the block device back: %d bytes, %v", d.n, err)
			}
			return d
		}}
	case kNull:
		f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		closeOnCleanup(t, f)
		return &dst{w: f, result: func(int64) digest { return digest{} }}
	case kPipe:
		r, w := osPipe(t)
		return streamSink(t, r, w, w.Close)
	case kFIFO:
		r, w := fifo(t, t.TempDir())
		return streamSink(t, r, w, w.Close)
	case kTCP:
		c, s := tcpPair(t)
		return streamSink(t, s, c, c.CloseWrite)
	case kUnix:
		a, b := unixPair(t)
		return streamSink(t, b, a, a.CloseWrite)
	}
	t.Fatalf("no destination of kind %v", k)
	return nil
}

// procFile is a /proc file that says size 0, has content, and does not
// change while the tests run.
const procFile = "/proc/version"

// blockSource returns a shared loop device of exactly size bytes holding
// blockData(size). size must be a multiple of 512.
func blockSource(t testing.TB, size int) string {
	t.Helper()
	if size%512 != 0 || size == 0 {
		t.Fatalf("block source size %d is not a positive multiple of 512", size)
	}
	return testutil.SharedBlockDevice(t, "src"+itoa(size), int64(size), blockData(size))
}

func blockData(size int) []byte { return testutil.Data(size, 0xb10c) }

// blockDestSize is the size of the destination loop devices: room for
// the largest matrix copy.
func blockDestSize() int64 {
	if testing.Short() {
		return 4 << 20
	}
	return 66 << 20
}

// blockDests hands out the destination loop devices, one test at a time
// per device.
var blockDests = struct {
	sync.Mutex
	pool chan string
}{}

// blockDest lends a destination loop device to t until t ends; a test that
// needs two (an oracle and a copy) takes them one after the other.
func blockDest(t testing.TB) string {
	t.Helper()
	pool := blockDestPool(t)
	dev := <-pool
	t.Cleanup(func() { pool <- dev })
	return dev
}

// blockDestPool makes the pool of destination devices once. The lock is
// released by a defer: SharedBlockDevice skips t (runtime.Goexit) where
// there is no root or no loop device, and the other tests must then skip
// too instead of waiting for the lock forever.
func blockDestPool(t testing.TB) chan string {
	t.Helper()
	blockDests.Lock()
	defer blockDests.Unlock()
	if blockDests.pool == nil {
		devs := make([]string, 0, 2)
		for i := range 2 {
			devs = append(devs, testutil.SharedBlockDevice(t, "dst"+itoa(i), blockDestSize(), nil))
		}
		blockDests.pool = make(chan string, len(devs))
		for _, d := range devs {
			blockDests.pool <- d
		}
	}
	return blockDests.pool
}

func itoa(n int) string { return strconv.Itoa(n) }

// digest stands for a run of bytes: the matrix compares megabytes per
// case, and keeping them all would make the race detector's shadow memory
// and the GC the slowest part of the run.
type digest struct {
	n   int64
	sum [sha256.Size]byte
}

func (d digest) String() string { return fmt.Sprintf("%d bytes (sha256 %x...)", d.n, d.sum[:6]) }

func digestOf(b []byte) digest {
	return digest{int64(len(b)), sha256.Sum256(b)}
}

var digestBufs = sync.Pool{New: func() any { return new([256 << 10]byte) }}

// digestReader digests r to EOF.
func digestReader(r io.Reader) (digest, error) {
	h := sha256.New()
	buf := digestBufs.Get().(*[256 << 10]byte)
	defer digestBufs.Put(buf)
	n, err := io.CopyBuffer(h, struct{ io.Reader }{r}, buf[:])
	d := digest{n: n}
	h.Sum(d.sum[:0])
	return d, err
}

// scope is a testing.TB whose cleanups run when close is called rather than
// when the test ends, so that one test can build, use and tear down several
// fixtures in turn (and give back a shared block device in between).
type scope struct {
	testing.TB
	fns []func()
}

func (s *scope) Cleanup(f func()) { s.fns = append(s.fns, f) }

func (s *scope) close() {
	for i := len(s.fns) - 1; i >= 0; i-- {
		s.fns[i]()
	}
	s.fns = nil
}

// seekCur is f's file offset.
func seekCur(t testing.TB, f *os.File) int64 {
	t.Helper()
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		t.Fatalf("seek %s: %v", f.Name(), err)
	}
	return off
}

// fsType names the filesystem holding path, as the report does.
func fsType(t testing.TB, path string) string {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		t.Fatal(err)
	}
	switch uint32(st.Type) { // int32 on 386
	case unix.EXT4_SUPER_MAGIC:
		return "ext4"
	case unix.TMPFS_MAGIC:
		return "tmpfs"
	case unix.BTRFS_SUPER_MAGIC:
		return "btrfs"
	case unix.XFS_SUPER_MAGIC:
		return "xfs"
	}
	return fmt.Sprintf("%#x", st.Type)
}

// allocatedBytes is the space f's blocks take on its filesystem.
func allocatedBytes(t testing.TB, f *os.File) int64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	return st.Blocks * 512
}
