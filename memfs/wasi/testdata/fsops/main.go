//go:build wasip1

// Command fsops is a wasip1 guest that applies seeded random file
// operations under a directory and prints every result, so that its
// output over two filesystems can be compared line by line. It prints
// nothing that legitimately differs between filesystems: no inode
// numbers, no times it did not set itself, no directory sizes.
//
//	fsops -dir /work -seed 1 -seeds 100 -ops 60
package main

import (
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	dir := flag.String("dir", "/work", "where each seed gets its directory")
	seed := flag.Uint64("seed", 1, "first seed")
	seeds := flag.Int("seeds", 1, "number of seeds")
	ops := flag.Int("ops", 60, "operations per seed")
	flag.Parse()
	for s := *seed; s < *seed+uint64(*seeds); s++ {
		root := path.Join(*dir, fmt.Sprint("s", s))
		if err := os.Mkdir(root, 0o755); err != nil {
			fmt.Println("setup:", err)
			os.Exit(1)
		}
		r := &runner{rnd: rand.New(rand.NewPCG(s, 0x6d656d6673)), root: root, out: os.Stdout, seed: s}
		for i := 0; i < *ops; i++ {
			r.step(i)
		}
		r.closeAll()
		r.dump(".")
	}
}

type handle struct {
	f    *os.File
	name string
	dir  bool
}

type runner struct {
	rnd     *rand.Rand
	root    string
	out     io.Writer
	seed    uint64
	handles []*handle
}

// names are the paths operations pick from: nested, with trailing
// slashes and "..".
var names = []string{"a", "b", "c", "d", "e", "d/a", "d/b", "d/e", "d/e/f", "e/a", "a/", "d/", "d/e/", "d/../b", "d/e/../a", "x/a"}

// targets are symlink targets: relative, dangling, looping, ending in "/".
var targets = []string{"a", "b", "d", "d/a", "../a", "x", "l", "d/e", "d/", "x/", "d/x/"}

func (r *runner) name() string { return names[r.rnd.IntN(len(names))] }

func (r *runner) p(name string) string {
	return r.root + "/" + name
}

func (r *runner) printf(format string, args ...any) {
	fmt.Fprintf(r.out, "%d ", r.seed)
	fmt.Fprintf(r.out, format, args...)
	fmt.Fprintln(r.out)
}

// errStr is an error's errno, or its text without the guest path.
func errStr(err error) string {
	if err == nil {
		return "ok"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return "errno " + errno.Error()
	}
	if errors.Is(err, io.EOF) {
		return "EOF"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

func (r *runner) data() []byte {
	n := []int{0, 1, 7, 100, 4096, 5000}[r.rnd.IntN(6)]
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.rnd.IntN(256))
	}
	return b
}

func describe(fi fs.FileInfo) string {
	st, _ := fi.Sys().(*syscall.Stat_t)
	nlink := uint64(0)
	if st != nil {
		nlink = st.Nlink
	}
	size := fi.Size()
	if fi.IsDir() {
		size = -1 // differs between filesystems
	}
	return fmt.Sprintf("%s %v size=%d nlink=%d", fi.Name(), fi.Mode(), size, nlink)
}

func (r *runner) pickHandle() (*handle, int) {
	if len(r.handles) == 0 {
		return nil, -1
	}
	i := r.rnd.IntN(len(r.handles))
	return r.handles[i], i
}

var fixedTime = time.Date(2001, 2, 3, 4, 5, 6, 789012345, time.UTC)

