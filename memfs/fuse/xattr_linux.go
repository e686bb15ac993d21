//go:build amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64 || mips64 || mips64le

package fuse

import (
	"context"
	"slices"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Limits of the extended attributes the server stores.
const (
	xattrValueMax = 64 << 10 // XATTR_SIZE_MAX, as Linux
	xattrNameMax  = 255      // XATTR_NAME_MAX
	xattrInodeMax = 1 << 20  // all names and values of one inode
)

// xattrStore holds the extended attributes of the mount's inodes, by
// memfs inode number (never reused). Those of an inode whose last link
// is gone stay until the kernel forgets the inode: as on tmpfs, a file
// unlinked while open keeps them for its descriptors.
type xattrStore struct {
	mu   sync.Mutex
	m    map[uint64]map[string][]byte
	gone map[uint64]bool // unlinked inodes, dropped when forgotten
}

// unlinked records that the last link of inode ino is gone.
func (x *xattrStore) unlinked(ino uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.gone == nil {
		x.gone = map[uint64]bool{}
	}
	x.gone[ino] = true
}

// forget drops the attributes of inode ino if it has no link left: no
// request can reach it again.
func (x *xattrStore) forget(ino uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.gone[ino] {
		delete(x.m, ino)
		delete(x.gone, ino)
	}
}

// OnForget is called when the kernel forgets the inode (go-fuse's
// NodeOnForgetter).
func (n *node) OnForget() { n.srv.xattrs.forget(n.ino()) }

// xattrNamespaceOK says whether name is in a namespace the mount stores:
// those tmpfs has. (system.posix_acl_* never reaches the server: without
// FUSE_POSIX_ACL the kernel refuses them.)
func xattrNamespaceOK(name string) bool {
	for _, p := range []string{"user.", "trusted.", "security."} {
		if strings.HasPrefix(name, p) && len(name) > len(p) {
			return true
		}
	}
	return false
}

func (n *node) ino() uint64 { return n.StableAttr().Ino }

func (n *node) Getxattr(ctx context.Context, attr string, dest []byte) (uint32, syscall.Errno) {
	x := &n.srv.xattrs
	x.mu.Lock()
	defer x.mu.Unlock()
	v, ok := x.m[n.ino()][attr]
	if !ok {
		return 0, syscall.ENODATA
	}
	if len(dest) < len(v) {
		// len(dest) == 0 asks for the size; the bridge turns a short
		// buffer into ERANGE.
		return uint32(len(v)), syscall.ERANGE
	}
	return uint32(copy(dest, v)), 0
}

func (n *node) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	x := &n.srv.xattrs
	x.mu.Lock()
	names := make([]string, 0, len(x.m[n.ino()]))
	for k := range x.m[n.ino()] {
		names = append(names, k)
	}
	x.mu.Unlock()
	slices.Sort(names)
	var buf []byte
	for _, k := range names {
		buf = append(append(buf, k...), 0)
	}
	if len(dest) < len(buf) {
		return uint32(len(buf)), syscall.ERANGE
	}
	return uint32(copy(dest, buf)), 0
}

func (n *node) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	switch {
	case len(attr) > xattrNameMax:
		return syscall.ERANGE
	case len(data) > xattrValueMax:
		return syscall.E2BIG
	case !xattrNamespaceOK(attr):
		return syscall.EOPNOTSUPP
	case flags&^(unix.XATTR_CREATE|unix.XATTR_REPLACE) != 0:
		return syscall.EINVAL
	}
	x := &n.srv.xattrs
	x.mu.Lock()
	defer x.mu.Unlock()
	attrs := x.m[n.ino()]
	old, exists := attrs[attr]
	switch {
	case flags&unix.XATTR_CREATE != 0 && exists:
		return syscall.EEXIST
	case flags&unix.XATTR_REPLACE != 0 && !exists:
		return syscall.ENODATA
	}
	used := 0
	for k, v := range attrs {
		used += len(k) + len(v)
	}
	if exists {
		used -= len(attr) + len(old)
	}
	if used+len(attr)+len(data) > xattrInodeMax {
		return syscall.ENOSPC
	}
	if attrs == nil {
		if x.m == nil {
			x.m = map[uint64]map[string][]byte{}
		}
		attrs = map[string][]byte{}
		x.m[n.ino()] = attrs
	}
	attrs[attr] = slices.Clone(data)
	return 0
}

func (n *node) Removexattr(ctx context.Context, attr string) syscall.Errno {
	x := &n.srv.xattrs
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, ok := x.m[n.ino()][attr]; !ok {
		return syscall.ENODATA
	}
	delete(x.m[n.ino()], attr)
	return 0
}
