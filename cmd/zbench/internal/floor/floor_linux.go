package floor

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/eintr"
)

// partEnv carries "k/n" to a child of the procs mode: copy the k-th of n
// parts of the top-level directories.
const partEnv = "ZBENCH_FLOOR_PART"

// Modes are the ways Copy splits the work, in the order they are
// described in the package documentation.
var Modes = []string{"one", "threads", "unshare", "procs"}

// Main is `zbench floor MODE SRC DST`; it returns the exit code.
func Main(args []string, stderr io.Writer) int {
	if len(args) != 3 {
		fmt.Fprintf(stderr, "usage: zbench floor %s SRC DST\n", strings.Join(Modes, "|"))
		return 2
	}
	mode, src, dst := args[0], args[1], args[2]
	var err error
	if part := os.Getenv(partEnv); part != "" {
		err = child(part, src, dst)
	} else {
		err = Copy(mode, src, dst)
	}
	if err != nil {
		fmt.Fprintf(stderr, "zbench floor: %v\n", err)
		return 1
	}
	return 0
}

// Copy copies the directories of src (each holding regular files only)
// into dst, which it creates, the work split as mode says.
func Copy(mode, src, dst string) error {
	if !slices.Contains(Modes, mode) {
		return fmt.Errorf("unknown mode %q (want %s)", mode, strings.Join(Modes, ", "))
	}
	dirs, err := topDirs(src)
	if err != nil {
		return err
	}
	if err := os.Mkdir(dst, 0o777); err != nil {
		return err
	}
	n := runtime.NumCPU()
	switch mode {
	case "one":
		return copyDirs(src, dst, dirs)
	case "procs":
		return procs(src, dst, n)
	}
	if mode == "unshare" {
		// Go's poller opens its epoll descriptor on first use, in the
		// table of the thread that uses it first; opened in a worker's
		// private table it is a bad descriptor for every other thread
		// and the runtime dies ("netpoll failed"). A pipe opens it here.
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		r.Close()
		w.Close()
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for k := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Never unlocked: with its own descriptor table, the
			// thread must end with the goroutine, not serve others.
			runtime.LockOSThread()
			if mode == "unshare" {
				if err := unix.Unshare(unix.CLONE_FILES); err != nil {
					errs[k] = os.NewSyscallError("unshare", err)
					return
				}
			}
			errs[k] = copyDirs(src, dst, part(dirs, k, n))
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// topDirs lists src's entries, sorted; all must be directories.
func topDirs(src string) ([]string, error) {
	ents, err := os.ReadDir(src)
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, e := range ents {
		if !e.IsDir() {
			return nil, fmt.Errorf("%s: not a directory (the tree must hold directories of regular files)", filepath.Join(src, e.Name()))
		}
		dirs = append(dirs, e.Name())
	}
	return dirs, nil
}

// part is the k-th of n contiguous parts of dirs.
func part(dirs []string, k, n int) []string {
	return dirs[k*len(dirs)/n : (k+1)*len(dirs)/n]
}

// procs runs n copies of this program, each on its part.
func procs(src, dst string, n int) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	var cmds []*exec.Cmd
	var errs []error
	for k := range n {
		c := exec.Command(exe, "floor", "procs", src, dst)
		c.Env = append(os.Environ(), fmt.Sprintf("%s=%d/%d", partEnv, k, n))
		c.Stderr = os.Stderr
		if err := c.Start(); err != nil {
			errs = append(errs, err)
			break
		}
		cmds = append(cmds, c)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// child is one process of the procs mode.
func child(spec, src, dst string) error {
	ks, ns, ok := strings.Cut(spec, "/")
	k, err1 := strconv.Atoi(ks)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || k < 0 || k >= n {
		return fmt.Errorf("bad %s=%q", partEnv, spec)
	}
	dirs, err := topDirs(src)
	if err != nil {
		return err
	}
	return copyDirs(src, dst, part(dirs, k, n))
}

// copyDirs copies each of dirs from src to dst.
func copyDirs(src, dst string, dirs []string) error {
	for _, d := range dirs {
		if err := copyDir(filepath.Join(src, d), filepath.Join(dst, d)); err != nil {
			return err
		}
	}
	return nil
}

func copyDir(src, dst string) error {
	if err := os.Mkdir(dst, 0o777); err != nil {
		return err
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return err
	}
	df, err := os.Open(dst)
	if err != nil {
		return err
	}
	defer df.Close()
	sfd, dfd := int(f.Fd()), int(df.Fd())
	for _, name := range names {
		if err := copyFile(sfd, dfd, name); err != nil {
			return &os.PathError{Op: "copy", Path: filepath.Join(src, name), Err: err}
		}
	}
	return nil
}

// copyFile is the system calls zcp makes for a file on tmpfs.
func copyFile(sdir, ddir int, name string) error {
	var s int
	err := eintr.Retry(func() (err error) {
		s, err = unix.Openat(sdir, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return os.NewSyscallError("openat", err)
	}
	defer unix.Close(s)
	var st unix.Stat_t
	if err := eintr.Retry(func() error { return unix.Fstat(s, &st) }); err != nil {
		return os.NewSyscallError("fstat", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return errors.New("not a regular file")
	}
	var d int
	err = eintr.Retry(func() (err error) {
		d, err = unix.Openat(ddir, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, st.Mode&0o777)
		return err
	})
	if err != nil {
		return os.NewSyscallError("openat", err)
	}
	for left := st.Size; left > 0; {
		var n int
		err := eintr.Retry(func() (err error) {
			n, err = unix.CopyFileRange(s, nil, d, nil, int(left), 0)
			return err
		})
		if err != nil {
			unix.Close(d)
			return os.NewSyscallError("copy_file_range", err)
		}
		if n == 0 {
			break // the source shrank
		}
		left -= int64(n)
	}
	if err := unix.Close(d); err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}
