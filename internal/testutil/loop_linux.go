package testutil

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// Loop devices and loop-mounted filesystems are costly to set up, so tests
// share them: the first test to ask creates one, later ones reuse it, and
// TestMain calls ReleaseShared at the end of the run to unmount and detach
// everything. A failed setup is remembered and every asker skips with its
// reason.

var shared struct {
	sync.Mutex
	items    map[string]*sharedItem
	releases []func() // in creation order; run in reverse
}

type sharedItem struct {
	once sync.Once
	val  string
	err  error
}

// sharedOnce runs setup once per key and returns its result to every caller.
// setup registers its own teardown with addRelease.
func sharedOnce(key string, setup func() (string, error)) (string, error) {
	shared.Lock()
	if shared.items == nil {
		shared.items = map[string]*sharedItem{}
	}
	it := shared.items[key]
	if it == nil {
		it = &sharedItem{}
		shared.items[key] = it
	}
	shared.Unlock()
	it.once.Do(func() { it.val, it.err = setup() })
	return it.val, it.err
}

func addRelease(f func()) {
	shared.Lock()
	shared.releases = append(shared.releases, f)
	shared.Unlock()
}

// ReleaseShared unmounts and detaches everything the shared helpers set up.
// TestMain calls it once all tests are done.
func ReleaseShared() {
	shared.Lock()
	rs := shared.releases
	shared.releases, shared.items = nil, nil
	shared.Unlock()
	for i := len(rs) - 1; i >= 0; i-- {
		rs[i]()
	}
}

// Losetup attaches file to a free loop device and returns its path and a
// function that detaches it.
func Losetup(file string) (dev string, detach func() error, err error) {
	out, err := exec.Command("losetup", "--find", "--show", file).CombinedOutput()
	if err != nil {
		return "", nil, fmt.Errorf("losetup %s: %v: %s", file, err, strings.TrimSpace(string(out)))
	}
	dev = strings.TrimSpace(string(out))
	return dev, func() error {
		if out, err := exec.Command("losetup", "-d", dev).CombinedOutput(); err != nil {
			return fmt.Errorf("losetup -d %s: %v: %s", dev, err, strings.TrimSpace(string(out)))
		}
		return nil
	}, nil
}

// SharedBlockDevice returns a loop device named name, of size bytes (a
// multiple of 512), whose first bytes are content; it is created once per
// test binary. It skips t unless root and losetup work.
func SharedBlockDevice(t testing.TB, name string, size int64, content []byte) string {
	t.Helper()
	NeedRoot(t)
	dev, err := sharedOnce("blk:"+name, func() (string, error) {
		dir, err := os.MkdirTemp("", "zcopy-blk-")
		if err != nil {
			return "", err
		}
		img := filepath.Join(dir, name+".img")
		if err := writeImage(img, size, content); err != nil {
			os.RemoveAll(dir)
			return "", err
		}
		dev, detach, err := Losetup(img)
		if err != nil {
			os.RemoveAll(dir)
			return "", err
		}
		addRelease(func() {
			if err := detach(); err != nil {
				fmt.Fprintln(os.Stderr, "testutil:", err)
			}
			os.RemoveAll(dir)
		})
		return dev, nil
	})
	if err != nil {
		t.Skipf("no loop device: %v", err)
	}
	return dev
}

func writeImage(path string, size int64, content []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, werr := f.Write(content)
	terr := f.Truncate(size)
	cerr := f.Close()
	return errors.Join(werr, terr, cerr)
}

// imageSize is the size of the loop-mounted filesystems: XFS wants at
// least 300 MB.
const imageSize = 320 << 20

// SharedMount returns the mount point of a loop-mounted filesystem of type
// fstype ("btrfs", "xfs"), created once per test binary. Tests make their
// own directories under it (see MkdirIn). It skips t unless root, the mkfs
// tool and the mount work.
func SharedMount(t testing.TB, fstype string) string {
	t.Helper()
	NeedRoot(t)
	dir, err := sharedOnce("mount:"+fstype, func() (string, error) { return mountImage(fstype) })
	if err != nil {
		t.Skipf("no %s mount: %v", fstype, err)
	}
	return dir
}

func mountImage(fstype string) (mnt string, err error) {
	mkfs, err := exec.LookPath("mkfs." + fstype)
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "zcopy-"+fstype+"-")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	img := filepath.Join(dir, "fs.img")
	if err := writeImage(img, imageSize, nil); err != nil {
		return "", err
	}
	if out, err := exec.Command(mkfs, "-q", "-f", img).CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s: %v: %s", mkfs, err, strings.TrimSpace(string(out)))
	}
	dev, detach, err := Losetup(img)
	if err != nil {
		return "", err
	}
	mnt = filepath.Join(dir, "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		detach()
		return "", err
	}
	if err := unix.Mount(dev, mnt, fstype, 0, ""); err != nil {
		detach()
		return "", fmt.Errorf("mount -t %s %s: %w", fstype, dev, err)
	}
	addRelease(func() {
		if err := unmount(mnt); err != nil {
			fmt.Fprintln(os.Stderr, "testutil:", err)
		}
		if err := detach(); err != nil {
			fmt.Fprintln(os.Stderr, "testutil:", err)
		}
		os.RemoveAll(dir)
	})
	return mnt, nil
}

func unmount(dir string) error {
	if err := unix.Unmount(dir, 0); err != nil {
		// Something still holds it (a test that failed mid-way): detach
		// lazily rather than leave the mount behind.
		if err2 := unix.Unmount(dir, unix.MNT_DETACH); err2 != nil {
			return fmt.Errorf("umount %s: %v", dir, err)
		}
	}
	return nil
}

// MkdirIn makes a fresh directory under parent (a shared mount) that is
// removed when t ends.
func MkdirIn(t testing.TB, parent string) string {
	t.Helper()
	dir, err := os.MkdirTemp(parent, "t-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TmpfsDir returns a directory on a fresh tmpfs limited to size ("1m"),
// unmounted when t ends. It skips t unless root and the mount works.
func TmpfsDir(t testing.TB, size string) string {
	t.Helper()
	NeedRoot(t)
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("mount -t tmpfs -o size=%s: %v", size, err)
	}
	t.Cleanup(func() {
		if err := unmount(dir); err != nil {
			t.Error(err)
		}
	})
	return dir
}

// ShmDir returns a fresh directory on the tmpfs at /dev/shm, removed when t
// ends; it skips t if /dev/shm is not a tmpfs.
func ShmDir(t testing.TB) string {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs("/dev/shm", &st); err != nil || st.Type != unix.TMPFS_MAGIC {
		t.Skip("/dev/shm is not a tmpfs")
	}
	return MkdirIn(t, "/dev/shm")
}
