//go:build amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64 || mips64 || mips64le

package fuse

import (
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	fusefs "github.com/hanwen/go-fuse/v2/fs"
	gofuse "github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/memfs"
)

// Server is a memfs mounted with FUSE.
type Server struct {
	fsys   *memfs.FS
	opts   Options
	fuse   *gofuse.Server
	dir    string
	xattrs xattrStore

	// ns makes a rename and what the server does around it (looking
	// at the target first, whose extended attributes go with its last
	// link) atomic for every other request: renames take it for
	// writing, the rest for reading. memfs's own calls are atomic.
	ns sync.RWMutex

	pass  passthroughState // open counts per inode, with Options.Passthrough
	reads atomic.Int64     // read requests served (tests prove passthrough with it)
}

// cacheTimeout is how long the kernel may trust names and attributes.
// Every change to the tree comes through the mount (the memfs is the
// server's alone), and the kernel invalidates what its own requests
// change, so the cache only has to be bounded.
const cacheTimeout = time.Second

// Mount mounts fsys at mountpoint, an existing directory, and serves it
// until [Server.Unmount] or an unmount from outside (umount, fusermount3
// -u); [Server.Wait] returns then. The memfs must not be changed through
// its own API while mounted: the kernel caches names and attributes for a
// second.
func Mount(mountpoint string, fsys *memfs.FS, opts *Options) (*Server, error) {
	if opts == nil {
		opts = &Options{}
	}
	s := &Server{fsys: fsys, opts: *opts, dir: mountpoint}
	fi, err := fsys.Lstat(".")
	if err != nil {
		return nil, err
	}
	name := opts.FsName
	if name == "" {
		name = "memfs"
	}
	timeout := cacheTimeout
	o := &fusefs.Options{
		MountOptions: gofuse.MountOptions{
			AllowOther: opts.AllowOther,
			FsName:     name,
			Name:       "memfs",
			Options:    []string{"default_permissions"},
			// As root, mount(2) directly: no fusermount3 needed.
			DirectMount:   os.Geteuid() == 0,
			Debug:         opts.Debug,
			DisableSplice: opts.NoSplice,
			MaxWrite:      readTuning.maxWrite,
		},
		EntryTimeout:    &timeout,
		AttrTimeout:     &timeout,
		NegativeTimeout: &timeout,
		RootStableAttr:  &fusefs.StableAttr{Mode: syscall.S_IFDIR, Ino: statOf(fi).Ino},
	}
	if opts.Passthrough {
		// O_TRUNC comes with the OPEN (memfs truncates, as open(2)
		// does) instead of a SETATTR after it: an O_RDONLY|O_TRUNC open
		// must count as a change, not become a passthrough open that
		// its own truncate then conflicts with.
		o.MountOptions.ExtraCapabilities |= gofuse.CAP_ATOMIC_O_TRUNC
	}
	root := &node{srv: s}
	// fusefs.Mount, with s.fuse set before the first request: requests
	// come as soon as the mount exists, before WaitMount returns, and
	// opens with Passthrough use the server.
	srv, err := gofuse.NewServer(fusefs.NewNodeFS(root, o), mountpoint, &o.MountOptions)
	if err != nil {
		return nil, fmt.Errorf("memfs/fuse: mount %s: %w", mountpoint, err)
	}
	s.fuse = srv
	go srv.Serve()
	if err := srv.WaitMount(); err != nil {
		return nil, fmt.Errorf("memfs/fuse: mount %s: %w", mountpoint, err)
	}
	setReadAhead(mountpoint, readTuning.readAheadKB)
	if opts.Passthrough {
		if err := probePassthrough(srv); err != nil {
			if s.Unmount() != nil {
				unix.Unmount(mountpoint, unix.MNT_DETACH)
			}
			srv.Wait()
			return nil, err
		}
	}
	return s, nil
}

