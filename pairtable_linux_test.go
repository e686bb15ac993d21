package zcopy_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy"
	"github.com/zcopy/zcopy/internal/testutil"
)

// pairRow is one row of README.md's table "Which path each pair takes": the
// copy it describes and the report line zcopy must print for it. Each copy
// runs twice; the second must make no failing system call (refusals are
// cached per pair of kinds and filesystems, so it goes straight to the
// method that worked).
type pairRow struct {
	row  string // the row's first column, as in README.md
	copy func(t *testing.T, e *env, opts ...zcopy.Option) zcopy.Report
	want string // a regexp the report of the first copy must match
}

// perDescriptor lists rows whose refusal is not a probe of the pair of kinds
// and filesystems, so it is not cached: O_APPEND belongs to the descriptor,
// and the eventfd refuses splice only after the socket's bytes moved into
// the pipe (they are then delivered by read/write).
var perDescriptor = map[string]bool{
	"file → file opened `O_APPEND`": true,
	"TCP / Unix → eventfd":          true,
}

func pairRows() []pairRow {
	kinds := func(s, d kind, size int) func(t *testing.T, e *env, opts ...zcopy.Option) zcopy.Report {
		return func(t *testing.T, e *env, opts ...zcopy.Option) zcopy.Report {
			return reportOf(t, e.newDest(t, d).w, e.newSource(t, s, testutil.Data(size, 80), 0).r, opts...)
		}
	}
	return []pairRow{
		{"file → file, same filesystem", kinds(kExt4, kExt4, 3<<20),
			`^regular file \(ext4\) -> regular file \(ext4\): copy_file_range: yes \(1048576 bytes, 1 calls\), clone: no \((EOPNOTSUPP|ENOTSUP)( \(cached\))?\), copy_file_range: yes \(2097152 bytes, \d+ calls\)$`},
		{"file → file, across filesystems", kinds(kExt4, kTmpfs, 3<<20),
			`^regular file \(ext4\) -> regular file \(tmpfs\): (copy_file_range: no \(EXDEV\), )?(clone: no \(EXDEV( \(cached\))?\), )?(copy_file_range: no \(EXDEV \(cached\)\), )?sendfile: yes \(3145728 bytes, \d+ calls\)$`},
		{"file → file opened `O_APPEND`", func(t *testing.T, e *env, opts ...zcopy.Option) zcopy.Report {
			d := emptyFile(t, e.ext4)
			unix.FcntlInt(d.Fd(), unix.F_SETFL, unix.O_APPEND)
			return reportOf(t, d, newSrcFile(t, e.ext4, testutil.Data(3<<20, 81), 0), opts...)
		}, `^regular file \(ext4\) -> regular file \(ext4\): copy_file_range: no \(EBADF\), clone: no \(O_APPEND destination\), sendfile: no \(O_APPEND destination\), read/write: yes \(3145728 bytes, \d+ calls\)$`},
		{"file → /dev/null", kinds(kExt4, kNull, 3<<20),
			`^regular file \(ext4\) -> character device: (copy_file_range: no \(EINVAL\), )?sendfile: yes \(3145728 bytes, \d+ calls\)$`},
		{"file → block device", func(t *testing.T, e *env, opts ...zcopy.Option) zcopy.Report {
			testutil.NeedRoot(t)
			return kinds(kExt4, kBlock, 1<<20)(t, e, opts...)
		}, `^regular file \(ext4\) -> block device: (copy_file_range: no \(EINVAL\), )?sendfile: yes \(1048576 bytes, \d calls\)$`},
		{"file → pipe / stdout pipe", kinds(kExt4, kPipe, 3<<20),
			`^regular file \(ext4\) -> pipe: (copy_file_range: no \(EINVAL\), )?splice: yes \(3145728 bytes, \d+ calls\)$`},
		{"file → TCP / Unix socket", kinds(kExt4, kUnix, 3<<20),
			`^regular file \(ext4\) -> unix socket: sendfile: yes \(3145728 bytes, \d+ calls\)$`},
		{"file → TCP / Unix socket, `Strict()`", func(t *testing.T, e *env, opts ...zcopy.Option) zcopy.Report {
			return kinds(kExt4, kTCP, 3<<20)(t, e, append(opts, zcopy.Strict())...)
		}, `^regular file \(ext4\) -> tcp socket: (clone|copy_file_range): no \(source is a regular file\)|sendfile: no \(strict mode\), splice: no \(strict mode\), read/write: yes \(3145728 bytes, \d+ calls\)$`},
		{"block device → file / socket / pipe", func(t *testing.T, e *env, opts ...zcopy.Option) zcopy.Report {
			testutil.NeedRoot(t)
			return kinds(kBlock, kUnix, 1<<20)(t, e, opts...)
		}, `^block device -> unix socket: sendfile: yes \(1048576 bytes, \d+ calls\)$`},
		{"/proc, /sys file (size 0) → anything", kinds(kProc, kExt4, 0),
			`^regular file \(proc\) -> regular file \(ext4\): (copy_file_range: no \(EXDEV\), )?(clone: no \(source size 0\), )?(copy_file_range: no \(source size 0\), )?sendfile: no \(source size 0\), read/write: yes \(\d+ bytes, 3 calls\)$`},
		{"pipe / stdin → file, pipe, socket", kinds(kPipe, kExt4, 3<<20),
			`^pipe -> regular file \(ext4\): (copy_file_range: no \(EINVAL\), )?splice: yes \(3145728 bytes, \d+ calls\)$`},
		{"TCP / Unix → file", kinds(kTCP, kExt4, 3<<20),
			`^tcp socket -> regular file \(ext4\): splice: yes \(3145728 bytes, \d+ calls\)$`},
		{"TCP / Unix → pipe", kinds(kUnix, kPipe, 3<<20),
			`^unix socket -> pipe: splice: yes \(3145728 bytes, \d+ calls\)$`},
		{"TCP ↔ Unix, TCP → TCP", kinds(kTCP, kUnix, 3<<20),
			`^tcp socket -> unix socket: splice: yes \(3145728 bytes, \d+ calls\)$`},
		{"Unix → Unix", kinds(kUnix, kUnix, 3<<20),
			`^unix socket -> unix socket: splice: yes \(3145728 bytes, \d+ calls\)$`},
		{"TCP / Unix → eventfd", func(t *testing.T, e *env, opts ...zcopy.Option) zcopy.Report {
			c, s := tcpPair(t)
			go func() { binary.Write(c, binary.NativeEndian, uint64(7)); c.Close() }()
			fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
			if err != nil {
				t.Skipf("eventfd: %v", err)
			}
			ev := os.NewFile(uintptr(fd), "eventfd")
			closeOnCleanup(t, ev)
			rep := reportOf(t, ev, s, opts...)
			var v uint64
			if err := binary.Read(ev, binary.NativeEndian, &v); err != nil || v != 7 {
				t.Errorf("eventfd counter %d, %v; want the 7 sent", v, err)
			}
			return rep
		}, `^tcp socket -> other: splice: no \(destination refused splice\), read/write: yes \(8 bytes, \d+ calls\)`},
		{"`io.SectionReader`(file) → anything", func(t *testing.T, e *env, opts ...zcopy.Option) zcopy.Report {
			f := newSrcFile(t, e.ext4, testutil.Data(3<<20, 82), 0)
			return reportOf(t, e.newDest(t, kTmpfs).w, io.NewSectionReader(f, 4096, 2<<20), opts...)
		}, `^regular file \(ext4\) -> regular file \(tmpfs\): (copy_file_range: no \(EXDEV\), )?(clone: no \(EXDEV( \(cached\))?\), )?(copy_file_range: no \(EXDEV \(cached\)\), )?sendfile: yes \(2097152 bytes, \d+ calls\)$`},
		{"`bufio.Reader`(file or socket) → anything", func(t *testing.T, e *env, opts ...zcopy.Option) zcopy.Report {
			br := bufio.NewReader(e.newSource(t, kUnix, testutil.Data(3<<20, 83), 0).r)
			br.Peek(100)
			return reportOf(t, emptyFile(t, e.ext4), br, opts...)
		}, `^unix socket -> regular file \(ext4\): read/write: yes \(\d+ bytes, 1 calls\), splice: yes \(\d+ bytes, \d+ calls\)$`},
		{"`bufio.Writer`(file or socket)", func(t *testing.T, e *env, opts ...zcopy.Option) zcopy.Report {
			bw := bufio.NewWriter(e.newDest(t, kUnix).w)
			bw.WriteString("pending")
			return reportOf(t, bw, newSrcFile(t, e.ext4, testutil.Data(3<<20, 84), 0), opts...)
		}, `^regular file \(ext4\) -> unix socket: sendfile: yes \(3145728 bytes, \d+ calls\)$`},
		{"small copies", kinds(kExt4, kExt4, 1<<10),
			`^regular file \(ext4\) -> regular file \(ext4\): copy_file_range: yes \(1024 bytes, 2 calls\)$`},
		{"a type that embeds `*os.File` or a conn", func(t *testing.T, e *env, opts ...zcopy.Option) zcopy.Report {
			return reportOf(t, emptyFile(t, e.ext4), rot13File{newSrcFile(t, e.ext4, testutil.Data(1<<20, 85), 0)}, opts...)
		}, `^zcopy_test.rot13File -> \*os.File: io.Copy: yes \(1048576 bytes, 0 calls\)$`},
	}
}

