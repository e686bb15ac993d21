//go:build linux

package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy"
)

// childEnv carries a child's job, as JSON, from zbench to the copy of
// itself it starts. A variable rather than flags, so that a test binary
// can serve as the child too (its TestMain checks IsChild).
const childEnv = "ZBENCH_CHILD"

// IsChild reports whether this process is one of zbench's children: a
// sender, receiver or feeder.
func IsChild() bool { return os.Getenv(childEnv) != "" }

// job is what a child does. Endpoints are "file:PATH", "unix:PATH",
// "tcp:HOST:PORT", "stdin" or "stdout".
type job struct {
	Role      string `json:"role"` // "send", "recv" or "feed"
	Contender string `json:"contender,omitempty"`
	Src       string `json:"src,omitempty"`
	Dst       string `json:"dst,omitempty"`
	Size      int64  `json:"size,omitempty"`   // bytes per copy
	Copies    int    `json:"copies,omitempty"` // copies in one process (small)
	Result    string `json:"result,omitempty"` // where a sender writes its childResult
	Listen    bool   `json:"listen,omitempty"` // fd 3 is a listener to accept one connection from
	// CPU, when set, is 1 + the CPU the whole process must run on (-pin).
	CPU int `json:"cpu,omitempty"`
	// SndBuf, when set, is the SO_SNDBUF a sender sets on its socket.
	SndBuf int `json:"sndbuf,omitempty"`
}

// childResult is what a sender or receiver reports.
type childResult struct {
	Bytes   int64         `json:"bytes"`
	Elapsed time.Duration `json:"elapsed_ns,omitempty"`
	CPU     time.Duration `json:"cpu_ns,omitempty"` // measured by the child (files jobs)
	CRC     uint32        `json:"crc,omitempty"`
	Method  string        `json:"method,omitempty"`
	Report  string        `json:"report,omitempty"`
	Skip    string        `json:"skip,omitempty"`
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func runChild(spec string, stderr io.Writer) int {
	var j job
	if err := json.Unmarshal([]byte(spec), &j); err != nil {
		fmt.Fprintf(stderr, "zbench child: bad %s: %v\n", childEnv, err)
		return 2
	}
	if j.CPU > 0 {
		if err := pinProcess(j.CPU - 1); err != nil {
			fmt.Fprintf(stderr, "%s: -pin: %v\n", j.Role, err)
			return 1
		}
	}
	var (
		res childResult
		err error
		out = os.Stdout
	)
	switch j.Role {
	case "recv":
		res, err = receive(&j)
	case "feed":
		err = feed(&j)
	case "send":
		res, err = send(&j)
	case "files":
		res, err = copyFilesChild(&j)
	default:
		err = fmt.Errorf("unknown role %q", j.Role)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s %s: %v\n", j.Role, j.Contender, err)
		return 1
	}
	if j.Role == "feed" {
		return 0
	}
	b, _ := json.Marshal(res)
	if j.Result != "" {
		err = os.WriteFile(j.Result, b, 0o600)
	} else {
		_, err = out.Write(append(b, '\n'))
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", j.Role, err)
		return 1
	}
	return 0
}

// pinProcess binds every thread of this process to cpu. Threads the
// runtime starts later inherit the binding from the thread that starts
// them.
func pinProcess(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
			return fmt.Errorf("CPU %d: %w", cpu, err)
		}
	}
	return nil
}

// receive reads to the end of its connection or stdin into a buffer,
// counting and checksumming, like the article's nc -lU ... >/dev/null.
func receive(j *job) (childResult, error) {
	var r io.Reader = os.Stdin
	if j.Listen {
		c, err := acceptOne()
		if err != nil {
			return childResult{}, err
		}
		defer c.Close()
		r = c
	}
	var res childResult
	buf := make([]byte, 256<<10)
	for {
		n, err := r.Read(buf)
		res.Bytes += int64(n)
		res.CRC = crc32.Update(res.CRC, castagnoli, buf[:n])
		if err == io.EOF {
			return res, nil
		}
		if err != nil {
			return res, err
		}
	}
}

