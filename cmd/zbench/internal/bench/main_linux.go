//go:build linux

package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Main is zbench: it parses args, runs the scenarios and prints the
// tables. It returns the exit code: 0, 1 if a contender FAILED or the run
// was interrupted, 2 for bad input.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if spec := os.Getenv(childEnv); spec != "" {
		return runChild(spec, stderr)
	}
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "zbench: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r := &runner{ctx: ctx, cfg: cfg, stderr: stderr, sources: map[srcKey]*source{}}
	defer r.cleanup()
	if err := r.prepare(); err != nil {
		fmt.Fprintf(stderr, "zbench: %v\n", err)
		return 2
	}
	code := 0
	if err := r.runAll(); err != nil {
		if ctx.Err() == nil {
			fmt.Fprintf(stderr, "zbench: %v\n", err)
			return 1
		}
		fmt.Fprintln(stderr, "zbench: interrupted; printing what was measured")
		r.res.Interrupted = true
		code = 1
	}
	for _, t := range r.res.Tables {
		for _, row := range t.Rows {
			if row.Skipped == "" && len(row.Runs) > 0 && !row.Verified {
				code = 1
			}
		}
	}
	if cfg.json {
		err = WriteJSON(stdout, r.res)
	} else {
		err = WriteMarkdown(stdout, r.res)
	}
	if err != nil {
		fmt.Fprintf(stderr, "zbench: %v\n", err)
		return 1
	}
	if cfg.svg != "" {
		var b bytes.Buffer
		WriteSVG(&b, r.res)
		if err := os.WriteFile(cfg.svg, b.Bytes(), 0o644); err != nil {
			fmt.Fprintf(stderr, "zbench: -svg: %v\n", err)
			return 1
		}
	}
	return code
}

type runner struct {
	ctx     context.Context
	cfg     *config
	stderr  io.Writer
	exe     string
	res     *Result
	dirs    []*workDir // cfg.dirs, then the current directory if the file scenario adds it
	sources map[srcKey]*source
	seq     int
	// zcpPath is the zcp command the tree scenario built, zcpErr why
	// it could not.
	zcpPath string
	zcpErr  error
}

// workDir is a directory zbench writes in, with its temporary directory.
// The first one serves every scenario, the others the file scenario.
type workDir struct {
	path, tmp, fs string
	dev           uint64
}

type srcKey struct {
	dir  *workDir
	size int64
}

// source is a file of pseudo-random bytes (not zeros: nothing may take a
// shortcut) and its CRC-32C.
type source struct {
	path string
	size int64
	crc  uint32
	data []byte // the bytes, for sources small enough to keep
}

func (r *runner) cleanup() {
	for _, d := range r.dirs {
		if d.tmp != "" {
			os.RemoveAll(d.tmp)
		}
	}
}

// prepare checks the directories (exists, free space, writable) before
// any file is created, and finds the executable to re-run as children.
func (r *runner) prepare() error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot find own executable to start children: %v", err)
	}
	r.exe = exe
	size := r.cfg.fileSize()
	for _, d := range r.cfg.dirs {
		// Each directory holds a source and a destination of size bytes.
		if _, err := r.addDir(d, 2*size+4<<20); err != nil {
			return fmt.Errorf("-dir %s: %v", d, err)
		}
	}
	if r.cfg.dirGiven && r.wants("file") {
		// "On the current directory's filesystem and on any path the
		// user names": add "." unless a named path shares its filesystem.
		var st syscall.Stat_t
		if syscall.Stat(".", &st) == nil && !r.haveDev(st.Dev) {
			if _, err := r.addDir(".", 2*size+4<<20); err != nil {
				fmt.Fprintf(r.stderr, "zbench: note: no file scenario in the current directory: %v\n", err)
			}
		}
	}
	r.res = &Result{
		Pinned:  r.cfg.pin,
		SndBuf:  r.cfg.sndbuf,
		Title:   Title,
		Machine: machine(),
		Runs:    r.cfg.runs,
		Cache:   "warm: each source file is written, fsynced and read once before its table's first run; destination files are removed after every run",
	}
	return nil
}

