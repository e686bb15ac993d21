package zcopy

import (
	"bufio"
	"io"
	"net"
	"os"
	"reflect"
	"syscall"
	"unsafe"
)

// Descriptor is implemented by types that let zcopy move their bytes with
// system calls on their descriptor. By implementing it a type promises that
// its Read and Write (and ReadFrom and WriteTo, if any) do nothing but read
// from and write to that descriptor: zcopy bypasses them.
//
// Without it, zcopy takes the descriptor path only for the standard
// library's own types, whose methods are known to be plain: *os.File,
// *net.TCPConn, *net.UnixConn, *net.UDPConn, *net.IPConn, and the wrappers
// os and net use internally to hide ReadFrom or WriteTo from io.Copy. Any
// other type, even one that embeds an *os.File or a *net.TCPConn and so has
// a SyscallConn method, is copied exactly as io.Copy copies it, through
// its own methods.
type Descriptor interface {
	// CopyConn returns the descriptor that Read and Write use.
	CopyConn() (syscall.RawConn, error)
}

// rcSlot remembers the RawConn of one standard-library descriptor, so that
// copies to or from the same *os.File or conn do not allocate a RawConn
// each time (SyscallConn allocates; io.Copy's sendfile path makes one
// RawConn per copy, zcopy needs two). A RawConn only wraps its object, and
// behaves exactly as a new one would, closed or not; a pooled slot keeps
// its object reachable until the slot is reused or the pool is cleared by
// the garbage collector.
type rcSlot struct {
	obj any // *os.File, *net.TCPConn, *net.UnixConn, *net.UDPConn or *net.IPConn
	rc  syscall.RawConn
}

// descriptor returns the RawConn zcopy may use instead of x's methods, and
// the object errors should name: x itself, or the *os.File or *net.TCPConn
// inside one of the standard library's hiding wrappers. rc is nil when x's
// own methods must be used. slot, if not nil, caches the RawConn of a
// standard-library type.
func descriptor(x any, slot *rcSlot) (obj any, rc syscall.RawConn) {
	var sc syscall.Conn
	switch t := x.(type) {
	case *os.File:
		sc = t
	case *net.TCPConn:
		sc = t
	case *net.UnixConn:
		sc = t
	case *net.UDPConn:
		sc = t
	case *net.IPConn:
		sc = t
	case Descriptor:
		rc, err := t.CopyConn()
		if err != nil {
			return x, nil
		}
		return x, rc
	default:
		if inner := stdWrapped(x); inner != nil {
			return descriptor(inner, slot)
		}
		return x, nil
	}
	// x is one of the pointer types above, so == cannot panic.
	if slot != nil && slot.obj == x {
		return x, slot.rc
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return x, nil
	}
	if slot != nil {
		slot.obj, slot.rc = x, rc
	}
	return x, rc
}

// stdWrapped returns the *os.File or *net.TCPConn inside the wrappers that
// os and net hand to io.Copy from their ReadFrom and WriteTo fallbacks
// (os.fileWithoutReadFrom, net.tcpConnWithoutWriteTo, ...): their Read and
// Write are the embedded type's. They reach zcopy when such a fallback
// calls a WriteTo or ReadFrom that uses zcopy.
func stdWrapped(x any) any {
	if x == nil {
		return nil
	}
	t := reflect.TypeOf(x)
	if t.Kind() != reflect.Struct {
		return nil
	}
	var field string
	switch t.PkgPath() + "." + t.Name() {
	case "os.fileWithoutReadFrom", "os.fileWithoutWriteTo":
		field = "File"
	case "net.tcpConnWithoutReadFrom", "net.tcpConnWithoutWriteTo":
		field = "TCPConn"
	default:
		return nil
	}
	f := reflect.ValueOf(x).FieldByName(field)
	if !f.IsValid() || !f.CanInterface() {
		return nil
	}
	return f.Interface()
}

// The writer under a bufio.Writer and the reader under a bufio.Reader, read
// from their unexported fields: bufio has no accessor, and a bufio.Writer
// over a Unix conn (which has no ReadFrom) would otherwise hide the conn
// from every fast path, from progress and from cancellation. The fields'
// names and types are checked once; if bufio ever changes them, zcopy
// copies through bufio's methods as io.Copy does.
var (
	bufioWriterField = fieldOffset(reflect.TypeFor[bufio.Writer](), "wr", reflect.TypeFor[io.Writer]())
	bufioReaderField = fieldOffset(reflect.TypeFor[bufio.Reader](), "rd", reflect.TypeFor[io.Reader]())
)

// fieldOffset returns the offset of struct t's field name if it has type
// want, or -1.
func fieldOffset(t reflect.Type, name string, want reflect.Type) uintptr {
	f, ok := t.FieldByName(name)
	if !ok || f.Type != want || len(f.Index) != 1 {
		return ^uintptr(0)
	}
	return f.Offset
}

// bufioWriterTarget returns the writer under bw, or nil.
func bufioWriterTarget(bw *bufio.Writer) io.Writer {
	if bufioWriterField == ^uintptr(0) {
		return nil
	}
	return *(*io.Writer)(unsafe.Add(unsafe.Pointer(bw), bufioWriterField))
}

// bufioReaderSource returns the reader under br, or nil.
func bufioReaderSource(br *bufio.Reader) io.Reader {
	if bufioReaderField == ^uintptr(0) {
		return nil
	}
	return *(*io.Reader)(unsafe.Add(unsafe.Pointer(br), bufioReaderField))
}
