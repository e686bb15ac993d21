package zcopy_test

// Cases where zcopy once broke io.Copy's contract, each run through io.Copy
// (the oracle) and zcopy on identical fixtures: same bytes, same n, same
// error class, same offsets.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/internal/testutil"
)

// copiers are the contenders of an oracle test: io.Copy first.
var copiers = []struct {
	name string
	fn   func(dst io.Writer, src io.Reader) (int64, error)
}{
	{"io.Copy", io.Copy},
	{"zcopy", zcopy.Copy},
	{"zcopy-strict", func(dst io.Writer, src io.Reader) (int64, error) {
		return zcopy.CopyContext(context.Background(), dst, src, zcopy.Strict())
	}},
	{"zcopy-ctx", func(dst io.Writer, src io.Reader) (int64, error) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		return zcopy.CopyContext(ctx, dst, src, zcopy.WithProgress(func(int64) {}))
	}},
}

// outcomeOf is what a user observes of one copy.
type observed struct {
	n      int64
	errno  string // errno name under err, "" for nil, or the error text
	out    digest // the destination's bytes
	srcOff int64  // the source's offset afterwards (-1: not a file)
}

func (o observed) String() string {
	return fmt.Sprintf("n=%d err=%s out=%v srcOff=%d", o.n, o.errno, o.out, o.srcOff)
}

// errClass names err by the errno or sentinel underneath it.
func errClass(err error) string {
	var errno syscall.Errno
	switch {
	case err == nil:
		return ""
	case errors.As(err, &errno):
		return unix.ErrnoName(errno)
	case errors.Is(err, os.ErrClosed):
		return "ErrClosed"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "ErrDeadlineExceeded"
	}
	return err.Error()
}

// fileOffset is f's offset, or -1.
func fileOffset(f *os.File) int64 {
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return -1
	}
	return off
}

// oracle runs setup for each copier and compares what zcopy's copies
// observe with io.Copy's. setup returns the endpoints and a function that
// reads the outcome after the copy.
func oracle(t *testing.T, setup func(t *testing.T) (dst io.Writer, src io.Reader, result func() (digest, int64))) {
	t.Helper()
	oracleFixed(t, nil, setup)
}

// oracleFixed is oracle where io.Copy has a known bug: fix corrects what
// io.Copy observed into what it should have.
func oracleFixed(t *testing.T, fix func(*observed), setup func(t *testing.T) (dst io.Writer, src io.Reader, result func() (digest, int64))) {
	t.Helper()
	var want observed
	for i, c := range copiers {
		var got observed
		t.Run(c.name, func(t *testing.T) {
			dst, src, result := setup(t)
			n, err := c.fn(dst, src)
			got.n, got.errno = n, errClass(err)
			got.out, got.srcOff = result()
			if i == 0 {
				want = got
				t.Logf("io.Copy: %v (%v)", got, err)
				if fix != nil {
					fix(&want)
				}
				return
			}
			if got != want {
				t.Errorf("%v (%v)\nio.Copy: %v", got, err, want)
			}
		})
	}
}

// fileResult digests dst's file and reads src's offset.
func fileResult(t *testing.T, dst, src *os.File) func() (digest, int64) {
	return func() (digest, int64) {
		b, err := os.ReadFile(dst.Name())
		if err != nil {
			b, err = io.ReadAll(io.NewSectionReader(dst, 0, 1<<40))
		}
		if err != nil {
			t.Fatal(err)
		}
		return digestOf(b), fileOffset(src)
	}
}

