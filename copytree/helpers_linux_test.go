package copytree_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/testutil"
)

// entry is what a user can observe about one name in a tree.
type entry struct {
	typ    uint32
	mode   uint32
	uid    uint32
	gid    uint32
	size   int64
	blocks int64
	mtime  unix.Timespec
	digest [32]byte
	target string            // symlink
	rdev   uint64            // devices
	xattrs map[string]string // all readable ones
	ino    uint64            // for the link structure only
	nlink  uint64
}

// snapshot walks root (without following links) and records every entry
// by its path relative to root.
func snapshot(t testing.TB, root string) map[string]*entry {
	t.Helper()
	out := map[string]*entry{}
	var walk func(rel string)
	walk = func(rel string) {
		p := filepath.Join(root, rel)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			t.Fatalf("lstat %s: %v", p, err)
		}
		e := &entry{typ: st.Mode & unix.S_IFMT, mode: st.Mode & 0o7777, uid: st.Uid, gid: st.Gid,
			size: st.Size, blocks: st.Blocks, mtime: st.Mtim, ino: st.Ino, nlink: uint64(st.Nlink), rdev: uint64(st.Rdev)}
		e.xattrs = xattrsOf(p, e.typ == unix.S_IFLNK)
		switch e.typ {
		case unix.S_IFREG:
			e.digest = digest(t, p)
		case unix.S_IFLNK:
			e.target, _ = os.Readlink(p)
			e.mode = 0
		case unix.S_IFDIR:
			e.size, e.blocks = 0, 0 // directory sizes depend on history
			names, err := readNames(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range names {
				walk(filepath.Join(rel, n))
			}
		}
		out[rel] = e
	}
	walk(".")
	return out
}

func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

func xattrsOf(path string, link bool) map[string]string {
	buf := make([]byte, 64<<10)
	list := unix.Llistxattr
	get := unix.Lgetxattr
	_ = link
	n, err := list(path, buf)
	if err != nil || n == 0 {
		return nil
	}
	m := map[string]string{}
	for _, name := range strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00") {
		v := make([]byte, 64<<10)
		k, err := get(path, name, v)
		if err == nil {
			m[name] = string(v[:k])
		}
	}
	return m
}

// compareOpts says what a comparison checks.
type compareOpts struct {
	blocks    bool // st_blocks of regular files
	dirTimes  bool
	linkTimes bool
}

// compareTrees reports every difference between the snapshots a (want)
// and b (got): contents, types, modes, owners, ns mtimes, xattrs, link
// targets, device numbers, hard-link structure and optionally st_blocks.
func compareTrees(t testing.TB, want, got map[string]*entry, o compareOpts) {
	t.Helper()
	var diffs []string
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("%q: missing", name))
			continue
		}
		d := func(what string, a, b any) {
			diffs = append(diffs, fmt.Sprintf("%q: %s %v, want %v", name, what, b, a))
		}
		if w.typ != g.typ {
			d("type", w.typ, g.typ)
			continue
		}
		if w.mode != g.mode {
			d("mode", fmt.Sprintf("%#o", w.mode), fmt.Sprintf("%#o", g.mode))
		}
		if w.uid != g.uid || w.gid != g.gid {
			d("owner", fmt.Sprint(w.uid, ":", w.gid), fmt.Sprint(g.uid, ":", g.gid))
		}
		if w.typ == unix.S_IFREG && (w.size != g.size || w.digest != g.digest) {
			d("content (size)", w.size, g.size)
		}
		if w.typ == unix.S_IFREG && o.blocks && w.blocks != g.blocks {
			d("st_blocks", w.blocks, g.blocks)
		}
		if w.target != g.target {
			d("link target", w.target, g.target)
		}
		if w.rdev != g.rdev {
			d("rdev", w.rdev, g.rdev)
		}
		checkTime := w.typ != unix.S_IFDIR && w.typ != unix.S_IFLNK || w.typ == unix.S_IFDIR && o.dirTimes || w.typ == unix.S_IFLNK && o.linkTimes
		if checkTime && w.mtime != g.mtime {
			d("mtime", w.mtime, g.mtime)
		}
		if fmt.Sprint(w.xattrs) != fmt.Sprint(g.xattrs) {
			d("xattrs", w.xattrs, g.xattrs)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			diffs = append(diffs, fmt.Sprintf("%q: unexpected", name))
		}
	}
	if a, b := linkGroups(want), linkGroups(got); a != b {
		diffs = append(diffs, fmt.Sprintf("hard-link groups:\n got  %s\n want %s", b, a))
	}
	sort.Strings(diffs)
	for i, d := range diffs {
		if i == 30 {
			t.Errorf("... and %d more differences", len(diffs)-30)
			break
		}
		t.Error(d)
	}
}

