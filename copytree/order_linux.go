package copytree

import (
	"encoding/binary"
	"io"
	"os"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/eintr"
)

// dirInodes lists the directory open at fd for each name's d_ino, the
// key GNU's savedir sorts a directory's entries by, in readdir order; nil
// if it cannot be read. It reads fd again from its start: the walk has
// read it to its end. (Opening "." through it would need search
// permission, which listing a directory does not.)
func dirInodes(fd int) []dirent {
	if _, err := unix.Seek(fd, 0, io.SeekStart); err != nil {
		return nil
	}
	var ents []dirent
	buf := make([]byte, 32<<10)
	for {
		var n int
		err := eintr.Retry(func() (err error) {
			n, err = unix.Getdents(fd, buf)
			return err
		})
		if err != nil || n <= 0 {
			return ents
		}
		// struct linux_dirent64: ino u64, off s64, reclen u16, type u8,
		// name. The names are cut from one string of the whole buffer.
		chunk := string(buf[:n])
		for off := 0; n-off >= 19; {
			b := buf[off:n]
			reclen := int(binary.NativeEndian.Uint16(b[16:]))
			if reclen < 19 || reclen > len(b) {
				return ents
			}
			name := chunk[off+19 : off+reclen]
			if i := strings.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if name != "." && name != ".." {
				ents = append(ents, dirent{name, binary.NativeEndian.Uint64(b)})
			}
			off += reclen
		}
	}
}

// sortedNamesAt is sortedNames for the directory rel below the operand
// src, opened by name: the walk's descriptor is closed by now.
func sortedNamesAt(src, rel string) []string {
	path := src
	if rel != "" {
		path = strings.TrimSuffix(src, "/") + "/" + rel
	}
	fd, err := openat(unix.AT_FDCWD, path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(fd)
	return sortedNames(fd)
}

// linkCount is fi's number of names, 0 if unknown.
func linkCount(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 0
}

// The walk's hooks (tree_linux.go): what it tells the order as it goes.

// dirKey is the order's name for a directory the walk names by srcRel.
func dirKey(srcRel string) string {
	if srcRel == "." {
		return ""
	}
	return srcRel
}

// openDir notes that the entry srcRel is a directory whose entries
// follow its own lines.
func (out *operandOutput) openDir(srcRel string) {
	rel := dirKey(srcRel)
	o := &out.c.order
	o.mu.Lock()
	defer o.mu.Unlock()
	if out.out || out.dirs[rel] != nil {
		return
	}
	p, name := out.parentOf(rel)
	d := &dirOut{parent: p, rel: rel}
	e := p.ent(name)
	d.head, e.lines = e.lines, nil
	e.dir = d
	out.dirs[rel] = d
}

// listed gives the directory srcRel's entries, in GNU's order, read
// again from the source directory fd the walk has listed (-1: none were
// read). Called before the directory's after-the-children lines can
// come.
func (out *operandOutput) listed(srcRel string, fd int) {
	rel := dirKey(srcRel)
	o := &out.c.order
	var names []string
	if fd >= 0 {
		need := out.perEntry
		if !need {
			o.mu.Lock()
			d := out.dirs[rel]
			need = d != nil && d.below
			o.mu.Unlock()
		}
		if need {
			names = sortedNames(fd)
		} else {
			names = nil // read when a line comes below it (sortedNamesAt)
		}
	}
	o.mu.Lock()
	if d := out.dirs[rel]; d != nil && !d.listed {
		d.listed, d.order = true, names
		d.sorted = fd < 0 || names != nil
	}
	out.c.handOut()
}

// sortedNames lists a directory's entries as gnulib's savedir gives
// them: by d_ino, equal ones in readdir order.
func sortedNames(fd int) []string {
	ents := dirInodes(fd)
	slices.SortStableFunc(ents, func(a, b dirent) int {
		switch {
		case a.ino < b.ino:
			return -1
		case a.ino > b.ino:
			return 1
		}
		return 0
	})
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.name
	}
	return names
}

// dirent is a directory entry's name and d_ino.
type dirent struct {
	name string
	ino  uint64
}

// entryDone notes that the entries names of the directory srcRel are
// copied: all their lines are in. A subdirectory is done with dirDone.
func (out *operandOutput) entryDone(srcRel string, names ...string) {
	if !out.perEntry {
		return
	}
	o := &out.c.order
	o.mu.Lock()
	if d := out.dirs[dirKey(srcRel)]; d != nil {
		for _, name := range names {
			if e := d.ent(name); e.dir == nil {
				e.done = true
			}
		}
	}
	out.c.handOut()
}

// entriesDone is entryDone for a batch of listed entries.
func (out *operandOutput) entriesDone(srcRel string, ents []os.DirEntry) {
	if !out.perEntry {
		return
	}
	names := make([]string, len(ents))
	for i, de := range ents {
		names[i] = de.Name()
	}
	out.entryDone(srcRel, names...)
}

// dirDone notes that the directory srcRel and everything below it are
// finished, its after-the-children lines in.
func (out *operandOutput) dirDone(srcRel string) {
	rel := dirKey(srcRel)
	if rel == "" {
		return // the operand is finished when its copy returns (finishOutput)
	}
	o := &out.c.order
	o.mu.Lock()
	if d := out.dirs[rel]; d != nil {
		d.done = true
	}
	out.c.handOut()
}
