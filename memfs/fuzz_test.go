package memfs_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/zcopy/zcopy/internal/testutil"
	"github.com/zcopy/zcopy/memfs"
)

// The differential test: one sequence of operations runs against a memfs
// file, a plain []byte model and a real file in a temp directory opened
// through os.Root (the oracle for errors and offsets), and after every
// step the three must agree on content, size, offset, results and errors.

const (
	hostSize = 256 << 10 // the host file import ranges come from
	maxOff   = 640 << 10 // offsets and sizes stay below this
)

var hostData = testutil.Data(hostSize, 99)

// opReader decodes fuzz input.
type opReader struct{ b []byte }

func (r *opReader) u8() uint8 {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *opReader) u32() uint32 {
	var buf [4]byte
	for i := range buf {
		buf[i] = r.u8()
	}
	return binary.LittleEndian.Uint32(buf[:])
}

// off picks an offset, mostly near interesting places.
func (r *opReader) off(size int64) int64 {
	v := int64(r.u32())
	switch r.u8() % 4 {
	case 0:
		return v % (size + 1)
	case 1:
		return size + v%5000 // just past the end: holes
	case 2:
		return v % maxOff
	default:
		return (v % 40) * 4096 // page boundaries
	}
}

func (r *opReader) n() int64 {
	v := int64(r.u32())
	if r.u8()%4 == 0 {
		return v % (100 << 10)
	}
	return v % 9000
}

type model struct {
	data []byte
	off  int64
	name string // "" once unlinked
}

func (m *model) writeAt(p []byte, off int64) {
	if len(p) == 0 {
		return
	}
	if end := off + int64(len(p)); end > int64(len(m.data)) {
		m.data = append(m.data, make([]byte, end-int64(len(m.data)))...)
	}
	copy(m.data[off:], p)
}

type differ struct {
	t     *testing.T
	step  int
	mem   *memfs.FS
	root  *os.Root
	host  *os.File
	mf    *memfs.File
	of    *os.File
	m     model
	trace []string
}

func (d *differ) fail(format string, args ...any) {
	d.t.Helper()
	d.t.Fatalf("step %d: %s\ntrace:\n%s", d.step, fmt.Sprintf(format, args...), joinTrace(d.trace))
}

func joinTrace(tr []string) string {
	var b bytes.Buffer
	for i, s := range tr {
		fmt.Fprintf(&b, "  %d: %s\n", i, s)
	}
	return b.String()
}

// errno digs out the errno, or the message of an errno-less error.
func errShape(err error) string {
	if err == nil {
		return "<nil>"
	}
	if err == io.EOF {
		return "EOF"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err.Error()
	}
	if err.Error() == "os: invalid use of WriteAt on file opened with O_APPEND" || err == memfs.ErrWriteAtInAppendMode {
		return "WriteAt with O_APPEND"
	}
	return err.Error()
}

func errOp(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Op
	}
	return ""
}

// sameErr checks that memfs and os failed alike: the same errno (or
// message), the same Op, and the same answers to errors.Is.
func (d *differ) sameErr(what string, merr, oerr error) {
	d.t.Helper()
	if errShape(merr) != errShape(oerr) || errOp(merr) != errOp(oerr) {
		d.fail("%s: memfs error %v, os error %v", what, merr, oerr)
	}
	for _, target := range []error{fs.ErrNotExist, fs.ErrExist, fs.ErrInvalid, fs.ErrClosed, io.EOF} {
		if errors.Is(merr, target) != errors.Is(oerr, target) {
			d.fail("%s: errors.Is(%v) differs: memfs %v, os %v", what, target, merr, oerr)
		}
	}
}

func (d *differ) open(name string, flag int) (merr, oerr error) {
	d.mf, merr = d.mem.OpenFile(name, flag, 0o644)
	d.of, oerr = d.root.OpenFile(name, flag, 0o644)
	return merr, oerr
}

func (d *differ) close() {
	if d.mf != nil {
		d.mf.Close()
		d.of.Close()
		d.mf, d.of = nil, nil
	}
}

func other(name string) string {
	if name == "f0" {
		return "f1"
	}
	return "f0"
}