func (r *runner) haveDev(dev uint64) bool {
	for _, d := range r.dirs {
		if d.dev == dev {
			return true
		}
	}
	return false
}

func (r *runner) addDir(path string, need int64) (*workDir, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, errText(err)
	}
	if !fi.IsDir() {
		return nil, errors.New("not a directory")
	}
	free, err := freeSpace(path)
	if err != nil {
		return nil, fmt.Errorf("statfs: %v", errText(err))
	}
	if free < need {
		return nil, fmt.Errorf("not enough free space: need %s, have %s", FormatSize(need), FormatSize(free))
	}
	tmp, err := os.MkdirTemp(path, "zbench-")
	if err != nil {
		return nil, fmt.Errorf("not writable: %v", errText(err))
	}
	abs, _ := filepath.Abs(path)
	wd := &workDir{path: abs, tmp: tmp, fs: fsType(path)}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		wd.dev = st.Dev
	}
	r.dirs = append(r.dirs, wd)
	return wd, nil
}

// errText drops the path an *fs.PathError repeats.
func errText(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (r *runner) wants(s string) bool {
	for _, x := range r.cfg.scenarios {
		if x == s {
			return true
		}
	}
	return false
}

func (r *runner) progress(format string, a ...any) {
	if !r.cfg.quiet {
		fmt.Fprintf(r.stderr, format+"\n", a...)
	}
}

func (r *runner) runAll() error {
	for _, s := range r.cfg.scenarios {
		tables, err := r.plan(s)
		if err != nil {
			return err
		}
		for _, ts := range tables {
			r.res.Tables = append(r.res.Tables, ts.Table)
			err := r.runTable(ts)
			ts.Summarize()
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// topology says which processes a run starts and how they connect.
type topology int

const (
	topoSocket    topology = iota // sender: file -> socket; receiver
	topoFile                      // sender: file -> file
	topoPipeIn                    // feeder | sender -> file
	topoPipeOut                   // sender: file -> pipe | receiver
	topoSock2File                 // feeder -> TCP -> sender -> file
	topoTree                      // a command copies a tree (tree_linux.go)
)

// peers names each topology's second process (Table.Peer).
var peers = map[topology]string{
	topoSocket:    "receiver",
	topoPipeOut:   "receiver",
	topoPipeIn:    "feeder",
	topoSock2File: "feeder",
}

type contender struct {
	key, name, kind, method string
	baseline                bool
}

type tableSpec struct {
	*Table
	topo       topology
	network    string // "unix" or "tcp" for socket topologies
	dir        *workDir
	src        *source
	copies     int    // copies per process
	streamCRC  uint32 // what a receiver must see: Copies times the source
	contenders []contender
	tree       *treeSet   // the tree scenario's input
	treeArgv   [][]string // the tree scenario's command per contender
	// treeJobs, where not "", runs the contender as a child's "files"
	// job (uring_linux.go) instead of treeArgv's command.
	treeJobs []string
	cold     bool // drop the page cache before every run (uring scenario)
}

// The contenders. Raw ones are the C programs of the article "Rust io::copy
// with Linux Zero-Copy API" written in Go; the others are Go's io.Copy and
// zcopy.
var (
	cReadSend  = contender{key: "readwrite", name: "read/send (64 KiB)", kind: "raw", method: "read + send", baseline: true}
	cReadWrite = contender{key: "readwrite", name: "read/write (64 KiB)", kind: "raw", method: "read + write", baseline: true}
	cMmap      = contender{key: "mmap", name: "mmap/send", kind: "raw", method: "mmap + send"}
	cSendfile  = contender{key: "sendfile", name: "sendfile", kind: "raw", method: "sendfile"}
	// cSendfileNB is the raw sendfile loop on a non-blocking socket, as
	// every Go net.Conn is: EAGAIN when the send buffer is full, then
	// poll(2). It shows what the non-blocking socket costs by itself.
	cSendfileNB  = contender{key: "sendfile-nb", name: "sendfile, non-blocking", kind: "raw", method: "sendfile, O_NONBLOCK + poll"}
	cSplicePipe  = contender{key: "splicepipe", name: "splice/pipe", kind: "raw", method: "splice via 1 MiB pipe"}
	cSplice      = contender{key: "splice", name: "splice", kind: "raw", method: "splice"}
	cSplice1M    = contender{key: "splice1m", name: "splice, 1 MiB pipe", kind: "raw", method: "F_SETPIPE_SZ + splice"}
	cCFR         = contender{key: "cfr", name: "copy_file_range", kind: "raw", method: "copy_file_range"}
	cClone       = contender{key: "ficlone", name: "FICLONE", kind: "raw", method: "ioctl FICLONE"}
	cIOCopy      = contender{key: "iocopy", name: "Go io.Copy", kind: "go", method: "Go's choice"}
	cZcopy       = contender{key: "zcopy", name: "zcopy.Copy", kind: "zcopy"}
	cZcopyStrict = contender{key: "zcopy-strict", name: "zcopy.Copy Strict()", kind: "zcopy"}
	cZcopySplice = contender{key: "zcopy-splice", name: "zcopy.Copy Only(Splice)", kind: "zcopy"}
)

// Small copies: per process, enough copies that start-up is noise.
var smallCopies = []struct {
	size   int64
	copies int
}{{1 << 10, 20000}, {64 << 10, 5000}}

// extraContenders are added to a scenario's tables by tests, to check
// that a contender delivering wrong bytes shows as FAILED.
var extraContenders = map[string][]contender{}

// plan lays out a scenario's tables.
func (r *runner) plan(s string) ([]*tableSpec, error) {
	size := r.cfg.fileSize()
	main := r.dirs[0]
	var out []*tableSpec
	add := func(ts *tableSpec, title string, cs ...contender) {
		ts.copies = max(1, ts.copies)
		ts.Table = &Table{Scenario: s, Title: title, Dir: ts.dir.path, FS: ts.dir.fs, Size: ts.src.size, Copies: ts.copies,
			Peer: peers[ts.topo]}
		ts.contenders = append(cs, extraContenders[s]...)
		for _, c := range ts.contenders {
			ts.Rows = append(ts.Rows, &Row{Name: c.name, Kind: c.kind, Baseline: c.baseline, Method: c.method})
		}
		ts.streamCRC = ts.src.crc
		if ts.copies > 1 {
			var crc uint32
			for range ts.copies {
				crc = crc32.Update(crc, castagnoli, ts.src.data)
			}
			ts.streamCRC = crc
		}
		out = append(out, ts)
	}
	switch s {
	case "unix", "tcp":
		sc, err := r.source(main, size)
		if err != nil {
			return nil, err
		}
		title := map[string]string{"unix": "file -> Unix socket", "tcp": "file -> TCP loopback socket"}[s]
		add(&tableSpec{topo: topoSocket, network: s, dir: main, src: sc}, title,
			cReadSend, cMmap, cSendfile, cSendfileNB, cSplicePipe, cIOCopy, cZcopy, cZcopyStrict)
	case "file":
		for _, d := range r.dirs {
			sc, err := r.source(d, size)
			if err != nil {
				return nil, err
			}
			add(&tableSpec{topo: topoFile, dir: d, src: sc}, "file -> file, same filesystem",
				cReadWrite, cIOCopy, cCFR, cClone, cZcopy)
		}
	case "pipe":
		sc, err := r.source(main, size)
		if err != nil {
			return nil, err
		}
		add(&tableSpec{topo: topoPipeIn, dir: main, src: sc}, "pipe (stdin) -> file",
			cReadWrite, cSplice, cSplice1M, cIOCopy, cZcopy, cZcopySplice)
		add(&tableSpec{topo: topoPipeOut, dir: main, src: sc}, "file -> pipe (stdout)",
			cReadWrite, cSplice, cSplice1M, cSendfile, cIOCopy, cZcopy, cZcopySplice)
	case "sock2file":
		sc, err := r.source(main, size)
		if err != nil {
			return nil, err
		}
		add(&tableSpec{topo: topoSock2File, network: "tcp", dir: main, src: sc}, "TCP loopback socket -> file",
			cReadWrite, cSplicePipe, cIOCopy, cZcopy)
	case "tree":
		return r.planTree(add)
	case "uring":
		return r.planUring(add)
	case "small":
		ioBase := cIOCopy
		ioBase.baseline = true
		for _, topo := range []topology{topoFile, topoSocket} {
			title := map[topology]string{topoFile: "file -> file", topoSocket: "file -> Unix socket"}[topo]
			for _, sm := range smallCopies {
				sc, err := r.source(main, sm.size)
				if err != nil {
					return nil, err
				}
				add(&tableSpec{topo: topo, network: "unix", dir: main, src: sc, copies: sm.copies}, title, ioBase, cZcopy)
			}
		}
	}
	return out, nil
}

// source returns the source file of size bytes in d, creating it once.
func (r *runner) source(d *workDir, size int64) (*source, error) {
	if s := r.sources[srcKey{d, size}]; s != nil {
		return s, nil
	}
	path := filepath.Join(d.tmp, fmt.Sprintf("src-%d", size))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	s := &source{path: path, size: size}
	rng := rand.New(rand.NewPCG(uint64(size), 0x2bd)) // reproducible bytes
	buf := make([]byte, 1<<20)
	for left := size; left > 0; {
		for i := 0; i+8 <= len(buf); i += 8 {
			binary.LittleEndian.PutUint64(buf[i:], rng.Uint64())
		}
		chunk := buf[:min(left, int64(len(buf)))]
		if _, err := f.Write(chunk); err != nil {
			f.Close()
			return nil, err
		}
		s.crc = crc32.Update(s.crc, castagnoli, chunk)
		if size <= 1<<20 {
			s.data = append([]byte(nil), chunk...)
		}
		left -= int64(len(chunk))
		if err := r.ctx.Err(); err != nil {
			f.Close()
			return nil, err
		}
	}
	// No writeback of the source may overlap a timed run.
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	r.sources[srcKey{d, size}] = s
	return s, nil
}

// fileCRC reads path once: its size and CRC-32C.
func fileCRC(path string) (int64, uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	h := crc32.New(castagnoli)
	n, err := io.CopyBuffer(h, f, make([]byte, 1<<20))
	return n, h.Sum32(), err
}

func (r *runner) runTable(ts *tableSpec) error {
	r.progress("zbench: %s: %d contenders x %d runs", ts.Heading(), len(ts.contenders), r.cfg.runs)
	// Warm the page cache: the article measured with the file cached.
	if ts.topo != topoTree && !ts.cold {
		if _, _, err := fileCRC(ts.src.path); err != nil {
			return err
		}
	}
	// Interleaved, and each round starts one contender later (A B C, B C
	// A, C A B, ...), so that no contender always runs right after the
	// same other one: the machine's after-effects (writeback of the last
	// run's file, its page reclaim) hit every contender alike.
	for round := range r.cfg.runs {
		for k := range ts.contenders {
			i := (k + round) % len(ts.contenders)
			c := ts.contenders[i]
			row := ts.Rows[i]
			if row.Skipped != "" {
				continue
			}
			var out runOut
			var err error
			if ts.topo == topoTree {
				out, err = r.runTreeOnce(ts, i)
			} else {
				out, err = r.runOnce(ts, c)
			}
			if err != nil {
				return err
			}
			if out.skip != "" {
				row.Skipped = out.skip
				ts.Notes = append(ts.Notes, fmt.Sprintf("%s skipped on %s: %s.", c.name, ts.FS, out.skip))
				continue
			}
			if out.method != "" {
				row.Method, row.Report = out.method, out.report
			}
			row.Runs = append(row.Runs, out.run)
		}
	}
	if ts.topo == topoTree {
		var rss []string
		for _, row := range ts.Rows {
			var peak int64
			for _, run := range row.Runs {
				peak = max(peak, run.MaxRSS)
			}
			if peak > 0 {
				rss = append(rss, fmt.Sprintf("%s %s", row.Name, FormatSize(peak)))
			}
		}
		if len(rss) > 0 {
			ts.Notes = append(ts.Notes, "Peak RSS (largest of the runs): "+strings.Join(rss, ", ")+".")
		}
	}
	return nil
}

type runOut struct {
	run                  Run
	skip, method, report string
}

// runTimeout bounds one run: generous, so that only a hang trips it.
func (r *runner) runTimeout(ts *tableSpec) time.Duration {
	return 30*time.Second + time.Duration(ts.Size*int64(ts.copies)/(20<<20))*time.Second
}

// command prepares a child running j; it dies with zbench (Pdeathsig) and
// with ctx.
func (r *runner) command(ctx context.Context, j job) (*exec.Cmd, *bytes.Buffer) {
	if r.cfg.pin {
		j.CPU = 2 // CPU 1: receivers and feeders
		if j.Role == "send" {
			j.CPU = 1 // CPU 0
		}
	}
	spec, _ := json.Marshal(j)
	cmd := exec.CommandContext(ctx, r.exe)
	cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	return cmd, &stderr
}

// runOnce runs one contender once: the helper (receiver or feeder), then
// the sender, and verifies what arrived. An error is returned only when
// zbench itself must stop (interrupted); a failed run is a Run with OK
// false.
func (r *runner) runOnce(ts *tableSpec, c contender) (runOut, error) {
	ctx, cancel := context.WithTimeout(r.ctx, r.runTimeout(ts))
	defer cancel()
	r.seq++
	tmp := ts.dir.tmp
	resPath := filepath.Join(tmp, fmt.Sprintf("result-%d.json", r.seq))
	dstPath := filepath.Join(tmp, fmt.Sprintf("dst-%d", r.seq))
	defer os.Remove(resPath)
	defer os.Remove(dstPath)
	if ts.cold {
		dropCaches(ts.dir)
	}

	var out runOut
	fail := func(format string, a ...any) (runOut, error) {
		if err := r.ctx.Err(); err != nil {
			return out, err
		}
		if ctx.Err() != nil {
			format, a = "timed out after %v", []any{r.runTimeout(ts)}
		}
		out.run.OK, out.run.Error = false, fmt.Sprintf(format, a...)
		return out, nil
	}

	sj := job{Role: "send", Contender: c.key, Src: "file:" + ts.src.path, Dst: "file:" + dstPath,
		Size: ts.src.size, Copies: ts.copies, Result: resPath, SndBuf: int(r.cfg.sndbuf)}
	var (
		helper            *exec.Cmd
		helperErr         *bytes.Buffer
		helperOut         bytes.Buffer
		closeAfter        []*os.File
		sendStdin, sendTo *os.File
	)
	defer func() {
		for _, f := range closeAfter {
			f.Close()
		}
	}()
	switch ts.topo {
	case topoSocket, topoSock2File:
		ln, addr, err := r.listen(ts, tmp)
		if err != nil {
			return fail("listen: %v", err)
		}
		defer ln.Close()
		lf, err := ln.(interface{ File() (*os.File, error) }).File()
		if err != nil {
			return fail("listener: %v", err)
		}
		closeAfter = append(closeAfter, lf)
		ep := ts.network + ":" + addr
		if ts.topo == topoSocket {
			sj.Dst = ep
			helper, helperErr = r.command(ctx, job{Role: "recv", Listen: true})
			helper.Stdout = &helperOut
		} else {
			sj.Src = ep
			helper, helperErr = r.command(ctx, job{Role: "feed", Src: ts.src.path, Listen: true})
		}
		helper.ExtraFiles = []*os.File{lf}
	case topoPipeIn:
		pr, pw, err := os.Pipe()
		if err != nil {
			return fail("pipe: %v", err)
		}
		closeAfter = append(closeAfter, pr, pw)
		helper, helperErr = r.command(ctx, job{Role: "feed", Src: ts.src.path})
		helper.Stdout = pw
		sendStdin, sj.Src = pr, "stdin"
	case topoPipeOut:
		pr, pw, err := os.Pipe()
		if err != nil {
			return fail("pipe: %v", err)
		}
		closeAfter = append(closeAfter, pr, pw)
		helper, helperErr = r.command(ctx, job{Role: "recv"})
		helper.Stdin, helper.Stdout = pr, &helperOut
		sendTo, sj.Dst = pw, "stdout"
	}
	sender, senderErr := r.command(ctx, sj)
	sender.Stdin, sender.Stdout = sendStdin, sendTo
	if helper != nil {
		if err := helper.Start(); err != nil {
			return fail("start: %v", err)
		}
	}
	if err := sender.Start(); err != nil {
		if helper != nil {
			cancel()
			helper.Wait()
		}
		return fail("start: %v", err)
	}
	// Our copies of the pipe ends and the listener would keep the other
	// side from seeing EOF.
	for _, f := range closeAfter {
		f.Close()
	}
	closeAfter = nil
	serr := sender.Wait()
	if ps := sender.ProcessState; ps != nil {
		out.run.CPU = ps.UserTime() + ps.SystemTime()
		out.run.Switches = switches(ps)
	}
	if serr != nil {
		cancel() // a receiver may still wait for a connection
	}
	var herr error
	if helper != nil {
		herr = helper.Wait()
		if ps := helper.ProcessState; ps != nil {
			out.run.PeerCPU = ps.UserTime() + ps.SystemTime()
			out.run.PeerSwitches = switches(ps)
		}
	}
	if serr != nil {
		return fail("%s", firstLine(senderErr, serr))
	}
	var sr childResult
	if b, err := os.ReadFile(resPath); err != nil {
		return fail("sender result: %v", errText(err))
	} else if err := json.Unmarshal(b, &sr); err != nil {
		return fail("sender result: %v", err)
	}
	if sr.Skip != "" {
		out.skip = sr.Skip
		return out, nil
	}
	out.method, out.report = sr.Method, sr.Report
	out.run.Elapsed, out.run.Bytes = sr.Elapsed, sr.Bytes
	if herr != nil {
		return fail("%s", firstLine(helperErr, herr))
	}
	want := ts.src.size * int64(ts.copies)
	if sr.Bytes != want {
		return fail("sender copied %d of %d bytes", sr.Bytes, want)
	}
	switch ts.topo {
	case topoSocket, topoPipeOut:
		var rr childResult
		if err := json.Unmarshal(helperOut.Bytes(), &rr); err != nil {
			return fail("receiver result: %v", err)
		}
		if rr.Bytes != want {
			return fail("receiver got %d of %d bytes", rr.Bytes, want)
		}
		if rr.CRC != ts.streamCRC {
			return fail("receiver checksum %08x, want %08x", rr.CRC, ts.streamCRC)
		}
	default:
		n, crc, err := fileCRC(dstPath)
		if err != nil {
			return fail("destination: %v", errText(err))
		}
		if n != ts.src.size {
			return fail("destination has %d of %d bytes", n, ts.src.size)
		}
		if crc != ts.src.crc {
			return fail("destination checksum %08x, want %08x", crc, ts.src.crc)
		}
	}
	out.run.OK = true
	return out, nil
}

// switches is how often a finished process gave up or lost its CPU
// (voluntary and involuntary context switches): every sleep on a full or
// empty pipe or socket buffer counts, so it shows how often the two
// processes handed over, a figure the machine's noise does not move much.
func switches(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return int64(ru.Nvcsw) + int64(ru.Nivcsw) // int32 on 386
	}
	return 0
}

// listen opens the run's listener: a Unix socket in tmp (abstract if
// the path would be too long for sun_path) or TCP on 127.0.0.1.
func (r *runner) listen(ts *tableSpec, tmp string) (net.Listener, string, error) {
	if ts.network == "tcp" {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return nil, "", err
		}
		return ln, ln.Addr().String(), nil
	}
	path := filepath.Join(tmp, fmt.Sprintf("s%d.sock", r.seq))
	if len(path) > 100 {
		path = fmt.Sprintf("@zbench-%d-%d", os.Getpid(), r.seq)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, "", err
	}
	return ln, path, nil
}

// firstLine is a child's first line on stderr, or how it exited.
func firstLine(stderr *bytes.Buffer, err error) string {
	line, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
	if line == "" {
		return err.Error()
	}
	return line
}
