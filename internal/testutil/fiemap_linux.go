package testutil

import (
	"encoding/binary"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// FIEMAP, which x/sys/unix does not define (linux/fiemap.h, linux/fs.h).
const (
	fsIocFiemap        = 0xC020660B // _IOWR('f', 11, struct fiemap)
	fiemapFlagSync     = 0x1
	fiemapExtentLast   = 0x1
	fiemapExtentShared = 0x2000
	fiemapHeader       = 32
	fiemapExtentSize   = 56
	fiemapBatch        = 128
)

// SharedBytes sums the lengths of path's extents that FIEMAP marks shared
// with another file: the bytes a reflink copy did not duplicate.
func SharedBytes(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, fiemapHeader+fiemapBatch*fiemapExtentSize)
	var shared int64
	start := uint64(0)
	for {
		clear(buf)
		binary.NativeEndian.PutUint64(buf[0:], start)
		binary.NativeEndian.PutUint64(buf[8:], ^uint64(0)-start)
		binary.NativeEndian.PutUint32(buf[16:], fiemapFlagSync)
		binary.NativeEndian.PutUint32(buf[24:], fiemapBatch)
		if _, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), fsIocFiemap, uintptr(unsafe.Pointer(&buf[0]))); errno != 0 {
			return 0, &os.PathError{Op: "ioctl FS_IOC_FIEMAP", Path: path, Err: errno}
		}
		mapped := binary.NativeEndian.Uint32(buf[20:])
		if mapped == 0 {
			return shared, nil
		}
		for i := range mapped {
			e := buf[fiemapHeader+int(i)*fiemapExtentSize:]
			logical := binary.NativeEndian.Uint64(e[0:])
			length := binary.NativeEndian.Uint64(e[16:])
			flags := binary.NativeEndian.Uint32(e[40:])
			if flags&fiemapExtentShared != 0 {
				shared += int64(length)
			}
			start = logical + length
			if flags&fiemapExtentLast != 0 {
				return shared, nil
			}
		}
	}
}
