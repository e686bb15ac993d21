package copytree

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/zcopy/zcopy"
)

// Kind is what an entry is.
type Kind uint8

const (
	KindFile Kind = iota + 1
	KindDir
	KindSymlink
	KindHardLink // a further name of a file already copied
	KindFIFO
	KindSocket
	KindDevice
)

var kindNames = [...]string{KindFile: "file", KindDir: "dir", KindSymlink: "symlink", KindHardLink: "hardlink",
	KindFIFO: "fifo", KindSocket: "socket", KindDevice: "device"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "unknown"
}

// Outcome says whether an optimisation was used for a file.
type Outcome uint8

const (
	OutcomeNo          Outcome = iota // not tried, or not needed
	OutcomeYes                        // used
	OutcomeUnsupported                // tried and refused by the filesystem
	OutcomeAvoided                    // turned off by an option
)

func (o Outcome) String() string {
	return [...]string{"no", "yes", "unsupported", "avoided"}[o]
}

// FileReport says how one entry was copied.
type FileReport struct {
	Src, Dst string
	Kind     Kind
	Size     int64 // bytes of data written (0 for links and specials)
	// Method is the zcopy method that moved the last bytes.
	Method zcopy.Method
	// Reflink, Offload and Sparse are the outcomes GNU cp --debug prints:
	// cloning, in-kernel copy (copy_file_range, sendfile or splice), and
	// hole detection (SEEK_HOLE).
	Reflink, Offload Outcome
	Sparse           Outcome
	// Backup is the name the old destination was moved to, if any.
	Backup string
	// Skipped is true when the overwrite policy kept the destination.
	Skipped bool
	// Removed is true when an existing destination file was unlinked
	// first (RemoveDestination, or Force after a failed open): cp -v
	// prints "removed 'dst'" for it.
	Removed bool
	// Parent is true for a leading directory MakeParents made (cp -v
	// prints those as "SRC -> DST", unquoted).
	Parent bool
	// Failed is true for a regular file whose copy failed once it was
	// decided (opening the source or destination, the data, closing):
	// GNU cp -v names such a copy before the error, so OnFile sees it
	// just before OnError does, and it is not counted as copied.
	Failed bool
}

// Debug formats r as GNU cp --debug does, followed by zcopy's method:
//
//	copy offload: yes, reflink: unsupported, sparse detection: no, method: copy_file_range
func (r FileReport) Debug() string {
	sparse := "no"
	if r.Sparse == OutcomeYes {
		sparse = "SEEK_HOLE"
	}
	return fmt.Sprintf("copy offload: %s, reflink: %s, sparse detection: %s, method: %s",
		r.Offload, r.Reflink, sparse, r.Method)
}

// Progress is a snapshot of a running copy. Files counts entries that are
// neither directories nor symbolic links (each name of a hard-linked file,
// FIFOs and devices too; with SymbolicLink the links made); Bytes the
// apparent sizes of the regular files whose data is copied: a sparse
// file's holes count once skipped, a file hard-linked to one already
// copied (PreserveLinks) and a file the overwrite policy keeps count no
// bytes. The walk counts alike, so a finished copy has Bytes == TotalBytes.
type Progress struct {
	Files, Bytes int64 // done
	// TotalFiles and TotalBytes are what the walk beside the copy has
	// counted so far (never less than done): final once TotalsKnown.
	TotalFiles, TotalBytes int64
	// TotalsKnown is true once the counting walk has finished, or the
	// copy ran to its end. A copy stopped early (cancelled) may end with
	// it false: the totals are then lower bounds.
	TotalsKnown bool
	Elapsed     time.Duration
	Done        bool // the final call
}

// Summary counts what a copy did. Files, Dirs, Symlinks, HardLinks and
// Specials count entries copied; an entry the overwrite policy kept counts
// in Skipped only.
type Summary struct {
	Files, Dirs, Symlinks, HardLinks, Specials int64
	Bytes                                      int64
	Skipped                                    int64
	Errors                                     int64
	Methods                                    map[string]int64 // files per zcopy method
	// Elapsed is the time spent in the Copier's Copy calls (CopyFS: the
	// call).
	Elapsed time.Duration
}

