package memfs

import (
	"io"
	"os"
	"syscall"

	"github.com/zcopy/zcopy"
	"golang.org/x/sys/unix"
)

// ImportSnapshot creates (or replaces) the regular file name as a snapshot
// of host: its bytes are copied, inside the kernel (zcopy.Copy), into a
// memfd sealed against any change (F_SEAL_SHRINK, F_SEAL_GROW,
// F_SEAL_WRITE), which then backs the file like an imported host file.
// Later changes to host do not show, and no truncation can take the bytes
// away. The memfd is memory: its size is charged to the memory limit
// (and reported in Usage.Snapshots) until [FS.Close]. Linux only.
func (fsys *FS) ImportSnapshot(name string, host *os.File) error {
	const op = "import"
	fi, err := host.Stat()
	if err != nil {
		return pathErr(op, name, err)
	}
	if !fi.Mode().IsRegular() {
		return pathErr(op, name, syscall.EINVAL)
	}
	size := fi.Size()
	if err := fsys.s.lim.charge(size); err != nil {
		return pathErr(op, name, err)
	}
	fd, err := unix.MemfdCreate("memfs-snapshot", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		fsys.s.lim.refund(size)
		return pathErr(op, name, os.NewSyscallError("memfd_create", err))
	}
	mfd := os.NewFile(uintptr(fd), "memfd:"+host.Name())
	defer mfd.Close()
	fail := func(err error) error {
		fsys.s.lim.refund(size)
		return pathErr(op, name, err)
	}
	n, err := zcopy.Copy(mfd, io.NewSectionReader(host, 0, size))
	if err != nil {
		return fail(err)
	}
	if n != size {
		return fail(io.ErrUnexpectedEOF)
	}
	if _, err := unix.FcntlInt(mfd.Fd(), unix.F_ADD_SEALS, unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_WRITE|unix.F_SEAL_SEAL); err != nil {
		return fail(os.NewSyscallError("fcntl", err))
	}
	sfi, err := mfd.Stat()
	if err != nil {
		return fail(err)
	}
	b, err := fsys.s.cache.backingFor("", mfd, idOf(sfi), size)
	if err != nil {
		return fail(err)
	}
	fsys.s.snapshots.Add(size)
	return fsys.attachFile(name, fsys.s.fileFromHost(entryOf(fi), b))
}