// linkGroups describes which names share an inode.
func linkGroups(s map[string]*entry) string {
	byIno := map[uint64][]string{}
	for name, e := range s {
		if e.typ != unix.S_IFDIR {
			byIno[e.ino] = append(byIno[e.ino], name)
		}
	}
	var groups []string
	for _, names := range byIno {
		if len(names) > 1 {
			sort.Strings(names)
			groups = append(groups, strings.Join(names, "="))
		}
	}
	sort.Strings(groups)
	return strings.Join(groups, " ")
}

// corpus is a tree of the cases cp gets wrong: see buildCorpus.
type corpusOpts struct {
	bigSparse bool // a > 4 GiB sparse file
	flat      int  // entries in the flat directory
}

// buildCorpus makes the tricky tree under root (which must not exist).
func buildCorpus(t testing.TB, root string, o corpusOpts) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	write := func(rel string, data []byte, perm os.FileMode) {
		t.Helper()
		p := filepath.Join(root, rel)
		must(os.MkdirAll(filepath.Dir(p), 0o755))
		must(os.WriteFile(p, data, perm))
		must(os.Chmod(p, perm))
	}
	must(os.MkdirAll(root, 0o755))
	for i, n := range []int{0, 1, 4095, 4096, 4097, 65537, 1<<20 + 1} {
		write(fmt.Sprintf("sizes/f%d", i), testutil.Data(n, uint64(i)), 0o644)
	}
	write("modes/ro", []byte("read only\n"), 0o444)
	write("modes/exec", []byte("#!/bin/sh\n"), 0o755)
	write("modes/none", []byte("no access\n"), 0o000)
	write("modes/suid", []byte("setuid\n"), 0o4755)
	write("modes/sticky", []byte("sticky\n"), 0o1644)
	write("names/héllo wörld", []byte("unicode\n"), 0o644)
	write("names/new\nline", []byte("newline\n"), 0o644)
	write("names/-dash", []byte("dash\n"), 0o644)
	write("names/quote'd", []byte("quote\n"), 0o644)
	write("names/"+strings.Repeat("x", 250), []byte("long\n"), 0o644)
	must(os.MkdirAll(filepath.Join(root, "empty/dir"), 0o755))

	// Sparse: hole, data, hole, data, trailing hole; and an all-hole file.
	sparse := func(rel string, size int64, extents ...int64) {
		p := filepath.Join(root, rel)
		must(os.MkdirAll(filepath.Dir(p), 0o755))
		f, err := os.Create(p)
		must(err)
		for i, off := range extents {
			_, err := f.WriteAt(testutil.Data(64<<10, uint64(100+i)), off)
			must(err)
		}
		must(f.Truncate(size))
		must(f.Close())
	}
	sparse("sparse/holes", 64<<20, 1<<20, 9<<20, 30<<20)
	sparse("sparse/leading-data", 32<<20, 0)
	sparse("sparse/all-hole", 16<<20)
	if o.bigSparse {
		sparse("sparse/big", 5<<30, 0, 4<<30+12345)
	}

	// Hard links: a group of three across directories, and a pair.
	write("links/a", []byte("hard\n"), 0o640)
	must(os.MkdirAll(filepath.Join(root, "links/sub"), 0o755))
	must(os.Link(filepath.Join(root, "links/a"), filepath.Join(root, "links/b")))
	must(os.Link(filepath.Join(root, "links/a"), filepath.Join(root, "links/sub/c")))
	write("links/p1", []byte("pair\n"), 0o600)
	must(os.Link(filepath.Join(root, "links/p1"), filepath.Join(root, "links/p2")))

	// Symlinks: relative, absolute, dangling, to a directory, a loop.
	sym := func(target, rel string) { must(os.Symlink(target, filepath.Join(root, rel))) }
	must(os.MkdirAll(filepath.Join(root, "sym"), 0o755))
	sym("../sizes/f1", "sym/rel")
	sym("/etc/hostname", "sym/abs")
	sym("nowhere", "sym/dangling")
	sym("../empty", "sym/dir")
	sym("loop2", "sym/loop1")
	sym("loop1", "sym/loop2")
	sym(".", "sym/self")

	// Special files: a FIFO, a socket, device nodes when root.
	must(os.MkdirAll(filepath.Join(root, "special"), 0o755))
	must(unix.Mkfifo(filepath.Join(root, "special/fifo"), 0o640))
	sock := filepath.Join(root, "special/sock")
	if len(sock) < 100 {
		l, err := net.Listen("unix", sock)
		must(err)
		l.(*net.UnixListener).SetUnlinkOnClose(false)
		l.Close()
	}
	if os.Geteuid() == 0 {
		must(unix.Mknod(filepath.Join(root, "special/null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
		must(unix.Mknod(filepath.Join(root, "special/blk"), unix.S_IFBLK|0o600, int(unix.Mkdev(7, 200))))
	}

	// Extended attributes: user.*, a POSIX ACL, security.capability (root).
	x := filepath.Join(root, "xattr/file")
	write("xattr/file", []byte("xattrs\n"), 0o755)
	must(unix.Setxattr(x, "user.one", []byte("1"), 0))
	must(unix.Setxattr(x, "user.bin", []byte{0, 1, 2, 255}, 0))
	must(unix.Setxattr(filepath.Join(root, "xattr"), "user.dir", []byte("d"), 0))
	// system.posix_acl_access: user::rwx, user:1000:r--, group::r-x, mask::r-x, other::r-x.
	acl := []byte{2, 0, 0, 0, 1, 0, 7, 0, 255, 255, 255, 255, 2, 0, 4, 0, 232, 3, 0, 0,
		4, 0, 5, 0, 255, 255, 255, 255, 16, 0, 5, 0, 255, 255, 255, 255, 32, 0, 5, 0, 255, 255, 255, 255}
	if err := unix.Setxattr(x, "system.posix_acl_access", acl, 0); err != nil {
		t.Logf("no POSIX ACLs here: %v", err)
	}
	// A default ACL given to a directory after its entries were made:
	// they have none, and their copies must not inherit one from the
	// copied directory (its attributes go on after its contents).
	for i := range 4 {
		write(fmt.Sprintf("defacl/f%d", i), []byte("no acl\n"), 0o644)
	}
	write("defacl/sub/file", []byte("no acl\n"), 0o600)
	if err := unix.Setxattr(filepath.Join(root, "defacl"), "system.posix_acl_default", acl, 0); err != nil {
		t.Logf("no default ACLs here: %v", err)
	}
	if os.Geteuid() == 0 {
		// cap_net_bind_service=ep, VFS_CAP_REVISION_2.
		capv := []byte{1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
		write("xattr/cap", []byte("capability\n"), 0o755)
		must(os.Chown(filepath.Join(root, "xattr/cap"), 1234, 5678))
		if err := unix.Setxattr(filepath.Join(root, "xattr/cap"), "security.capability", capv, 0); err != nil {
			t.Logf("security.capability: %v", err)
		}
		// A set-group-ID directory: new entries take its group; the
		// copy must still carry each entry's own group.
		write("setgid/sub/file", []byte("group\n"), 0o640)
		must(os.Chown(filepath.Join(root, "setgid"), 0, 4242))
		must(unix.Chmod(filepath.Join(root, "setgid"), 0o2775))
		must(os.Chown(filepath.Join(root, "setgid/sub"), 0, 0))
		write("owner/file", []byte("owned\n"), 0o640)
		must(os.Chown(filepath.Join(root, "owner/file"), 1234, 5678))
		must(os.Lchown(filepath.Join(root, "sym/rel"), 1234, 5678))
		// Only trusted.* and security.* go on a symlink; cp -a copies them.
		if err := unix.Lsetxattr(filepath.Join(root, "sym/rel"), "trusted.zcp", []byte("on a link"), 0); err != nil {
			t.Logf("trusted.* on a symlink: %v", err)
		}
		must(os.Chown(filepath.Join(root, "owner"), 4321, 8765))
	}

	// A deep chain and a flat directory.
	deep := filepath.Join(root, "deep")
	for i := 0; i < 40; i++ {
		deep = filepath.Join(deep, fmt.Sprintf("d%02d", i))
	}
	must(os.MkdirAll(deep, 0o755))
	must(os.WriteFile(filepath.Join(deep, "bottom"), []byte("deep\n"), 0o644))
	if o.flat > 0 {
		flat := filepath.Join(root, "flat")
		must(os.MkdirAll(flat, 0o755))
		for i := 0; i < o.flat; i++ {
			p := filepath.Join(flat, fmt.Sprintf("f%06d", i))
			if i%1000 == 0 {
				must(os.WriteFile(p, testutil.Data(i%4096, uint64(i)), 0o644))
			} else {
				f, err := os.Create(p)
				must(err)
				if i%3 == 0 {
					_, err = f.Write([]byte(p))
					must(err)
				}
				must(f.Close())
			}
		}
	}

	// Read-only directories with content, last (they stop writes).
	write("rodir/inner/file", []byte("in a read-only dir\n"), 0o644)
	must(os.Chmod(filepath.Join(root, "rodir/inner"), 0o555))
	must(os.Chmod(filepath.Join(root, "rodir"), 0o500))

	// Timestamps in nanoseconds, on everything (links too), deepest first.
	ts := []unix.Timespec{unix.NsecToTimespec(1000000000_123456789), unix.NsecToTimespec(1234567890_987654321)}
	var paths []string
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil {
			paths = append(paths, p)
		}
		return nil
	})
	for i := len(paths) - 1; i >= 0; i-- {
		ts[1] = unix.NsecToTimespec(1234567890_100000000 + int64(i))
		must(unix.UtimesNanoAt(unix.AT_FDCWD, paths[i], ts, unix.AT_SYMLINK_NOFOLLOW))
	}
}

// sameBytes compares two files' contents.
func sameBytes(t testing.TB, a, b string) bool {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(x, y)
}

// digest hashes a file's content as (offset, block) for every 64 KiB block
// that is not all zeros, reading only the data segments SEEK_DATA finds:
// equal for equal contents, whatever the hole layout, and fast on the
// corpus's 5 GiB sparse file.
func digest(t testing.TB, p string) (sum [32]byte) {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	size := fi.Size()
	h := sha256.New()
	fmt.Fprintf(h, "size %d\n", size)
	const block = 64 << 10
	buf := make([]byte, block)
	for off := int64(0); off < size; {
		data, err := unix.Seek(int(f.Fd()), off, unix.SEEK_DATA)
		if err != nil {
			break // ENXIO: only a hole remains
		}
		hole, err := unix.Seek(int(f.Fd()), data, unix.SEEK_HOLE)
		if err != nil {
			t.Fatal(err)
		}
		for b := data / block * block; b < hole; b += block {
			n, err := f.ReadAt(buf, b)
			if err != nil && err != io.EOF {
				t.Fatal(err)
			}
			if !allZero(buf[:n]) {
				fmt.Fprintf(h, "%d:", b)
				h.Write(buf[:n])
			}
		}
		off = (hole + block - 1) / block * block
	}
	copy(sum[:], h.Sum(nil))
	return sum
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