// acceptOne takes the one connection of a run from the listener zbench
// passed as fd 3.
func acceptOne() (net.Conn, error) {
	lf := os.NewFile(3, "listener")
	ln, err := net.FileListener(lf)
	lf.Close()
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	return ln.Accept()
}

// feed produces the data of the pipe and sock2file scenarios from the
// warm source file, cheaply (sendfile), so the measured side is the
// bottleneck.
func feed(j *job) error {
	f, err := os.Open(j.Src)
	if err != nil {
		return err
	}
	defer f.Close()
	if !j.Listen {
		_, err = rawSendfile(1, int(f.Fd()), 0)
		return err
	}
	c, err := acceptOne()
	if err != nil {
		return err
	}
	if _, err = io.Copy(c, f); err != nil { // sendfile(2) into TCP
		c.Close()
		return err
	}
	return c.Close()
}

// send runs one contender. The clock runs from before the endpoints are
// opened to after they are closed, as in the article's Rust program.
func send(j *job) (childResult, error) {
	copies := max(j.Copies, 1)
	if fn := rawCopies[j.Contender]; fn != nil {
		return sendRaw(j, fn, copies)
	}
	var opts []zcopy.Option
	switch j.Contender {
	case "iocopy", "zcopy":
	case "zcopy-strict":
		opts = append(opts, zcopy.Strict())
	case "zcopy-splice":
		opts = append(opts, zcopy.Only(zcopy.Splice))
	default:
		return childResult{}, fmt.Errorf("unknown contender %q", j.Contender)
	}
	var res childResult
	var rep zcopy.Report
	start := time.Now()
	src, err := goOpen(j.Src, false)
	if err != nil {
		return res, err
	}
	defer src.Close()
	dst, err := goOpen(j.Dst, true)
	if err != nil {
		return res, err
	}
	defer dst.Close()
	if sc, ok := dst.(syscall.Conn); ok && j.SndBuf > 0 {
		rc, err := sc.SyscallConn()
		if err != nil {
			return res, err
		}
		if err := rc.Control(func(fd uintptr) { err = setSndBuf(int(fd), j.SndBuf) }); err != nil {
			return res, err
		}
		if err != nil {
			return res, err
		}
	}
	for i := range copies {
		if i > 0 {
			if err := rewind(src, dst); err != nil {
				return res, err
			}
		}
		var n int64
		switch {
		case j.Contender == "iocopy":
			n, err = io.Copy(dst, src)
		case i == copies-1 || len(opts) > 0:
			// Copy's own code path, plus the report for the table.
			opts := append(opts, zcopy.WithReport(&rep))
			n, err = zcopy.CopyContext(context.Background(), dst, src, opts...)
		default:
			n, err = zcopy.Copy(dst, src)
		}
		res.Bytes += n
		if err != nil {
			return res, err
		}
	}
	if err := dst.Close(); err != nil {
		return res, err
	}
	res.Elapsed = time.Since(start)
	if j.Contender != "iocopy" {
		res.Method, res.Report = rep.Method.String(), rep.String()
	}
	return res, nil
}

// endpoint is what goOpen returns: a file, a connection, stdin or stdout.
type endpoint interface {
	io.ReadWriteCloser
}

func goOpen(ep string, write bool) (endpoint, error) {
	kind, arg, _ := strings.Cut(ep, ":")
	switch kind {
	case "stdin":
		return os.Stdin, nil
	case "stdout":
		return os.Stdout, nil
	case "file":
		if write {
			return os.Create(arg)
		}
		return os.Open(arg)
	case "unix", "tcp":
		return net.Dial(kind, arg)
	}
	return nil, fmt.Errorf("bad endpoint %q", ep)
}

// rewind starts the next copy of the small scenario from the beginning of
// the source file, and over the first copy in a destination file.
func rewind(src, dst endpoint) error {
	for _, x := range []endpoint{src, dst} {
		if f, ok := x.(*os.File); ok && f != os.Stdin && f != os.Stdout {
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return err
			}
		}
	}
	return nil
}

// errSkip marks a contender that cannot run on this machine or
// filesystem; the row says skipped, not FAILED.
var errSkip = errors.New("skip")
