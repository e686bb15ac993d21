// Package testutil holds helpers shared by zcopy's tests: a descriptor
// leak check for TestMain, and skips with reasons for tests that need root,
// a loop-mounted filesystem or a tool.
package testutil

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// OpenFDs lists the process's open descriptors with what they point at.
func OpenFDs() map[string]string {
	fds := map[string]string{}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil
	}
	for _, e := range entries {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // the descriptor ReadDir itself used
		}
		fds[e.Name()] = target
	}
	return fds
}

// RunWithLeakCheck runs the tests and fails the run if descriptors opened
// during it are still open at the end. release is called first to close
// what is held on purpose (pooled pipes). Where /proc is missing (not
// Linux) it just runs the tests.
func RunWithLeakCheck(m *testing.M, release func()) int {
	before := OpenFDs()
	code := m.Run()
	if before == nil || code != 0 || profiling() {
		return code
	}
	if release != nil {
		release()
	}
	leaked := leakedFDs(before)
	// Go's own io.Copy keeps splice pipes in a sync.Pool, closed only when
	// the GC drops them (internal/poll's splicePipePool): the oracle of
	// the tests holds some. Two GCs empty a sync.Pool; the cleanups that
	// close the pipes run soon after. Bounded: 20 rounds.
	for i := 0; len(leaked) > 0 && i < 20; i++ {
		runtime.GC()
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		leaked = leakedFDs(before)
	}
	if len(leaked) > 0 {
		sort.Strings(leaked)
		fmt.Fprintf(os.Stderr, "FAIL: %d file descriptors leaked:\n\t%s\n", len(leaked), strings.Join(leaked, "\n\t"))
		return 1
	}
	return 0
}

// leakedFDs lists the descriptors open now that were not in before.
func leakedFDs(before map[string]string) []string {
	var leaked []string
	for fd, target := range OpenFDs() {
		if old, ok := before[fd]; ok && old == target {
			continue
		}
		if strings.HasPrefix(target, "anon_inode:[eventpoll]") || strings.HasPrefix(target, "anon_inode:[eventfd]") ||
			strings.HasPrefix(target, "anon_inode:[pidfd]") {
			continue // the runtime's poller and process handles
		}
		leaked = append(leaked, fmt.Sprintf("fd %s -> %s", fd, target))
	}
	return leaked
}

// profiling reports whether go test writes a profile, whose file is open
// while the tests run.
func profiling() bool {
	for _, name := range []string{"test.cpuprofile", "test.memprofile", "test.blockprofile",
		"test.mutexprofile", "test.trace", "test.coverprofile"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return true
		}
	}
	return false
}

// NeedRoot skips t unless the test runs as root.
func NeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}