// TestRefusedAfterProgress pins that a method refusing to go on after it
// moved bytes never ends the copy as if at EOF: the rest is copied by
// another method and the real error comes back.
func TestRefusedAfterProgress(t *testing.T) {
	t.Run("sealed-memfd", func(t *testing.T) {
		for _, dir := range []string{"ext4", "shm"} {
			t.Run(dir, func(t *testing.T) {
				e := newEnv(t)
				data := testutil.Data(1<<20+64<<10, 61)
				oracle(t, func(t *testing.T) (io.Writer, io.Reader, func() (digest, int64)) {
					src := newSrcFile(t, map[string]string{"ext4": e.ext4, "shm": e.shm}[dir], data, 0)
					dst := memfd(t, 1<<20, unix.F_SEAL_GROW)
					return dst, src, fileResult(t, dst, src)
				})
			})
		}
	})
	t.Run("o-direct", func(t *testing.T) {
		dir := t.TempDir()
		probe := filepath.Join(dir, "probe")
		os.WriteFile(probe, nil, 0o600)
		if f, err := os.OpenFile(probe, os.O_RDONLY|syscall.O_DIRECT, 0); err != nil {
			t.Skipf("O_DIRECT on %s: %v", fsType(t, dir), err)
		} else {
			f.Close()
		}
		for _, size := range []int{1<<20 + 10000, 3<<20 + 100, 8<<20 + 1, 4<<20 + 4096} {
			t.Run(itoa(size), func(t *testing.T) {
				data := testutil.Data(size, 62)
				// io.Copy delivers every byte but counts only those
				// of its read/write fallback after copy_file_range
				// refused the unaligned tail (Go 1.26).
				everyByte := func(o *observed) { o.n = o.out.n }
				oracleFixed(t, everyByte, func(t *testing.T) (io.Writer, io.Reader, func() (digest, int64)) {
					name := newSrcFile(t, dir, data, 0).Name()
					src, err := os.OpenFile(name, os.O_RDONLY|syscall.O_DIRECT, 0)
					if err != nil {
						t.Fatal(err)
					}
					closeOnCleanup(t, src)
					dst := emptyFile(t, dir)
					return dst, src, fileResult(t, dst, src)
				})
			})
		}
	})
	t.Run("rlimit-fsize", func(t *testing.T) {
		// RLIMIT_FSIZE is per process: the copies run in a child.
		var results []string
		for _, c := range copiers {
			out, err := helperOutput(t, "fsize", c.name, nil)
			if err != nil {
				t.Fatalf("%s: %v\n%s", c.name, err, out)
			}
			results = append(results, c.name+": "+out)
		}
		t.Logf("%s", results[0])
		want := strings.TrimPrefix(results[0], "io.Copy: ")
		if !strings.Contains(want, "EFBIG") {
			t.Fatalf("io.Copy under RLIMIT_FSIZE: %s, want EFBIG", want)
		}
		for _, r := range results[1:] {
			if _, got, _ := strings.Cut(r, ": "); got != want {
				t.Errorf("%s\nio.Copy: %s", r, want)
			}
		}
	})
}

// memfd returns a memfd of size bytes with the given seals added.
func memfd(t *testing.T, size int64, seals int) *os.File {
	t.Helper()
	fd, err := unix.MemfdCreate("zcopy-test", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		t.Skipf("memfd_create: %v", err)
	}
	f := os.NewFile(uintptr(fd), "memfd:zcopy-test")
	closeOnCleanup(t, f)
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		t.Fatal(err)
	}
	return f
}

