package memfs_test

import (
	"fmt"
	"io"
	"math"
	"os"
	"testing"
)

// TestReadDirOfRemovedDirectoryLikeLinux pins issue 14 item 5: reading a
// directory through a handle after it was removed is ENOENT, listed
// before or not.
func TestReadDirOfRemovedDirectoryLikeLinux(t *testing.T) {
	_, root, mem := shmRoot(t)
	for _, listFirst := range []bool{false, true} {
		for _, n := range []int{-1, 0, 1} {
			what := fmt.Sprintf("listed first %v, ReadDir(%d)", listFirst, n)
			if err1, err2 := mem.Mkdir("d", 0o755), root.Mkdir("d", 0o755); err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			mf, err1 := mem.OpenFile("d", os.O_RDONLY, 0)
			of, err2 := root.OpenFile("d", os.O_RDONLY, 0)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if listFirst {
				mf.ReadDir(-1)
				of.ReadDir(-1)
			}
			if err1, err2 := mem.Remove("d"), root.Remove("d"); err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			mes, merr := mf.ReadDir(n)
			oes, oerr := of.ReadDir(n)
			if errShape(merr) != errShape(oerr) || errOp(merr) != errOp(oerr) || len(mes) != len(oes) || (mes == nil) != (oes == nil) {
				t.Errorf("%s: memfs %v, %v; Linux %v, %v", what, mes, merr, oes, oerr)
			}
			mf.Close()
			of.Close()
		}
	}
}

// handleOp is one call on an open file, on both sides.
type handleOp struct {
	name string
	do   func(f interface {
		io.ReadWriteSeeker
		io.ReaderAt
		io.WriterAt
		Truncate(int64) error
	}) (int64, error)
}

// TestHandleArgumentsLikeLinux pins issue 14 item 6: reads and writes at
// offsets near math.MaxInt64, negative offsets and sizes, and access
// modes give os.File's and the kernel's errors in their order (EBADF,
// O_APPEND and negative offsets checked as os.File checks them), the same
// counts, offsets and sizes.
func TestHandleArgumentsLikeLinux(t *testing.T) {
	_, root, mem := shmRoot(t)
	const big = math.MaxInt64
	var ops []handleOp
	for _, off := range []int64{-1, 0, 5, 100, big - 11, big - 10, big - 3, big - 1, big} {
		for _, n := range []int{0, 1, 11} {
			ops = append(ops,
				handleOp{fmt.Sprintf("ReadAt(%d, %d)", n, off), func(f interface {
					io.ReadWriteSeeker
					io.ReaderAt
					io.WriterAt
					Truncate(int64) error
				}) (int64, error) {
					k, err := f.ReadAt(make([]byte, n), off)
					return int64(k), err
				}},
				handleOp{fmt.Sprintf("WriteAt(%d, %d)", n, off), func(f interface {
					io.ReadWriteSeeker
					io.ReaderAt
					io.WriterAt
					Truncate(int64) error
				}) (int64, error) {
					k, err := f.WriteAt([]byte("hello world")[:n], off)
					return int64(k), err
				}},
			)
			if off < 0 {
				continue
			}
			ops = append(ops,
				handleOp{fmt.Sprintf("Seek(%d); Read(%d)", off, n), func(f interface {
					io.ReadWriteSeeker
					io.ReaderAt
					io.WriterAt
					Truncate(int64) error
				}) (int64, error) {
					if _, err := f.Seek(off, io.SeekStart); err != nil {
						return -1, err
					}
					k, err := f.Read(make([]byte, n))
					return int64(k), err
				}},
				handleOp{fmt.Sprintf("Seek(%d); Write(%d)", off, n), func(f interface {
					io.ReadWriteSeeker
					io.ReaderAt
					io.WriterAt
					Truncate(int64) error
				}) (int64, error) {
					if _, err := f.Seek(off, io.SeekStart); err != nil {
						return -1, err
					}
					k, err := f.Write([]byte("hello world")[:n])
					return int64(k), err
				}},
			)
		}
	}
	for _, size := range []int64{-1, 0, 3, 100, big} {
		ops = append(ops, handleOp{fmt.Sprintf("Truncate(%d)", size), func(f interface {
			io.ReadWriteSeeker
			io.ReaderAt
			io.WriterAt
			Truncate(int64) error
		}) (int64, error) {
			return 0, f.Truncate(size)
		}})
	}
	for _, whence := range []int{io.SeekStart, io.SeekCurrent, io.SeekEnd} {
		for _, off := range []int64{-12, -1, 0, 1, big - 11, big} {
			ops = append(ops, handleOp{fmt.Sprintf("Seek(4); Seek(%d, %d)", off, whence), func(f interface {
				io.ReadWriteSeeker
				io.ReaderAt
				io.WriterAt
				Truncate(int64) error
			}) (int64, error) {
				f.Seek(4, io.SeekStart)
				return f.Seek(off, whence)
			}})
		}
	}
	flags := []int{os.O_RDONLY, os.O_WRONLY, os.O_RDWR, os.O_WRONLY | os.O_APPEND, os.O_RDWR | os.O_APPEND, os.O_RDONLY | os.O_APPEND}
	for _, name := range []string{"f", "d"} {
		for _, flag := range flags {
			if name == "d" && flag&(os.O_WRONLY|os.O_RDWR) != 0 {
				continue
			}
			for _, op := range ops {
				what := fmt.Sprintf("%s %#x: %s", name, flag, op.name)
				for _, p := range []string{"f", "d"} {
					mem.RemoveAll(p)
					root.RemoveAll(p)
				}
				if err1, err2 := mem.WriteFile("f", []byte("hello world"), 0o644), root.WriteFile("f", []byte("hello world"), 0o644); err1 != nil || err2 != nil {
					t.Fatal(err1, err2)
				}
				mem.Mkdir("d", 0o755)
				root.Mkdir("d", 0o755)
				mf, err1 := mem.OpenFile(name, flag, 0)
				of, err2 := root.OpenFile(name, flag, 0)
				if err1 != nil || err2 != nil {
					t.Fatal(what, err1, err2)
				}
				mn, merr := op.do(mf)
				on, oerr := op.do(of)
				if mn != on || errShape(merr) != errShape(oerr) || errOp(merr) != errOp(oerr) {
					t.Errorf("%s: memfs %d, %v; Linux %d, %v", what, mn, merr, on, oerr)
				}
				mp, _ := mf.Seek(0, io.SeekCurrent)
				op2, _ := of.Seek(0, io.SeekCurrent)
				mi, _ := mf.Stat()
				oi, _ := of.Stat()
				if mp != op2 || (name == "f" && mi.Size() != oi.Size()) {
					t.Errorf("%s: offset %d, size %d; Linux %d, %d", what, mp, mi.Size(), op2, oi.Size())
				}
				// A closed handle fails alike too.
				mf.Close()
				of.Close()
				mn, merr = op.do(mf)
				on, oerr = op.do(of)
				if mn != on || errShape(merr) != errShape(oerr) || errOp(merr) != errOp(oerr) {
					t.Errorf("%s on a closed handle: memfs %d, %v; Linux %d, %v", what, mn, merr, on, oerr)
				}
			}
		}
	}
}
