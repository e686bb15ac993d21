//go:build amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64 || mips64 || mips64le

package fuse

import (
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"
)

// Passthrough ([Options.Passthrough]): a read-only open of a file whose
// bytes are all one untouched host range (memfs's File.OpenHost) hands
// the kernel a read-only descriptor of the host file, and the kernel reads
// (and maps) it itself; no read reaches the server. The kernel's rules
// (fs/fuse/iomode.c) shape the policy:
//
//   - while an inode has passthrough opens, every open of it must be one
//     (with the same backing file), or the open fails with EIO; and a
//     passthrough open fails while the inode has cached opens. So a
//     read-only open is passthrough when the file qualifies and no other
//     open is cached, or when passthrough opens exist already;
//   - a passthrough open reads the host file whatever memfs stores later,
//     so nothing may change the file's bytes or size while one exists:
//     opens for writing, O_TRUNC and truncate fail with ETXTBSY (Linux's
//     errno for writing a running executable), after waiting releaseGrace
//     for passthrough opens to be released.
//
// The counts are per inode number (hard links share one inode).

// releaseGrace is how long a change waits for the passthrough opens of
// its file to go before failing with ETXTBSY. FUSE sends RELEASE
// asynchronously: close(2) returns before the server hears of it, so a
// script's "close the reader, then write" would otherwise race.
const releaseGrace = 500 * time.Millisecond

// openCounts are the open handles of one inode.
type openCounts struct {
	pass   int           // passthrough handles
	cached int           // other handles (and truncates under way)
	idle   chan struct{} // closed when pass drops to 0
}

// passthroughState is the server's per-inode open counts.
type passthroughState struct {
	mu    sync.Mutex
	inode map[uint64]*openCounts
	// Host filesystems (st_dev) whose files the kernel takes, or
	// refuses, as backing files: one stacked too deep (a host tree on
	// overlayfs or another FUSE mount: ELOOP) is refused.
	devOK map[uint64]bool
}

// countsLocked returns the counts of ino, made if needed.
func (p *passthroughState) countsLocked(ino uint64) *openCounts {
	c := p.inode[ino]
	if c == nil {
		if p.inode == nil {
			p.inode = map[uint64]*openCounts{}
		}
		c = &openCounts{}
		p.inode[ino] = c
	}
	return c
}