// helperOutput runs this test binary as a helper process doing job with
// copier, and returns what it printed.
func helperOutput(t *testing.T, job, copier string, configure func(*exec.Cmd)) (string, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "ZCOPY_HELPER="+job, "ZCOPY_COPIER="+copier, "ZCOPY_DIR="+t.TempDir())
	if configure != nil {
		configure(cmd)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

// TestHelperProcess is not a test: helperOutput runs the binary with it to
// do one copy in a fresh process.
func TestHelperProcess(t *testing.T) {
	job := os.Getenv("ZCOPY_HELPER")
	if job == "" {
		t.Skip("helper process only")
	}
	var copy func(io.Writer, io.Reader) (int64, error)
	for _, c := range copiers {
		if c.name == os.Getenv("ZCOPY_COPIER") {
			copy = c.fn
		}
	}
	dir := os.Getenv("ZCOPY_DIR")
	switch job {
	case "fsize":
		data := testutil.Data(1<<20+64<<10, 63)
		src := newSrcFile(t, dir, data, 0)
		dst := emptyFile(t, dir)
		lim := unix.Rlimit{Cur: 1 << 20, Max: 1 << 20}
		if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &lim); err != nil {
			fmt.Printf("setrlimit: %v\n", err)
			os.Exit(2)
		}
		n, err := copy(dst, src)
		out, _ := fileResult(t, dst, src)()
		fmt.Println(observed{n, errClass(err), out, fileOffset(src)})
	case "stdout":
		// cat big | prog | head -c1: the copy to a closed stdout pipe
		// must die of SIGPIPE as io.Copy does.
		var src io.Reader = os.Stdin
		if os.Getenv("ZCOPY_SOURCE") == "file" {
			src = newSrcFile(t, dir, testutil.Data(8<<20, 64), 0)
		}
		n, err := copy(os.Stdout, src)
		fmt.Fprintf(os.Stderr, "returned (%d, %v)\n", n, err)
		os.Exit(3)
	}
	os.Exit(0)
}

// TestSIGPIPE pins that a copy to a stdout whose reader went away kills the
// program with SIGPIPE, as os.File.Write on descriptors 1 and 2 does.
func TestSIGPIPE(t *testing.T) {
	for _, source := range []string{"file", "pipe"} {
		for _, c := range copiers {
			t.Run(source+"/"+c.name, func(t *testing.T) {
				r, w := osPipe(t)
				var stdin *os.File
				if source == "pipe" {
					sr, sw := osPipe(t)
					stdin = sr
					go func() {
						defer sw.Close()
						for i := 0; i < 64; i++ {
							if _, err := sw.Write(testutil.Data(1<<20, 65)); err != nil {
								return
							}
						}
					}()
				}
				var stderr bytes.Buffer
				cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
				cmd.Env = append(os.Environ(), "ZCOPY_HELPER=stdout", "ZCOPY_COPIER="+c.name, "ZCOPY_DIR="+t.TempDir(), "ZCOPY_SOURCE="+source)
				cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, w, &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				w.Close()
				if stdin != nil {
					stdin.Close()
				}
				one := make([]byte, 1)
				if _, err := io.ReadFull(r, one); err != nil {
					t.Fatal(err)
				}
				r.Close()
				err := cmd.Wait()
				var ee *exec.ExitError
				if !errors.As(err, &ee) {
					t.Fatalf("exit: %v, want SIGPIPE; stderr: %s", err, &stderr)
				}
				ws := ee.Sys().(syscall.WaitStatus)
				if !ws.Signaled() || ws.Signal() != syscall.SIGPIPE || stderr.Len() != 0 {
					t.Errorf("exit status %v, stderr %q; want death by SIGPIPE and nothing on stderr", ws, stderr.String())
				}
			})
		}
	}
}

// countingConn is a user type that embeds a TCP conn and counts what its
// own Read returns: zcopy must call it, as io.Copy does.
type countingConn struct {
	*net.TCPConn
	n int64
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.TCPConn.Read(b)
	c.n += int64(n)
	return n, err
}

// rot13File transforms what its embedded file reads.
type rot13File struct{ *os.File }

func (f rot13File) Read(b []byte) (int, error) {
	n, err := f.File.Read(b)
	for i := range b[:n] {
		if c := b[i] | 0x20; c >= 'a' && c <= 'z' {
			b[i] = (b[i]-'A'-(b[i]&0x20)+13)%26 + 'A' + b[i]&0x20
		}
	}
	return n, err
}

// upperConn transforms what it writes to its embedded Unix conn.
type upperConn struct{ *net.UnixConn }

func (c upperConn) Write(b []byte) (int, error) {
	return c.UnixConn.Write(bytes.ToUpper(b))
}