// Sentinel errors, matched with errors.Is on an [*Error].
var (
	ErrOmitDir     = errors.New("-r not specified; omitting directory")
	ErrSameFile    = errors.New("are the same file")
	ErrIntoItself  = errors.New("cannot copy a directory into itself")
	ErrDirOverFile = errors.New("cannot overwrite non-directory with directory")
	ErrFileOverDir = errors.New("cannot overwrite directory with non-directory")
	ErrDanglingDst = errors.New("not writing through dangling symlink")
	ErrJustCreated = errors.New("will not overwrite just-created file")
	// ErrThroughJustCreated: an operand's destination is a symlink an
	// earlier operand of the same Copier made; it is not written through.
	ErrThroughJustCreated = errors.New("will not copy through just-created symlink")
	ErrNotReplacing       = errors.New("not replacing")
	ErrSymlinkLoop        = errors.New("cannot copy cyclic symbolic link")
	ErrCloneRequired      = errors.New("reflink not supported")
	ErrAtomicSpecial      = errors.New("atomic replace applies to regular files only")
	// ErrBackupIsSource: the source is the backup the destination would
	// be renamed to (cp --backup=simple a~ a).
	ErrBackupIsSource = errors.New("backing up might destroy source")
	// ErrRelativeSymlink: cp -s of a relative name into another directory,
	// where the link would point elsewhere.
	ErrRelativeSymlink = errors.New("can make relative symbolic links only in current directory")
	// ErrParentNotDir: a directory --parents needs is something else.
	ErrParentNotDir = errors.New("exists but is not a directory")
)

// Error is a failure to copy one entry. Its message is GNU cp's (without
// the program name): "cannot stat 'x': No such file or directory".
type Error struct {
	// Op is GNU's phrase, with %s where Path goes (and a second %s for
	// Path2): "cannot stat", "cannot open %s for reading", ...; without a
	// %s the path follows the phrase.
	Op   string
	Path string // the path the phrase names
	// Path2 is the second path of two-path messages (same file, into itself).
	Path2 string
	Err   error // a syscall.Errno or one of the sentinels above
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	if ce, ok := e.Err.(interface{ cloneErrno() syscall.Errno }); ok {
		return "failed to clone " + Quote(e.Path) + " from " + Quote(e.Path2) + ": " + Strerror(ce.cloneErrno())
	}
	switch e.Err {
	case ErrOmitDir:
		return "-r not specified; omitting directory " + Quote(e.Path)
	case ErrSameFile:
		return Quote(e.Path) + " and " + Quote(e.Path2) + " are the same file"
	case ErrIntoItself:
		return "cannot copy a directory, " + Quote(e.Path) + ", into itself, " + Quote(e.Path2)
	case ErrDirOverFile:
		return "cannot overwrite non-directory " + Quote(e.Path) + " with directory " + Quote(e.Path2)
	case ErrFileOverDir:
		return "cannot overwrite directory " + Quote(e.Path) + " with non-directory"
	case ErrDanglingDst:
		return "not writing through dangling symlink " + Quote(e.Path)
	case ErrJustCreated:
		return "will not overwrite just-created " + Quote(e.Path) + " with " + Quote(e.Path2)
	case ErrThroughJustCreated:
		return "will not copy " + Quote(e.Path) + " through just-created symlink " + Quote(e.Path2)
	case ErrNotReplacing:
		return "not replacing " + Quote(e.Path)
	case ErrSymlinkLoop:
		return "cannot copy cyclic symbolic link " + Quote(e.Path)
	case ErrRelativeSymlink:
		return quoteIfNeeded(e.Path) + ": " + ErrRelativeSymlink.Error()
	case ErrParentNotDir:
		return Quote(e.Path) + " exists but is not a directory"
	case ErrBackupIsSource:
		return "backing up " + Quote(e.Path) + " might destroy source;  " + Quote(e.Path2) + " not copied"
	case ErrCloneRequired:
		return "failed to clone " + Quote(e.Path) + " from " + Quote(e.Path2) + ": " + Strerror(syscall.EOPNOTSUPP)
	}
	if e.Op == "" {
		return Quote(e.Path) + ": " + Strerror(e.Err)
	}
	op := e.Op
	if !strings.Contains(op, "%s") {
		op += " %s"
	}
	msg := strings.Replace(op, "%s", Quote(e.Path), 1)
	msg = strings.Replace(msg, "%s", Quote(e.Path2), 1)
	return msg + ": " + Strerror(e.Err)
}

