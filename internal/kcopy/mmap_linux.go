package kcopy

import (
	"cmp"
	"errors"
	"os"
	"runtime/debug"
	"syscall"

	"golang.org/x/sys/unix"
)

// mmapWindow is how much of the source one mapping covers: large enough
// that map/unmap costs vanish, small enough not to pin much address space.
const mmapWindow = 64 << 20

// errFault is what a write from a mapping whose file shrank turns into.
var errFault = errors.New("source shrank under the mapping")

// Mmap copies a regular-file source by mapping windows of it read-only and
// passing them to write, which writes to the destination (the caller's
// io.Writer). It moves bytes up to the source size seen at classification
// and then returns [ErrContinue], so that a read settles EOF and picks up
// anything appended. A source truncated under the mapping makes the write
// fail with EFAULT (or a SIGBUS inside Go code, turned into a panic by
// debug.SetPanicOnFault); either ends the mmap part early, and the read that
// follows sees the new EOF.
func Mmap(p *Pair, remain int64, write func([]byte) (int, error)) (written int64, handled bool, err error) {
	if p.Src.Kind != KindRegular || p.Src.Size <= 0 {
		return 0, false, unix.EINVAL
	}
	pos := p.Src.Pos
	if pos < 0 {
		if err := p.Src.RC.Control(func(fd uintptr) { pos, err = unix.Seek(int(fd), 0, unix.SEEK_CUR) }); err != nil {
			return 0, false, err
		}
		if err != nil {
			return 0, false, err
		}
	}
	end := p.Src.Size
	if remain >= 0 && pos+remain < end {
		end = pos + remain
	}
	start := pos
	for pos < end {
		if err := p.ctxErr(); err != nil {
			break
		}
		base := pos &^ int64(os.Getpagesize()-1)
		var data []byte
		var merr error
		if err := p.Src.RC.Control(func(fd uintptr) {
			// A source truncated since it was classified does not
			// fault in its last page: the bytes past the new EOF read
			// as zeros and would be copied. Map only what is there
			// now (TestSourceShrinks/mmap).
			var st unix.Stat_t
			if merr = unix.Fstat(int(fd), &st); merr != nil || st.Size <= pos {
				end = min(end, st.Size)
				return
			}
			end = min(end, st.Size)
			length := min(end-base, mmapWindow)
			if p.Chunk > 0 {
				length = min(length, max(p.Chunk, int64(os.Getpagesize())))
			}
			data, merr = unix.Mmap(int(fd), base, int(length), unix.PROT_READ, unix.MAP_SHARED)
		}); err != nil {
			merr = err
		}
		if merr == nil && data == nil {
			break // the source ends at pos now
		}
		if merr != nil {
			if written == 0 {
				return 0, false, merr
			}
			break
		}
		unix.Madvise(data, unix.MADV_SEQUENTIAL)
		n, werr := writeMapped(write, data[pos-base:])
		unix.Munmap(data)
		p.Calls += 4 // fstat, mmap, write, munmap
		written += int64(n)
		pos += int64(n)
		p.progress(int64(n))
		if werr != nil {
			if errors.Is(werr, syscall.EFAULT) || werr == errFault {
				break
			}
			err = werr
			break
		}
	}
	if p.Src.Pos >= 0 {
		p.Src.Pos = pos
	} else if pos != start {
		var serr error
		cerr := p.Src.RC.Control(func(fd uintptr) { _, serr = unix.Seek(int(fd), pos, unix.SEEK_SET) })
		if err == nil {
			err = cmp.Or(cerr, serr)
		}
	}
	if err == nil {
		err = ErrContinue
	}
	return written, true, err
}

// writeMapped calls write with a mapped buffer, turning a fault on a page
// that vanished (SIGBUS) into errFault instead of a crash.
func writeMapped(write func([]byte) (int, error), b []byte) (n int, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if re, ok := r.(interface{ Addr() uintptr }); ok && re != nil {
				err = errFault
				return
			}
			panic(r)
		}
	}()
	return write(b)
}