// TestOwnMethods pins that a user type's own Read and Write are used even
// when it embeds a type with a descriptor (and so has SyscallConn).
func TestOwnMethods(t *testing.T) {
	text := bytes.Repeat([]byte("The quick brown fox jumps over the lazy dog. "), 3000)
	e := newEnv(t)
	// Whether the wrapper's Read runs is io.Copy's business: it calls
	// the promoted TCPConn.WriteTo (0 counted), and os.File.ReadFrom
	// splices from a LimitedReader's conn (0 counted), but a bufio.Reader
	// or a plain io.Writer destination reads through the wrapper.
	for name, wrap := range map[string]func(*countingConn) io.Reader{
		"plain":   func(c *countingConn) io.Reader { return c },
		"limited": func(c *countingConn) io.Reader { return io.LimitReader(c, 1<<30) },
		"bufio":   func(c *countingConn) io.Reader { return bufio.NewReader(c) },
	} {
		for _, dstKind := range []string{"file", "buffer"} {
			t.Run("counting-tcp-source/"+name+"/"+dstKind, func(t *testing.T) {
				var want int64 = -1
				for _, c := range copiers {
					t.Run(c.name, func(t *testing.T) {
						client, server := tcpPair(t)
						go func() { client.Write(text); client.Close() }()
						cc := &countingConn{TCPConn: server}
						var dst io.Writer = emptyFile(t, e.ext4)
						if dstKind == "buffer" {
							dst = new(bytes.Buffer)
						}
						n, err := c.fn(dst, wrap(cc))
						if want < 0 {
							want = cc.n
						}
						if err != nil || n != int64(len(text)) || cc.n != want {
							t.Errorf("(%d, %v), the conn's own Read counted %d; io.Copy's %d", n, err, cc.n, want)
						}
					})
				}
			})
		}
	}
	t.Run("rot13-file-source", func(t *testing.T) {
		oracle(t, func(t *testing.T) (io.Writer, io.Reader, func() (digest, int64)) {
			src := newSrcFile(t, e.ext4, text, 0)
			dst := emptyFile(t, e.ext4)
			return dst, rot13File{src}, fileResult(t, dst, src)
		})
	})
	t.Run("upper-unix-destination", func(t *testing.T) {
		oracle(t, func(t *testing.T) (io.Writer, io.Reader, func() (digest, int64)) {
			a, b := unixPair(t)
			d := streamSink(t, b, a, a.CloseWrite)
			src := newSrcFile(t, e.ext4, text, 0)
			return upperConn{a}, src, func() (digest, int64) { return d.result(0), fileOffset(src) }
		})
	})
	t.Run("opt-in", func(t *testing.T) {
		src := newSrcFile(t, e.ext4, text, 0)
		dst := emptyFile(t, e.ext4)
		var rep zcopy.Report
		n, err := zcopy.CopyContext(context.Background(), optInFile{dst}, src, zcopy.WithReport(&rep))
		if err != nil || n != int64(len(text)) || !bytes.Equal(contents(t, dst), text) {
			t.Fatalf("(%d, %v)", n, err)
		}
		if rep.Method == zcopy.Generic || rep.Method == zcopy.ReadWrite {
			t.Errorf("a type implementing zcopy.Descriptor took %v; report: %s", rep.Method, &rep)
		}
	})
}

// optInFile hides *os.File's type but promises plain descriptor I/O.
type optInFile struct{ *os.File }

func (f optInFile) CopyConn() (syscall.RawConn, error) { return f.File.SyscallConn() }

var _ zcopy.Descriptor = optInFile{}