// Strerror prints err as C's strerror would: "No such file or directory".
func Strerror(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if s, ok := glibcText[errno]; ok {
			return s
		}
		s := errno.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return err.Error()
}

// glibcText holds strerror texts that differ from Go's beyond the capital.
var glibcText = map[syscall.Errno]string{
	syscall.EOPNOTSUPP:   "Operation not supported",
	syscall.EXDEV:        "Invalid cross-device link",
	syscall.ENOTEMPTY:    "Directory not empty",
	syscall.EDQUOT:       "Disk quota exceeded",
	syscall.ENAMETOOLONG: "File name too long",
	syscall.EMLINK:       "Too many links",
}

// Quote quotes a file name as GNU cp's messages do (shell-escape-always
// style): 'name', with a single quote as '\” and control characters
// such as a newline as $'\n'.
func Quote(s string) string {
	if strings.IndexByte(s, '\'') >= 0 && !strings.ContainsAny(s, "\"$`\\") && !hasControl(s) {
		return `"` + s + `"`
	}
	var b strings.Builder
	b.WriteByte('\'')
	inDollar := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		esc := ""
		switch {
		case c >= 0x80 && unprintable(s, i):
			esc = fmt.Sprintf(`\%03o`, c)
		case c == '\'':
			if inDollar {
				b.WriteString("'\\''")
				inDollar = false
			} else {
				b.WriteString("'\\''")
			}
			continue
		case c == '\n':
			esc = `\n`
		case c == '\t':
			esc = `\t`
		case c == '\r':
			esc = `\r`
		case c < 0x20 || c == 0x7f:
			esc = fmt.Sprintf(`\%03o`, c)
		}
		if esc != "" {
			if !inDollar {
				b.WriteString("'$'")
				inDollar = true
			}
			b.WriteString(esc)
			continue
		}
		if inDollar {
			b.WriteString("''")
			inDollar = false
		}
		b.WriteByte(c)
	}
	if inDollar {
		b.WriteString("'")
		return b.String()
	}
	b.WriteByte('\'')
	return b.String()
}

// quoteIfNeeded is GNU's quotef: the name bare when it holds nothing a
// shell would treat specially, else quoted as Quote does.
func quoteIfNeeded(s string) string {
	if s == "" {
		return Quote(s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("%+,-./=@^_", c) >= 0) {
			return Quote(s)
		}
	}
	return s
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f || s[i] >= 0x80 && unprintable(s, i) {
			return true
		}
	}
	return false
}

// unprintable reports whether the byte s[i] (0x80 or above) is escaped:
// always in the C locale, where GNU's quotearg prints no byte above 0x7f,
// and where it is not part of valid UTF-8 in any other (a UTF-8 one).
func unprintable(s string, i int) bool {
	if cLocale() {
		return true
	}
	// The start of the rune holding byte i, and whether it is valid.
	j := i
	for j > 0 && i-j < utf8.UTFMax-1 && !utf8.RuneStart(s[j]) {
		j--
	}
	r, n := utf8.DecodeRuneInString(s[j:])
	return r == utf8.RuneError && n <= 1 || j+n <= i
}

// cLocale reports whether messages are in the C (POSIX) locale: LC_ALL,
// else LC_CTYPE, else LANG, unset or "C" or "POSIX".
var cLocale = sync.OnceValue(func() bool {
	for _, v := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if l := os.Getenv(v); l != "" {
			return l == "C" || l == "POSIX"
		}
	}
	return true
})