// waitNoPassLocked waits (releasing p.mu meanwhile) up to releaseGrace
// for ino to have no passthrough opens; false if it still has. It returns
// with p.mu held.
func (p *passthroughState) waitNoPassLocked(ino uint64) bool {
	deadline := time.Now().Add(releaseGrace)
	for {
		c := p.inode[ino]
		if c == nil || c.pass == 0 {
			return true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		idle := c.idle
		p.mu.Unlock()
		t := time.NewTimer(left)
		select {
		case <-idle:
		case <-t.C:
		}
		t.Stop()
		p.mu.Lock()
	}
}

// awaitNoPass waits up to releaseGrace for ino to have no passthrough
// opens. Requests that would change the file call it first, holding no
// other lock (the namespace lock would stall every rename meanwhile); the
// check that counts is beginChangeLocked's.
func (p *passthroughState) awaitNoPass(ino uint64) {
	p.mu.Lock()
	p.waitNoPassLocked(ino)
	p.mu.Unlock()
}

// beginChangeLocked registers a change of ino's bytes or size (a writable
// open, a truncate): ETXTBSY while passthrough opens remain. The caller
// calls endLocked when the change (or the handle) ends.
func (p *passthroughState) beginChangeLocked(ino uint64) syscall.Errno {
	if c := p.inode[ino]; c != nil && c.pass > 0 {
		return syscall.ETXTBSY
	}
	p.countsLocked(ino).cached++
	return 0
}

func (p *passthroughState) endLocked(ino uint64, pass bool) {
	c := p.inode[ino]
	if c == nil {
		return
	}
	if pass {
		c.pass--
		if c.pass == 0 {
			close(c.idle)
		}
	} else {
		c.cached--
	}
	if c.pass == 0 && c.cached == 0 {
		delete(p.inode, ino)
	}
}

// passthroughHandle is a read-only open served by the kernel from the host
// file host (go-fuse registers its descriptor as the inode's backing file
// when it has none yet). Its requests other than reads (getattr, lseek,
// copy_file_range from it, release) come to the server as for a handle.
type passthroughHandle struct {
	*handle
	host *os.File
}

func (p *passthroughHandle) PassthroughFd() (int, bool) { return int(p.host.Fd()), true }

// handleOf is the memfs handle behind a file handle of the mount.
func handleOf(fh any) *handle {
	switch h := fh.(type) {
	case *handle:
		return h
	case *passthroughHandle:
		return h.handle
	}
	return nil
}

// isWrite says whether open flags may change the file's bytes.
func isWrite(flags int) bool {
	return flags&(os.O_WRONLY|os.O_RDWR) != 0 || flags&os.O_TRUNC != 0
}

// awaitChange is awaitNoPass for a request with access flags (or a
// truncate, write true) of inode ino, when passthrough is on.
func (s *Server) awaitChange(ino uint64, access int, write bool) {
	if s.opts.Passthrough && (write || isWrite(access)) {
		s.pass.awaitNoPass(ino)
	}
}

// openFile opens the memfs file p (inode ino) with access flags for an
// open request: a passthrough handle when the rules above allow one.
func (s *Server) openFile(p string, ino uint64, access int) (any, syscall.Errno) {
	if !s.opts.Passthrough {
		f, err := s.fsys.OpenFile(p, access, 0)
		if err != nil {
			return nil, toErrno(err)
		}
		return s.newHandle(f), 0
	}
	pt := &s.pass
	pt.mu.Lock()
	defer pt.mu.Unlock()
	if isWrite(access) {
		if errno := pt.beginChangeLocked(ino); errno != 0 {
			return nil, errno
		}
		f, err := s.fsys.OpenFile(p, access, 0)
		if err != nil {
			pt.endLocked(ino, false)
			return nil, toErrno(err)
		}
		h := s.newHandle(f)
		h.ino, h.counted = ino, true
		return h, 0
	}
	f, err := s.fsys.OpenFile(p, access, 0)
	if err != nil {
		return nil, toErrno(err)
	}
	c := pt.countsLocked(ino)
	if c.pass > 0 || c.cached == 0 {
		host, ok, err := f.OpenHost()
		if err == nil && ok && !s.backingAllowed(host) {
			host.Close()
			ok = false
		}
		if err == nil && ok {
			if c.pass == 0 {
				c.idle = make(chan struct{})
			}
			c.pass++
			h := s.newHandle(f)
			h.ino, h.counted = ino, true
			return &passthroughHandle{handle: h, host: host}, 0
		}
		if c.pass > 0 {
			// Nothing may change the file while passthrough opens
			// exist, but its host file did (it changed size): the
			// kernel refuses a cached open now, and would read the
			// host file's bytes in a passthrough one.
			f.Close()
			return nil, syscall.EIO
		}
	}
	c.cached++
	h := s.newHandle(f)
	h.ino, h.counted = ino, true
	return h, 0
}

// backingAllowed says whether the kernel takes host's file as a backing
// file, trying it once per host filesystem. go-fuse gives up passthrough
// for the whole mount at the first refusal, so a file the kernel would
// refuse never gets a passthrough handle: it is read through the server.
// Precondition: s.pass.mu is held.
func (s *Server) backingAllowed(host *os.File) bool {
	var st unix.Stat_t
	if unix.Fstat(int(host.Fd()), &st) != nil {
		return false
	}
	ok, known := s.pass.devOK[st.Dev]
	if known {
		return ok
	}
	id, errno := s.fuse.RegisterBackingFd(&gofuse.BackingMap{Fd: int32(host.Fd())})
	if errno == 0 {
		s.fuse.UnregisterBackingFd(id)
	}
	if s.pass.devOK == nil {
		s.pass.devOK = map[uint64]bool{}
	}
	s.pass.devOK[st.Dev] = errno == 0
	return errno == 0
}

// releaseHandle closes a handle of the mount and its open count.
func (s *Server) releaseHandle(fh any) syscall.Errno {
	h := handleOf(fh)
	if h == nil {
		return 0
	}
	err := h.f.Close()
	if p, ok := fh.(*passthroughHandle); ok {
		p.host.Close()
	}
	if h.counted {
		s.pass.mu.Lock()
		_, pass := fh.(*passthroughHandle)
		s.pass.endLocked(h.ino, pass)
		s.pass.mu.Unlock()
	}
	return toErrno(err)
}

// changeSize runs truncate, a change of ino's size, with passthrough's
// rule: ETXTBSY while passthrough opens of it remain.
func (s *Server) changeSize(ino uint64, truncate func() error) syscall.Errno {
	if !s.opts.Passthrough {
		return toErrno(truncate())
	}
	pt := &s.pass
	pt.mu.Lock()
	errno := pt.beginChangeLocked(ino)
	pt.mu.Unlock()
	if errno != 0 {
		return errno
	}
	err := truncate()
	pt.mu.Lock()
	pt.endLocked(ino, false)
	pt.mu.Unlock()
	return toErrno(err)
}

// probePassthrough checks that the kernel takes backing files from this
// server (FUSE_PASSTHROUGH negotiated, CAP_SYS_ADMIN): it registers a
// memfd as one and unregisters it.
func probePassthrough(srv *gofuse.Server) error {
	fd, err := unix.MemfdCreate("memfs-fuse-probe", unix.MFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("memfs/fuse: passthrough: %w", err)
	}
	defer unix.Close(fd)
	id, errno := srv.RegisterBackingFd(&gofuse.BackingMap{Fd: int32(fd)})
	if errno != 0 {
		return fmt.Errorf("memfs/fuse: passthrough not available (kernel without FUSE passthrough, or not root): %w", errno)
	}
	srv.UnregisterBackingFd(id)
	return nil
}