// TestMessageDestinations pins that datagram and seqpacket destinations
// receive the messages io.Copy sends: message boundaries are visible.
func TestMessageDestinations(t *testing.T) {
	data := testutil.Data(100<<10+7, 66)
	e := newEnv(t)
	for _, network := range []string{"udp", "unixgram", "unixpacket"} {
		t.Run(network, func(t *testing.T) {
			var want []int
			for i, c := range copiers {
				t.Run(c.name, func(t *testing.T) {
					send, recv := messagePair(t, network)
					src := newSrcFile(t, e.ext4, data, 0)
					got := make(chan []int, 1)
					go func() {
						var sizes []int
						buf := make([]byte, 1<<20)
						var total int
						for total < len(data) {
							n, err := recv.Read(buf)
							if err != nil {
								break
							}
							sizes = append(sizes, n)
							total += n
						}
						got <- sizes
					}()
					n, err := c.fn(send, src)
					if err != nil || n != int64(len(data)) {
						t.Fatalf("(%d, %v)", n, err)
					}
					sizes := <-got
					if i == 0 {
						want = sizes
						return
					}
					if fmt.Sprint(sizes) != fmt.Sprint(want) {
						t.Errorf("messages %v, io.Copy's %v", sizes, want)
					}
				})
			}
		})
	}
}

// messagePair returns a connected sender and receiver of network.
func messagePair(t *testing.T, network string) (send, recv net.Conn) {
	t.Helper()
	switch network {
	case "udp":
		r, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		r.SetReadBuffer(4 << 20)
		s, err := net.DialUDP("udp", nil, r.LocalAddr().(*net.UDPAddr))
		if err != nil {
			t.Fatal(err)
		}
		send, recv = s, r
	default:
		typ := unix.SOCK_DGRAM
		if network == "unixpacket" {
			typ = unix.SOCK_SEQPACKET
		}
		fds, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i, fd := range fds {
			unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
			unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
			f := os.NewFile(uintptr(fd), network)
			c, err := net.FileConn(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				send = c
			} else {
				recv = c
			}
		}
	}
	closeOnCleanup(t, send)
	closeOnCleanup(t, recv)
	send.SetDeadline(time.Now().Add(ioDeadline))
	recv.SetDeadline(time.Now().Add(ioDeadline))
	return send, recv
}

// TestErrorsNameTheSide pins error shapes: a closed descriptor is
// os.ErrClosed, and an error names the side that failed.
func TestErrorsNameTheSide(t *testing.T) {
	e := newEnv(t)
	t.Run("pipe-closed-mid-copy", func(t *testing.T) {
		for _, c := range copiers {
			t.Run(c.name, func(t *testing.T) {
				r, w := osPipe(t)
				w.Write([]byte("first bytes"))
				dst := emptyFile(t, e.ext4)
				time.AfterFunc(50*time.Millisecond, func() { r.Close() })
				_, err := c.fn(dst, r)
				var pe *fs.PathError
				if !errors.Is(err, os.ErrClosed) || !errors.As(err, &pe) || pe.Op != "read" || pe.Path != r.Name() {
					t.Errorf("err = %#v (%v), want a *fs.PathError read %s wrapping os.ErrClosed", err, err, r.Name())
				}
			})
		}
	})
	t.Run("enospc-behind-bufio", func(t *testing.T) {
		data := testutil.Data(2<<20, 67)
		for _, c := range copiers {
			t.Run(c.name, func(t *testing.T) {
				dst := emptyFile(t, testutil.TmpfsDir(t, "1m"))
				_, err := c.fn(bufio.NewWriter(dst), newSrcFile(t, e.ext4, data, 0))
				var pe *fs.PathError
				if !errors.Is(err, syscall.ENOSPC) || !errors.As(err, &pe) || pe.Op != "write" || pe.Path != dst.Name() {
					t.Errorf("err = %v, want write %s: ... ENOSPC", err, dst.Name())
				}
			})
		}
	})
	t.Run("pty-hangup", func(t *testing.T) {
		for _, c := range copiers {
			t.Run(c.name, func(t *testing.T) {
				master, slave := pty(t)
				slave.Write([]byte("from the terminal\n"))
				slave.Close()
				dst := streamSinkPipe(t)
				_, err := c.fn(dst, master)
				var pe *fs.PathError
				if !errors.Is(err, syscall.EIO) || !errors.As(err, &pe) || pe.Op != "read" || pe.Path != master.Name() {
					t.Errorf("err = %v, want read %s: ... EIO", err, master.Name())
				}
			})
		}
	})
}

