package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	memfuse "github.com/zcopy/zcopy/memfs/fuse"
)

// nobody is the unprivileged user the test mounts as.
const nobody = 65534

// fusermount3 is where Debian's fuse3 installs the setuid helper.
const fusermount3 = "/usr/bin/fusermount3"

// needNonRootFUSE skips t unless an unprivileged user can mount FUSE
// here: the test must be root (to become that user), and there must be
// /dev/fuse and a setuid-root fusermount3.
func needNonRootFUSE(t *testing.T) {
	t.Helper()
	if !memfuse.Supported {
		t.Skip("memfs/fuse does not mount on this architecture")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to run zmount as another, unprivileged user")
	}
	var st unix.Stat_t
	if err := unix.Stat("/dev/fuse", &st); err != nil {
		t.Skipf("no /dev/fuse: %v", err)
	}
	if err := unix.Stat(fusermount3, &st); err != nil {
		t.Skipf("no %s (Debian package fuse3): %v", fusermount3, err)
	}
	if st.Mode&unix.S_ISUID == 0 || st.Uid != 0 {
		t.Skipf("%s is not setuid root", fusermount3)
	}
}

// inPrivateNS marks the run of TestNonRoot in its own mount namespace.
const inPrivateNS = "ZMOUNT_TEST_PRIVATE_FUSE_NODE"

// fuseClosedToUsers reports whether /dev/fuse is closed to other users:
// fusermount3 opens it as the calling user, so the user needs it open
// (Debian's udev rules make it 0666; some containers have 0600).
func fuseClosedToUsers() bool {
	var st unix.Stat_t
	return unix.Stat("/dev/fuse", &st) == nil && st.Mode&0o006 != 0o006
}

// rerunWithOpenFUSE runs TestNonRoot again in a private mount namespace
// whose /dev/fuse is a 0666 node of the same device, as on Debian: the
// machine's own /dev/fuse is left as it is.
func rerunWithOpenFUSE(t *testing.T) {
	if os.Getenv(inPrivateNS) != "" {
		t.Fatal("/dev/fuse still closed to users in the private namespace")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skipf("/dev/fuse is closed to other users and there is no unshare(1) to give a private namespace an open one: %v", err)
	}
	dev := t.TempDir()
	script := `mount -t tmpfs -o mode=755 zmount-test "$1" && mknod -m 666 "$1/fuse" c 10 229 && mount --bind "$1/fuse" /dev/fuse && exec "$2" -test.run='^TestNonRoot$' -test.count=1 -test.v`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh", dev, os.Args[0])
	cmd.Env = append(os.Environ(), inPrivateNS+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("in a private mount namespace with a 0666 /dev/fuse:\n%s", out)
	switch {
	case err != nil && !bytes.Contains(out, []byte("=== RUN")):
		t.Skipf("/dev/fuse is closed to other users, and no private namespace with an open one: %v", err)
	case err != nil:
		t.Fatal(err)
	case bytes.Contains(out, []byte("--- SKIP")):
		t.Skip("skipped in the private namespace")
	}
}

// mountedAt reports whether a mount's point is dir, from mountinfo: the
// mounting user's FUSE mount denies root even a stat.
func mountedAt(dir string) bool {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if fields := strings.Fields(s.Text()); len(fields) > 4 && fields[4] == dir {
			return true
		}
	}
	return false
}

// asNobody makes cmd run as the unprivileged user.
func asNobody(cmd *exec.Cmd) *exec.Cmd {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, NoSetGroups: true}}
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	return cmd
}

