package testutil

import (
	"errors"

	"golang.org/x/sys/unix"
)

// PageSize is the granularity of tmpfs's holes.
const PageSize = 4096

// DataRanges lists a file's data as [start, end) ranges, found with
// seek's SEEK_DATA and SEEK_HOLE (lseek(2) of the file) from offset 0.
func DataRanges(seek func(off int64, whence int) (int64, error)) ([][2]int64, error) {
	var out [][2]int64
	for pos := int64(0); ; {
		d, err := seek(pos, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		h, err := seek(d, unix.SEEK_HOLE)
		if err != nil {
			return nil, err
		}
		if h <= d {
			return nil, errors.New("SEEK_HOLE did not move past SEEK_DATA")
		}
		out = append(out, [2]int64{d, h})
		pos = h
	}
}

// PageSeek is lseek(2)'s SEEK_DATA or SEEK_HOLE answer at off for a file
// of the given size whose data bytes are ranges, at page granularity:
// tmpfs keeps data in whole pages, so every page holding a data byte is
// data. It turns byte-exact holes (memfs's) into what tmpfs answers for
// the same bytes written to it.
func PageSeek(ranges [][2]int64, size, off int64, whence int) (int64, error) {
	if off < 0 {
		return 0, unix.EINVAL
	}
	if off >= size {
		return 0, unix.ENXIO
	}
	isData := func(page int64) bool {
		a, b := page*PageSize, (page+1)*PageSize
		for _, r := range ranges {
			if r[0] < b && r[1] > a {
				return true
			}
		}
		return false
	}
	last := (size - 1) / PageSize
	for p := off / PageSize; p <= last; p++ {
		if isData(p) == (whence == unix.SEEK_DATA) {
			return max(p*PageSize, off), nil
		}
	}
	if whence == unix.SEEK_DATA {
		return 0, unix.ENXIO
	}
	return size, nil
}