// reportOf copies src to dst and returns the report.
func reportOf(t *testing.T, dst io.Writer, src io.Reader, opts ...zcopy.Option) zcopy.Report {
	t.Helper()
	var rep zcopy.Report
	if _, err := zcopy.CopyContext(context.Background(), dst, src, append(opts, zcopy.WithReport(&rep))...); err != nil {
		t.Fatalf("copy: %v\nreport: %s", err, &rep)
	}
	return rep
}

// TestPairTable runs every row of README.md's pair table and checks the
// report line it documents; a README row without a case here fails.
func TestPairTable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := tableRows(string(readme), "### Which path each pair takes")
	rows := pairRows()
	tested := map[string]bool{}
	for _, r := range rows {
		tested[r.row] = true
	}
	for _, d := range documented {
		if !tested[d] {
			t.Errorf("README.md row %q has no case in pairRows", d)
		}
	}
	e := newEnv(t)
	for _, r := range rows {
		t.Run(r.row, func(t *testing.T) {
			if !contains(documented, r.row) {
				t.Errorf("row %q is not in README.md's table", r.row)
			}
			first := r.copy(t, e)
			if !regexp.MustCompile(r.want).MatchString(first.String()) {
				t.Errorf("report:\n\t%s\nREADME.md documents (regexp):\n\t%s", &first, r.want)
			}
			second := r.copy(t, e)
			for _, a := range second.Attempts {
				if !a.Used && a.Calls > 0 && !perDescriptor[r.row] {
					t.Errorf("the second copy still made %d failing %v calls (%s): refusals are not cached\nreport: %s", a.Calls, a.Method, a.Reason, &second)
				}
			}
		})
	}
}

// tableRows returns the first cells of the Markdown table under heading.
func tableRows(doc, heading string) []string {
	_, rest, ok := strings.Cut(doc, heading)
	if !ok {
		return nil
	}
	var rows []string
	for _, line := range strings.Split(rest, "\n") {
		if strings.HasPrefix(line, "#") {
			break
		}
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "|---") {
			continue
		}
		cell := strings.TrimSpace(strings.Split(line, "|")[1])
		if cell != "source → destination" {
			rows = append(rows, cell)
		}
	}
	return rows
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
