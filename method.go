package zcopy

import "strings"

// Method is a way of moving bytes. The zero value is no method.
type Method uint8

const (
	// Clone shares the source's blocks with the destination (FICLONERANGE):
	// no data moves. Regular files on btrfs, XFS and other reflink
	// filesystems, when the whole remaining range is block-aligned.
	Clone Method = iota + 1
	// CopyFileRange copies inside the kernel with copy_file_range(2); it
	// reflinks where it can and does server-side copies on NFS.
	CopyFileRange
	// Sendfile moves from a file or device to anything with sendfile(2).
	Sendfile
	// Splice moves through a pipe with splice(2): directly when one side
	// is a pipe, through a pooled pipe otherwise.
	Splice
	// Mmap maps the source and writes from the mapping. Opt-in only: it is
	// never chosen unless [Only] names it.
	Mmap
	// Uring copies through an io_uring ring (internal/uring): blocks read
	// at independent offsets, each written as its read completes, from a
	// regular file or block device to a file, block device or stream
	// socket. By default it is chosen only where it measured faster than
	// copy_file_range: a file of 256 MiB or more, on ext4 to ext4, mostly
	// not in the page cache (then read with O_DIRECT); [Only] forces it
	// anywhere, [WithUring] tunes it. See BENCHMARKS.md (io_uring).
	Uring
	// ReadWrite is a read/write loop with a buffer sized for the pair.
	ReadWrite
	// Generic is io.Copy itself, used when a side has no descriptor: the
	// types' own WriterTo/ReaderFrom keep working.
	Generic
	// Hole skips a run of zeros of a [SegmentReader] source by seeking a
	// regular-file destination past its end, leaving a hole; it is not
	// chosen for other copies and is not in [Methods].
	Hole

	numMethods = iota + 1
)

var methodNames = [numMethods]string{
	Clone:         "clone",
	CopyFileRange: "copy_file_range",
	Sendfile:      "sendfile",
	Splice:        "splice",
	Mmap:          "mmap",
	Uring:         "uring",
	ReadWrite:     "read/write",
	Generic:       "io.Copy",
	Hole:          "hole",
}

func (m Method) String() string {
	if m > 0 && int(m) < len(methodNames) {
		return methodNames[m]
	}
	return "none"
}

// ParseMethod returns the method with the given [Method.String] name.
func ParseMethod(s string) (Method, bool) {
	for m, name := range methodNames {
		if name != "" && strings.EqualFold(name, s) {
			return Method(m), true
		}
	}
	return 0, false
}

// Methods lists every method in the order zcopy prefers them.
func Methods() []Method {
	return []Method{Clone, CopyFileRange, Sendfile, Splice, Mmap, Uring, ReadWrite, Generic}
}

// methodSet is a bit set of methods.
type methodSet uint16

func (s methodSet) has(m Method) bool { return s&(1<<m) != 0 }

func setOf(ms ...Method) methodSet {
	var s methodSet
	for _, m := range ms {
		s |= 1 << m
	}
	return s
}

// defaultMethods is everything but Mmap, which is only a benchmark contender
// (mmap/send in the article "Rust io::copy with Linux Zero-Copy API") and
// risks SIGBUS when the file shrinks; it is opt-in. Uring is in, but skip
// lets it through only where it measured faster (uringPays).
var defaultMethods = setOf(Clone, CopyFileRange, Sendfile, Splice, Uring, ReadWrite, Generic)