// streamSinkPipe returns the write end of a pipe whose read end is drained.
func streamSinkPipe(t *testing.T) *os.File {
	r, w := osPipe(t)
	go io.Copy(io.Discard, r)
	return w
}

// pty opens a pseudo-terminal pair in raw mode.
func pty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	closeOnCleanup(t, m)
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetUint32(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open slave: %v", err)
	}
	closeOnCleanup(t, s)
	tio, err := unix.IoctlGetTermios(int(s.Fd()), unix.TCGETS)
	if err == nil {
		tio.Lflag &^= unix.ECHO | unix.ICANON
		tio.Oflag &^= unix.OPOST
		unix.IoctlSetTermios(int(s.Fd()), unix.TCSETS, tio)
	}
	return m, s
}

// TestCopyContextBufioConn pins that a bufio.Writer over a conn keeps
// progress and cancellation, and that a cancelled copy leaves the caller's
// own deadline working.
func TestCopyContextBufioConn(t *testing.T) {
	e := newEnv(t)
	data := testutil.Data(32<<20, 68)
	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) {
			var w net.Conn
			if network == "unix" {
				w, _ = unixPair(t)
			} else {
				w, _ = tcpPair(t)
			}
			// Nobody reads the peer: the copy fills the socket buffer
			// and blocks until cancelled.
			ctx, cancel := context.WithCancel(context.Background())
			var progressed atomic.Int64
			done := make(chan error, 1)
			go func() {
				_, err := zcopy.CopyContext(ctx, bufio.NewWriter(w), newSrcFile(t, e.ext4, data, 0),
					zcopy.WithProgress(func(n int64) { progressed.Store(n) }))
				done <- err
			}()
			// Cancel once progress shows the copy under way (the
			// socket buffer then fills and the copy waits).
			for i := 0; i < 1000 && progressed.Load() == 0; i++ {
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(50 * time.Millisecond)
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("err = %v, want context.Canceled", err)
				}
			case <-time.After(10 * time.Second):
				w.Close()
				t.Fatal("CopyContext ignored the cancellation")
			}
			if progressed.Load() == 0 {
				t.Error("no progress reported")
			}
		})
	}
	t.Run("callers-write-deadline-strict", func(t *testing.T) {
		// Strict mode copies file -> conn with read/write: cancelling
		// it must not clear the conn's write deadline either.
		a, _ := unixPair(t)
		deadline := time.Now().Add(time.Second)
		a.SetWriteDeadline(deadline)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := zcopy.CopyContext(ctx, a, newSrcFile(t, e.ext4, data, 0), zcopy.Strict())
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want context.DeadlineExceeded", err)
		}
		wrote := make(chan error, 1)
		go func() {
			_, err := a.Write(make([]byte, 8<<20))
			wrote <- err
		}()
		select {
		case err := <-wrote:
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("later Write: %v, want the caller's deadline", err)
			}
		case <-time.After(5 * time.Second):
			a.Close()
			t.Error("a later Write blocked past the caller's deadline: the copy cleared it")
		}
	})
	t.Run("callers-deadline", func(t *testing.T) {
		a, b := unixPair(t)
		b.Write([]byte("some bytes"))
		deadline := time.Now().Add(700 * time.Millisecond)
		a.SetReadDeadline(deadline)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := zcopy.CopyContext(ctx, emptyFile(t, e.ext4), a)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want context.DeadlineExceeded", err)
		}
		read := make(chan error, 1)
		go func() {
			_, err := a.Read(make([]byte, 10))
			read <- err
		}()
		select {
		case err := <-read:
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("later Read: %v, want the caller's deadline", err)
			}
		case <-time.After(5 * time.Second):
			a.Close()
			t.Error("a later Read blocked past the caller's deadline: the copy cleared it")
		}
	})
}