// readTuning sizes the reads of host data through the server, measured
// with BenchmarkSequentialRead (BENCHMARKS.md, zmount): requests of up to
// 512 KiB (go-fuse's default is 128 KiB; a whole request must fit the
// 1 MiB pipe go-fuse splices through, so 1 MiB requests would be copied)
// and a 4 MiB readahead window (the kernel's FUSE default, 128 KiB, would
// keep requests at 128 KiB whatever the maximum).
var readTuning = struct {
	maxWrite    int
	readAheadKB int
}{maxWrite: 512 << 10, readAheadKB: 4 << 10}

// setReadAhead sets the readahead window of the mount at dir (its
// backing device's read_ahead_kb in sysfs), which only root may do; a
// mount without it works, with the kernel's 128 KiB.
func setReadAhead(dir string, kb int) {
	var st unix.Stat_t
	if kb <= 0 || os.Geteuid() != 0 || unix.Stat(dir, &st) != nil {
		return
	}
	p := fmt.Sprintf("/sys/class/bdi/%d:%d/read_ahead_kb", unix.Major(st.Dev), unix.Minor(st.Dev))
	os.WriteFile(p, []byte(strconv.Itoa(kb)), 0)
}

// Unmount unmounts the filesystem; it fails with an error matching
// syscall.EBUSY while a process uses the mount (umount -l, MNT_DETACH,
// detaches it then). [Server.Wait] returns after it.
func (s *Server) Unmount() error {
	if os.Geteuid() != 0 {
		return s.fuse.Unmount() // with fusermount3 -u
	}
	if err := unix.Unmount(s.dir, 0); err != nil {
		return &fs.PathError{Op: "unmount", Path: s.dir, Err: err}
	}
	return nil
}

// Wait returns when the filesystem is unmounted.
func (s *Server) Wait() { s.fuse.Wait() }

// node is an inode of the mount: a directory, regular file or symlink of
// the memfs, named by its path in go-fuse's tree.
type node struct {
	fusefs.Inode
	srv *Server
}

var (
	_ fusefs.NodeLookuper       = (*node)(nil)
	_ fusefs.NodeGetattrer      = (*node)(nil)
	_ fusefs.NodeSetattrer      = (*node)(nil)
	_ fusefs.NodeReaddirer      = (*node)(nil)
	_ fusefs.NodeCreater        = (*node)(nil)
	_ fusefs.NodeMknoder        = (*node)(nil)
	_ fusefs.NodeMkdirer        = (*node)(nil)
	_ fusefs.NodeUnlinker       = (*node)(nil)
	_ fusefs.NodeRmdirer        = (*node)(nil)
	_ fusefs.NodeRenamer        = (*node)(nil)
	_ fusefs.NodeLinker         = (*node)(nil)
	_ fusefs.NodeSymlinker      = (*node)(nil)
	_ fusefs.NodeReadlinker     = (*node)(nil)
	_ fusefs.NodeOpener         = (*node)(nil)
	_ fusefs.NodeReader         = (*node)(nil)
	_ fusefs.NodeWriter         = (*node)(nil)
	_ fusefs.NodeFlusher        = (*node)(nil)
	_ fusefs.NodeFsyncer        = (*node)(nil)
	_ fusefs.NodeReleaser       = (*node)(nil)
	_ fusefs.NodeAllocater      = (*node)(nil)
	_ fusefs.NodeLseeker        = (*node)(nil)
	_ fusefs.NodeCopyFileRanger = (*node)(nil)
	_ fusefs.NodeStatfser       = (*node)(nil)
	_ fusefs.NodeGetxattrer     = (*node)(nil)
	_ fusefs.NodeSetxattrer     = (*node)(nil)
	_ fusefs.NodeListxattrer    = (*node)(nil)
	_ fusefs.NodeRemovexattrer  = (*node)(nil)
)

// Supported says whether [Mount] works on this system: Linux on a 64-bit
// architecture (go-fuse does not build for 32-bit ones).
const Supported = true