func (r *runner) step(i int) {
	switch op := r.rnd.IntN(24); op {
	case 0, 1, 2:
		name := r.name()
		flags := []int{os.O_RDONLY, os.O_WRONLY, os.O_RDWR}[r.rnd.IntN(3)]
		for _, f := range []int{os.O_CREATE, os.O_EXCL, os.O_TRUNC, os.O_APPEND} {
			if r.rnd.IntN(3) == 0 {
				flags |= f
			}
		}
		f, err := os.OpenFile(r.p(name), flags, 0o640)
		r.printf("open %s %#x: %s", name, flags, errStr(err))
		if err == nil {
			fi, err := f.Stat()
			dir := err == nil && fi.IsDir()
			r.handles = append(r.handles, &handle{f: f, name: name, dir: dir})
			if len(r.handles) > 4 {
				r.closeHandle(0)
			}
		}
	case 3:
		if h, _ := r.pickHandle(); h != nil {
			b := r.data()
			n, err := h.f.Write(b)
			r.printf("write %s %d: %d %s", h.name, len(b), n, errStr(err))
		}
	case 4:
		if h, _ := r.pickHandle(); h != nil {
			b := r.data()
			off := int64(r.rnd.IntN(9000)) - 10
			n, err := h.f.WriteAt(b, off)
			r.printf("pwrite %s %d@%d: %d %s", h.name, len(b), off, n, errStr(err))
		}
	case 5:
		if h, _ := r.pickHandle(); h != nil {
			b := make([]byte, r.rnd.IntN(6000))
			n, err := h.f.Read(b)
			r.printf("read %s %d: %d %08x %s", h.name, len(b), n, crc32.ChecksumIEEE(b[:n]), errStr(err))
		}
	case 6:
		if h, _ := r.pickHandle(); h != nil {
			b := make([]byte, r.rnd.IntN(6000))
			off := int64(r.rnd.IntN(9000)) - 10
			n, err := h.f.ReadAt(b, off)
			r.printf("pread %s %d@%d: %d %08x %s", h.name, len(b), off, n, crc32.ChecksumIEEE(b[:n]), errStr(err))
		}
	case 7:
		if h, _ := r.pickHandle(); h != nil && !h.dir {
			whence := r.rnd.IntN(3)
			off := int64(r.rnd.IntN(6000)) - 1000
			pos, err := h.f.Seek(off, whence)
			r.printf("seek %s %d,%d: %d %s", h.name, off, whence, pos, errStr(err))
		}
	case 8:
		if h, _ := r.pickHandle(); h != nil {
			size := int64(r.rnd.IntN(9000)) - 5
			err := h.f.Truncate(size)
			r.printf("ftruncate %s %d: %s", h.name, size, errStr(err))
		}
	case 9:
		if h, i := r.pickHandle(); h != nil {
			r.closeHandle(i)
		}
	case 10:
		if h, _ := r.pickHandle(); h != nil {
			fi, err := h.f.Stat()
			if err != nil {
				r.printf("fstat %s: %s", h.name, errStr(err))
			} else {
				r.printf("fstat %s: %s", h.name, describe(fi))
			}
		}
	case 11:
		name := r.name()
		err := os.Mkdir(r.p(name), 0o750)
		r.printf("mkdir %s: %s", name, errStr(err))
	case 12:
		name := r.name()
		err := os.Remove(r.p(name))
		r.printf("remove %s: %s", name, errStr(err))
	case 13:
		from, to := r.name(), r.name()
		err := os.Rename(r.p(from), r.p(to))
		r.printf("rename %s %s: %s", from, to, errStr(err))
	case 14:
		from, to := r.name(), r.name()
		err := os.Link(r.p(from), r.p(to))
		r.printf("link %s %s: %s", from, to, errStr(err))
	case 15:
		target, name := targets[r.rnd.IntN(len(targets))], r.name()
		if r.rnd.IntN(4) == 0 {
			name = "l"
		}
		err := os.Symlink(target, r.p(name))
		r.printf("symlink %s %s: %s", target, name, errStr(err))
	case 16:
		name := r.name()
		target, err := os.Readlink(r.p(name))
		r.printf("readlink %s: %q %s", name, target, errStr(err))
	case 17:
		name := r.name()
		fi, err := os.Stat(r.p(name))
		if err != nil {
			r.printf("stat %s: %s", name, errStr(err))
		} else {
			r.printf("stat %s: %s", name, describe(fi))
		}
	case 18:
		name := r.name()
		fi, err := os.Lstat(r.p(name))
		if err != nil {
			r.printf("lstat %s: %s", name, errStr(err))
		} else {
			r.printf("lstat %s: %s", name, describe(fi))
		}
	case 19:
		name := r.name()
		size := int64(r.rnd.IntN(9000)) - 5
		err := os.Truncate(r.p(name), size)
		r.printf("truncate %s %d: %s", name, size, errStr(err))
	case 20:
		name := r.name()
		err := os.Chtimes(r.p(name), fixedTime, fixedTime.Add(time.Duration(r.rnd.IntN(1000))))
		r.printf("chtimes %s: %s", name, errStr(err))
		if fi, err := os.Stat(r.p(name)); err == nil {
			r.printf("  mtime %d", fi.ModTime().UnixNano())
		}
	case 21:
		name := r.name()
		b, err := os.ReadFile(r.p(name))
		r.printf("readfile %s: %d %08x %s", name, len(b), crc32.ChecksumIEEE(b), errStr(err))
	case 22:
		name := r.name()
		entries, err := os.ReadDir(r.p(name))
		var s []string
		for _, e := range entries {
			s = append(s, e.Name()+":"+e.Type().String())
		}
		r.printf("readdir %s: %v %s", name, s, errStr(err))
	case 23:
		if h, _ := r.pickHandle(); h != nil && h.dir {
			n := r.rnd.IntN(3)
			names, err := h.f.Readdirnames(n)
			r.printf("readdirnames %s %d: %d %s", h.name, n, len(names), errStr(err))
		} else if h != nil {
			err := h.f.Sync()
			r.printf("sync %s: %s", h.name, errStr(err))
		}
	}
}

func (r *runner) closeHandle(i int) {
	h := r.handles[i]
	err := h.f.Close()
	r.printf("close %s: %s", h.name, errStr(err))
	r.handles = append(r.handles[:i], r.handles[i+1:]...)
}

func (r *runner) closeAll() {
	for len(r.handles) > 0 {
		r.closeHandle(0)
	}
}

// dump prints the tree under the seed's directory: names, types, modes,
// sizes, link counts, contents and link targets.
func (r *runner) dump(name string) {
	entries, err := os.ReadDir(r.p(name))
	if err != nil {
		r.printf("dump %s: %s", name, errStr(err))
		return
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		p := path.Join(name, e.Name())
		fi, err := os.Lstat(r.p(p))
		if err != nil {
			r.printf("dump %s: %s", p, errStr(err))
			continue
		}
		line := "dump " + strings.TrimPrefix(p, "./") + " " + describe(fi)
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			t, err := os.Readlink(r.p(p))
			line += fmt.Sprintf(" -> %q %s", t, errStr(err))
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(r.p(p))
			line += fmt.Sprintf(" %08x %s", crc32.ChecksumIEEE(b), errStr(err))
		}
		r.printf("%s", line)
		if fi.IsDir() {
			r.dump(p)
		}
	}
}