// TestSectionReaderEdges pins io.SectionReader's corner cases.
func TestSectionReaderEdges(t *testing.T) {
	e := newEnv(t)
	data := testutil.Data(200<<10, 69)
	for _, tc := range []struct {
		name   string
		off, n int64
	}{
		{"negative-n", 1000, -1},
		{"negative-n-min", 0, math.MinInt64},
		{"off-near-max", math.MaxInt64 - 10, 100},
		{"off-near-max-n-10", math.MaxInt64 - 10, 10},
		{"past-eof", 300 << 10, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			oracle(t, func(t *testing.T) (io.Writer, io.Reader, func() (digest, int64)) {
				src := newSrcFile(t, e.ext4, data, 0)
				dst := emptyFile(t, e.ext4)
				sr := io.NewSectionReader(src, tc.off, tc.n)
				return dst, sr, func() (digest, int64) {
					d, _ := fileResult(t, dst, src)()
					pos, _ := sr.Seek(0, io.SeekCurrent)
					return d, pos
				}
			})
		})
	}
}

// TestSourceTakenBeforeFirstWrite pins that no more of the source is read
// than io.Copy reads when the destination refuses the first write.
func TestSourceTakenBeforeFirstWrite(t *testing.T) {
	e := newEnv(t)
	for _, size := range []int{100 << 10, 200 << 10, 4 << 20} {
		data := testutil.Data(size, 70)
		t.Run("read-only-file/"+itoa(size), func(t *testing.T) {
			oracle(t, func(t *testing.T) (io.Writer, io.Reader, func() (digest, int64)) {
				src := newSrcFile(t, e.ext4, data, 0)
				name := emptyFile(t, e.ext4).Name()
				dst, err := os.Open(name)
				if err != nil {
					t.Fatal(err)
				}
				closeOnCleanup(t, dst)
				return dst, src, fileResult(t, dst, src)
			})
		})
		t.Run("sealed-memfd/"+itoa(size), func(t *testing.T) {
			oracle(t, func(t *testing.T) (io.Writer, io.Reader, func() (digest, int64)) {
				src := newSrcFile(t, e.ext4, data, 0)
				dst := memfd(t, 0, unix.F_SEAL_WRITE)
				return dst, src, fileResult(t, dst, src)
			})
		})
		t.Run("pipe-read-end/"+itoa(size), func(t *testing.T) {
			oracle(t, func(t *testing.T) (io.Writer, io.Reader, func() (digest, int64)) {
				src := newSrcFile(t, e.ext4, data, 0)
				r, _ := osPipe(t)
				return r, src, func() (digest, int64) { return digest{}, fileOffset(src) }
			})
		})
	}
}

// TestWholeDatagrams pins one place where zcopy does better than io.Copy,
// on purpose: from a datagram socket each read takes a whole datagram,
// where io.Copy's 32 KiB buffer truncates larger ones.
func TestWholeDatagrams(t *testing.T) {
	e := newEnv(t)
	sent := testutil.Data(3*40000, 71)
	for _, c := range copiers[1:] {
		t.Run(c.name, func(t *testing.T) {
			send, recv := messagePair(t, "udp")
			for i := 0; i < 3; i++ {
				if _, err := send.Write(sent[i*40000 : (i+1)*40000]); err != nil {
					t.Fatal(err)
				}
			}
			recv.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			dst := emptyFile(t, e.ext4)
			n, err := c.fn(dst, recv)
			if n != int64(len(sent)) || !errors.Is(err, os.ErrDeadlineExceeded) || !bytes.Equal(contents(t, dst), sent) {
				t.Errorf("(%d, %v), want all %d bytes of three 40000-byte datagrams, then the deadline", n, err, len(sent))
			}
		})
	}
}