// TestNonRoot runs the zmount binary as an unprivileged user, who mounts
// through the setuid fusermount3: a process of that user reads imported
// data, writes a file and sees the limit in statfs; `fusermount3 -u` and
// SIGTERM unmount cleanly, and zmount exits 0 and reports the change.
func TestNonRoot(t *testing.T) {
	needNonRootFUSE(t)
	if fuseClosedToUsers() {
		rerunWithOpenFUSE(t)
		return
	}
	// A tree the user can reach: t.TempDir's parents are private.
	dir, err := os.MkdirTemp("", "zmount-nonroot")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	zmount := filepath.Join(dir, "zmount")
	args := append(append([]string{"build"}, buildFlags...), "-o", zmount, ".")
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "f"), []byte("imported\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The user's own tree (the mount's root is the mounting user's).
	for _, p := range []string{src, filepath.Join(src, "f")} {
		if err := os.Chown(p, nobody, nobody); err != nil {
			t.Fatal(err)
		}
	}

	// fusermount3 refuses a mount point the user cannot write.
	closed := filepath.Join(dir, "mnt-root")
	if err := os.Mkdir(closed, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := asNobody(exec.Command(zmount, src, closed)).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !bytes.Contains(out, []byte("no write access to mountpoint")) {
		t.Errorf("zmount on root's directory: %v %q, want exit status 1 and fusermount3's refusal", err, out)
	}

	// --passthrough needs CAP_SYS_ADMIN for the kernel to take backing
	// files: refused with exit status 1, nothing left mounted.
	pass := filepath.Join(dir, "mnt-passthrough")
	if err := os.Mkdir(pass, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(pass, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	out, err = asNobody(exec.Command(zmount, "--passthrough", src, pass)).CombinedOutput()
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !bytes.Contains(out, []byte("passthrough not available")) {
		t.Errorf("zmount --passthrough as a user: %v %q, want exit status 1 and the refusal", err, out)
	}
	if exec.Command("mountpoint", "-q", pass).Run() == nil {
		t.Errorf("zmount --passthrough as a user left %s mounted", pass)
		unix.Unmount(pass, unix.MNT_DETACH)
	}

	for _, stop := range []string{"fusermount3 -u", "SIGTERM"} {
		t.Run(stop, func(t *testing.T) {
			mnt := filepath.Join(dir, "mnt-"+strings.Fields(stop)[0])
			if err := os.Mkdir(mnt, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(mnt, nobody, nobody); err != nil {
				t.Fatal(err)
			}
			cmd := asNobody(exec.Command(zmount, "--changes", "--limit", "64M", src, mnt))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			defer func() {
				// Whatever failed, leave nothing mounted or running.
				cmd.Process.Kill()
				if mountedAt(mnt) {
					unix.Unmount(mnt, unix.MNT_DETACH)
				}
			}()
			for i := 0; i < 1000 && !mountedAt(mnt); i++ {
				select {
				case err := <-exited:
					t.Fatalf("zmount exited before mounting: %v\n%s", err, stderr.String())
				case <-time.After(10 * time.Millisecond):
				}
			}
			if !mountedAt(mnt) {
				t.Fatalf("not mounted after 10s: %s", stderr.String())
			}

			// Without --allow-other the mount is the user's alone.
			if _, err := os.Stat(mnt); !errors.Is(err, syscall.EACCES) {
				t.Errorf("stat of the mount by root: %v, want EACCES", err)
			}
			// An ordinary process of the user on the mount.
			script := `cat "$1/f" && echo written >"$1/new" && cat "$1/new" && stat -f -c '%b %S' "$1"`
			out, err := asNobody(exec.Command("/bin/sh", "-c", script, "sh", mnt)).CombinedOutput()
			if want := "imported\nwritten\n" + "16384 4096\n"; err != nil || string(out) != want {
				t.Errorf("user on the mount: %q %v, want %q", out, err, want)
			}

			if stop == "SIGTERM" {
				cmd.Process.Signal(syscall.SIGTERM)
			} else if out, err := asNobody(exec.Command(fusermount3, "-u", mnt)).CombinedOutput(); err != nil {
				t.Errorf("fusermount3 -u: %v\n%s", err, out)
			}
			select {
			case err := <-exited:
				if err != nil {
					t.Errorf("zmount: %v\n%s", err, stderr.String())
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("zmount did not exit after %s", stop)
			}
			if mountedAt(mnt) {
				t.Errorf("still mounted after %s", stop)
			}
			if got := stdout.String(); got != "A new\n" {
				t.Errorf("--changes printed %q, want %q", got, "A new\n")
			}
		})
	}
}