func (d *differ) do(r *opReader) {
	size := int64(len(d.m.data))
	b := r.u8()
	if b >= 252 {
		// PunchHole takes the top four byte values, so that older
		// corpus entries keep their meaning.
		d.punch(r, size)
		return
	}
	switch op := b % 14; op {
	case 0, 1: // Write, WriteAt
		n := r.n()
		p := make([]byte, n)
		copy(p, testutil.Data(int(n), uint64(d.step)))
		if op == 0 {
			d.trace = append(d.trace, fmt.Sprintf("Write(%d) at %d", n, d.m.off))
			mn, merr := d.mf.Write(p)
			on, oerr := d.of.Write(p)
			d.sameErr("Write", merr, oerr)
			if mn != on {
				d.fail("Write: %d vs %d", mn, on)
			}
			d.m.writeAt(p, d.m.off)
			d.m.off += n
			return
		}
		off := r.off(size)
		if r.u8()%16 == 0 {
			off = -off - 1
		}
		d.trace = append(d.trace, fmt.Sprintf("WriteAt(%d, %d)", n, off))
		mn, merr := d.mf.WriteAt(p, off)
		on, oerr := d.of.WriteAt(p, off)
		d.sameErr("WriteAt", merr, oerr)
		if mn != on {
			d.fail("WriteAt: %d vs %d", mn, on)
		}
		if oerr == nil {
			d.m.writeAt(p, off)
		}
	case 2: // Truncate
		n := r.off(size)
		d.trace = append(d.trace, fmt.Sprintf("Truncate(%d)", n))
		d.sameErr("Truncate", d.mf.Truncate(n), d.of.Truncate(n))
		if n < size {
			d.m.data = d.m.data[:n]
		} else {
			d.m.data = append(d.m.data, make([]byte, n-size)...)
		}
	case 3: // ImportRange: the oracle writes the host bytes
		off, hoff := r.off(size), int64(r.u32())%hostSize
		n := min(r.n(), hostSize-hoff)
		d.trace = append(d.trace, fmt.Sprintf("ImportRange(%d, host %d, %d)", off, hoff, n))
		if err := d.mf.ImportRange(off, d.host, hoff, n); err != nil {
			d.fail("ImportRange: %v", err)
		}
		if _, err := d.of.WriteAt(hostData[hoff:hoff+n], off); err != nil {
			d.fail("oracle WriteAt: %v", err)
		}
		d.m.writeAt(hostData[hoff:hoff+n], off)
	case 4: // Seek
		whence := int(r.u8() % 3)
		if r.u8()%32 == 0 {
			whence = 5 // invalid (3 and 4 are SEEK_DATA and SEEK_HOLE, tested apart)
		}
		off := int64(int32(r.u32())) % (maxOff)
		d.trace = append(d.trace, fmt.Sprintf("Seek(%d, %d)", off, whence))
		mp, merr := d.mf.Seek(off, whence)
		op, oerr := d.of.Seek(off, whence)
		d.sameErr("Seek", merr, oerr)
		if mp != op {
			d.fail("Seek: %d vs %d", mp, op)
		}
		if oerr == nil {
			d.m.off = op
		}
	case 5, 6: // Read, ReadAt
		n := r.n()
		mb, ob := make([]byte, n), make([]byte, n)
		var mn, on int
		var merr, oerr error
		if op == 5 {
			d.trace = append(d.trace, fmt.Sprintf("Read(%d) at %d", n, d.m.off))
			mn, merr = d.mf.Read(mb)
			on, oerr = d.of.Read(ob)
			d.m.off += int64(on)
		} else {
			off := r.off(size)
			d.trace = append(d.trace, fmt.Sprintf("ReadAt(%d, %d)", n, off))
			mn, merr = d.mf.ReadAt(mb, off)
			on, oerr = d.of.ReadAt(ob, off)
		}
		d.sameErr("Read", merr, oerr)
		if mn != on || !bytes.Equal(mb[:mn], ob[:on]) {
			d.fail("Read: %d vs %d: %s", mn, on, testutil.FirstDiff(mb[:mn], ob[:on]))
		}
	case 7: // Rename the file to the other name
		to := other(d.m.name)
		from := d.m.name
		if from == "" {
			from = "f0"
		}
		d.trace = append(d.trace, fmt.Sprintf("Rename(%s, %s)", from, to))
		merr := d.mem.Rename(from, to)
		oerr := d.root.Rename(from, to)
		d.sameErr("Rename", merr, oerr)
		if oerr == nil {
			d.m.name = to
		}
	case 8: // Unlink while open
		name := d.m.name
		if name == "" {
			name = "f0"
		}
		d.trace = append(d.trace, fmt.Sprintf("Remove(%s)", name))
		d.sameErr("Remove", d.mem.Remove(name), d.root.Remove(name))
		d.m.name = ""
	case 9: // Close and reopen by name (or create anew after an unlink)
		name := d.m.name
		if name == "" {
			name = "f0"
		}
		d.trace = append(d.trace, fmt.Sprintf("reopen %s", name))
		d.close()
		merr, oerr := d.open(name, os.O_RDWR)
		d.sameErr("OpenFile", merr, oerr)
		if oerr != nil {
			if merr == nil {
				d.mf.Close()
			}
			if merr, oerr = d.open(name, os.O_RDWR|os.O_CREATE|os.O_EXCL); merr != nil || oerr != nil {
				d.fail("create: %v, %v", merr, oerr)
			}
			d.m = model{name: name}
		}
		d.m.off = 0
	case 10: // O_APPEND write through a second handle
		if d.m.name == "" {
			return
		}
		n := r.n()
		p := make([]byte, n)
		copy(p, testutil.Data(int(n), uint64(d.step)+1<<32))
		d.trace = append(d.trace, fmt.Sprintf("append %d to %s", n, d.m.name))
		ma, merr := d.mem.OpenFile(d.m.name, os.O_WRONLY|os.O_APPEND, 0)
		oa, oerr := d.root.OpenFile(d.m.name, os.O_WRONLY|os.O_APPEND, 0)
		if merr != nil || oerr != nil {
			d.fail("open O_APPEND: %v, %v", merr, oerr)
		}
		_, merr = ma.Write(p)
		_, oerr = oa.Write(p)
		d.sameErr("append Write", merr, oerr)
		_, merr = ma.WriteAt(p, 0)
		_, oerr = oa.WriteAt(p, 0)
		d.sameErr("append WriteAt", merr, oerr)
		mp, _ := ma.Seek(0, io.SeekCurrent)
		op, _ := oa.Seek(0, io.SeekCurrent)
		if mp != op {
			d.fail("O_APPEND offset %d vs %d", mp, op)
		}
		ma.Close()
		oa.Close()
		d.m.data = append(d.m.data, p...)
	case 12: // Reads and writes whose range reaches past math.MaxInt64 (or nothing at the edge)
		k := int64(r.u32() % 16)
		off := math.MaxInt64 - k
		n := int(k) + 1 + int(r.u8()%4)
		if r.u8()%4 == 0 {
			n = 0
		}
		p := make([]byte, n)
		var mn, on int
		var merr, oerr error
		switch sub := r.u8() % 4; sub {
		case 0:
			d.trace = append(d.trace, fmt.Sprintf("ReadAt(%d, MaxInt64-%d)", n, k))
			mn, merr = d.mf.ReadAt(p, off)
			on, oerr = d.of.ReadAt(p, off)
		case 1:
			d.trace = append(d.trace, fmt.Sprintf("WriteAt(%d, MaxInt64-%d)", n, k))
			mn, merr = d.mf.WriteAt(p, off)
			on, oerr = d.of.WriteAt(p, off)
		default:
			d.trace = append(d.trace, fmt.Sprintf("Seek(MaxInt64-%d); %s(%d)", k, map[uint8]string{2: "Read", 3: "Write"}[sub], n))
			_, merr = d.mf.Seek(off, io.SeekStart)
			_, oerr = d.of.Seek(off, io.SeekStart)
			d.sameErr("Seek", merr, oerr)
			if sub == 2 {
				mn, merr = d.mf.Read(p)
				on, oerr = d.of.Read(p)
			} else {
				mn, merr = d.mf.Write(p)
				on, oerr = d.of.Write(p)
			}
			d.mf.Seek(d.m.off, io.SeekStart)
			d.of.Seek(d.m.off, io.SeekStart)
		}
		d.sameErr("huge offset", merr, oerr)
		if mn != on || (n > 0 && mn > 0) {
			d.fail("huge offset: %d vs %d", mn, on)
		}
	case 13: // Truncate by name: truncate(2) is the oracle
		name := d.m.name
		if name == "" {
			name = "f0"
		}
		n := r.off(size)
		if r.u8()%8 == 0 {
			n = -1
		}
		d.trace = append(d.trace, fmt.Sprintf("Truncate(%s, %d)", name, n))
		merr := d.mem.Truncate(name, n)
		oerr := os.Truncate(d.root.Name()+"/"+name, n)
		d.sameErr("Truncate by name", merr, oerr)
		if oerr == nil && name == d.m.name {
			if n < size {
				d.m.data = d.m.data[:n]
			} else {
				d.m.data = append(d.m.data, make([]byte, n-size)...)
			}
		}
	case 11: // O_EXCL on the name
		if d.m.name == "" {
			return
		}
		d.trace = append(d.trace, fmt.Sprintf("O_EXCL %s", d.m.name))
		_, merr := d.mem.OpenFile(d.m.name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		_, oerr := d.root.OpenFile(d.m.name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		d.sameErr("O_EXCL", merr, oerr)
	}
}

// punch punches a hole, with fallocate(2) as the oracle where there is
// one.
func (d *differ) punch(r *opReader, size int64) {
	off, n := r.off(size), r.n()
	if r.u8()%16 == 0 {
		off = -off - 1
	}
	d.trace = append(d.trace, fmt.Sprintf("PunchHole(%d, %d)", off, n))
	ok, oerr := osPunchHole(d.of, off, n)
	if !ok {
		return
	}
	d.sameErr("PunchHole", d.mf.PunchHole(off, n), oerr)
	if oerr == nil && off < size {
		clear(d.m.data[off:min(off+n, size)])
	}
}

// check compares the three after a step.
func (d *differ) check() {
	d.t.Helper()
	mi, err1 := d.mf.Stat()
	oi, err2 := d.of.Stat()
	if err1 != nil || err2 != nil {
		d.fail("Stat: %v, %v", err1, err2)
	}
	want := int64(len(d.m.data))
	if mi.Size() != want || oi.Size() != want {
		d.fail("size: memfs %d, os %d, model %d", mi.Size(), oi.Size(), want)
	}
	mp, _ := d.mf.Seek(0, io.SeekCurrent)
	op, _ := d.of.Seek(0, io.SeekCurrent)
	if mp != op || op != d.m.off {
		d.fail("offset: memfs %d, os %d, model %d", mp, op, d.m.off)
	}
	got := make([]byte, want)
	if n, err := d.mf.ReadAt(got, 0); int64(n) != want || (err != nil && err != io.EOF) {
		d.fail("ReadAt all: %d, %v", n, err)
	}
	if !bytes.Equal(got, d.m.data) {
		d.fail("memfs content: %s", testutil.FirstDiff(got, d.m.data))
	}
	if n, err := d.of.ReadAt(got, 0); int64(n) != want || (err != nil && err != io.EOF) {
		d.fail("os ReadAt all: %d, %v", n, err)
	}
	if !bytes.Equal(got, d.m.data) {
		d.fail("os content (model broken): %s", testutil.FirstDiff(got, d.m.data))
	}
	for _, name := range []string{"f0", "f1"} {
		_, merr := d.mem.Stat(name)
		_, oerr := d.root.Stat(name)
		if (merr == nil) != (oerr == nil) {
			d.fail("Stat(%s): %v vs %v", name, merr, oerr)
		}
	}
}

func runOps(t *testing.T, ops []byte) {
	dir := oracleDir(t)
	hostPath := filepath.Join(t.TempDir(), "host") // ext4 here: read through a mapping
	if err := os.WriteFile(hostPath, hostData, 0o644); err != nil {
		t.Fatal(err)
	}
	host, err := os.Open(hostPath)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	os.Mkdir(filepath.Join(dir, "root"), 0o755)
	root, err := os.OpenRoot(filepath.Join(dir, "root"))
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	mem := memfs.New()
	defer mem.Close()
	d := &differ{t: t, mem: mem, root: root, host: host, m: model{name: "f0"}}
	if merr, oerr := d.open("f0", os.O_RDWR|os.O_CREATE|os.O_EXCL); merr != nil || oerr != nil {
		t.Fatal(merr, oerr)
	}
	defer d.close()
	r := &opReader{b: ops}
	for d.step = 0; len(r.b) > 0 && d.step < 200; d.step++ {
		d.do(r)
		d.check()
	}
}

func FuzzOps(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 10, 0, 0, 0, 1, 5, 255, 255, 0, 0, 1})
	f.Add([]byte{3, 0, 16, 0, 0, 2, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Add([]byte{8, 9, 0, 50, 0, 0, 0, 9})
	// Random sequences, fixed seeds: part of every go test run.
	rng := rand.New(rand.NewPCG(1, 2))
	seeds := 40
	if testing.Short() {
		seeds = 15
	}
	for range seeds {
		b := make([]byte, 60+rng.IntN(400))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		f.Add(b)
	}
	f.Fuzz(runOps)
}
