package wasi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/zcopy/zcopy/copytree"
)

// stdPackages are the standard library packages whose tests exercise a
// filesystem, run inside a wasip1 guest by TestStdTestsInGuest.
var stdPackages = []string{
	"os",
	"io/fs",
	"path/filepath",
	"io/ioutil",
	"testing/fstest",
	"archive/tar",
	"archive/zip",
}

// extraTrees are the GOROOT directories a package's tests read besides
// its own (which is inside the first one here, or is the default).
var extraTrees = map[string][]string{
	"io/ioutil":     {"src/io"},                           // TestReadDir lists ".."
	"path/filepath": {"src/path/filepath", "src/unicode"}, // TestBug3486 walks src/unicode
}

// notRun are the tests of stdPackages left out (-test.skip) because they
// spend tens of seconds computing in the guest, touching no file.
var notRun = map[string]string{
	"os":          "^TestLargeCopyViaNetwork$",                       // a socket pair
	"io/fs":       "^TestCVE202230630$",                              // a deep Glob pattern on a fstest.MapFS
	"archive/tar": "^(TestReadOldGNUSparseMap|TestWriteLongHeader)$", // in-memory archives
}

// knownDivergences are the std tests that pass on DirFS and fail on memfs
// because memfs itself differs from Linux (not the adapter), keyed
// "package.Test", with the cause. A listed test that fails on memfs is
// logged; one that passes fails the test, so that the list cannot go
// stale. None is known now.
var knownDivergences = map[string]string{}

// testLine is go test -v's verdict line for a test or subtest.
var testLine = regexp.MustCompile(`^\s*--- (PASS|FAIL|SKIP): (\S+)`)

// verdicts parses go test -v output: test name -> PASS, FAIL or SKIP.
func verdicts(out []byte) map[string]string {
	v := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if m := testLine.FindStringSubmatch(line); m != nil {
			v[m[2]] = m[1]
		}
	}
	return v
}

// TestStdTestsInGuest compiles the tests of stdPackages for wasip1 with
// this Go toolchain and runs each binary under wazero twice, at the same
// time: over a cp -a copy of the package's source directory (and a
// TMPDIR) on the host through wazero's sysfs.DirFS, the oracle, and over
// memfs, an overlay of the same directory in GOROOT itself (imported, not
// copied). Every test that passes on DirFS must pass on memfs, and GOROOT
// must not change. The guests run in testdata/stdguest, built without
// -race (see its doc).
func TestStdTestsInGuest(t *testing.T) {
	t.Parallel()
	gocmd := goTool(t)
	goroot := goEnvGOROOT(t, gocmd)
	work := t.TempDir()
	runner := filepath.Join(work, "stdguest")
	buildHost(t, gocmd, runner, "./testdata/stdguest")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	for _, pkg := range stdPackages {
		t.Run(strings.ReplaceAll(pkg, "/", "_"), func(t *testing.T) {
			t.Parallel()
			srcDir := filepath.Join(goroot, "src", pkg)
			before := treeSignature(t, srcDir)
			bin := filepath.Join(work, strings.ReplaceAll(pkg, "/", "_")+".wasm")
			start := time.Now()
			buildWasm(t, gocmd, work, "test", "-c", "-o", bin, pkg)
			built := time.Since(start)

			// The oracle: a cp -a copy of the package directory and of
			// GOROOT's top-level files (os's tests read some), at
			// GOROOT's own path, which runtime.GOROOT() gives in the
			// guest.
			host := filepath.Join(work, strings.ReplaceAll(pkg, "/", "_")+".root")
			guestRoot := strings.TrimPrefix(filepath.ToSlash(goroot), "/")
			guestSrc := path.Join(guestRoot, "src", pkg)
			if err := os.MkdirAll(filepath.Join(host, filepath.Dir(guestSrc)), 0o755); err != nil {
				t.Fatal(err)
			}
			copyA := func(src, dst string) {
				if _, err := copytree.Copy(ctx, src, dst, copytree.Options{Preserve: copytree.PreserveAll}); err != nil {
					t.Fatal(err)
				}
			}
			args := []string{"-wasm", bin, "-dirfs", host, "-mkdir", "tmp"}
			trees := extraTrees[pkg]
			if trees == nil {
				trees = []string{path.Join("src", pkg)}
			}
			for _, tree := range trees {
				hostTree := filepath.Join(goroot, filepath.FromSlash(tree))
				if err := os.MkdirAll(filepath.Join(host, guestRoot, filepath.Dir(tree)), 0o755); err != nil {
					t.Fatal(err)
				}
				copyA(hostTree, filepath.Join(host, guestRoot, tree))
				args = append(args, "-import", hostTree+"="+path.Join(guestRoot, tree))
			}
			top, err := os.ReadDir(goroot)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range top {
				if e.Type().IsRegular() {
					copyA(filepath.Join(goroot, e.Name()), filepath.Join(host, guestRoot, e.Name()))
					args = append(args, "-importfile", filepath.Join(goroot, e.Name())+"="+path.Join(guestRoot, e.Name()))
				}
			}
			if err := os.Mkdir(filepath.Join(host, "tmp"), 0o777); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(filepath.Join(host, "tmp"), 0o777|fs.ModeSticky); err != nil {
				t.Fatal(err)
			}

			// GOWASIRUNTIME=wazero, as Go's own wasip1 runner sets it,
			// skips the tests of what wazero itself lacks (tracking
			// renamed directories), whatever the filesystem.
			args = append(args, "-env", "PWD=/"+guestSrc, "-env", "TMPDIR=/tmp", "-env", "HOME=/tmp", "-env", "GOWASIRUNTIME=wazero",
				"--", pkg+".test", "-test.v", "-test.short", "-test.timeout=4m")
			if skip := notRun[pkg]; skip != "" {
				args = append(args, "-test.skip", skip)
			}
			cmd := exec.CommandContext(ctx, runner, args...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			js, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: %v\n%s", cmd, err, stderr.String())
			}
			var runs []guestRun
			if err := json.Unmarshal(js, &runs); err != nil || len(runs) != 2 {
				t.Fatalf("stdguest output: %v\n%.2000s", err, js)
			}
			var outs [2][]byte
			for i, r := range runs {
				if r.Err != "" {
					t.Fatalf("%s guest: %s\n%s", r.FS, r.Err, tail([]byte(r.Output)))
				}
				outs[i] = []byte(r.Output)
			}
			dv, mv := verdicts(outs[0]), verdicts(outs[1])
			if len(dv) == 0 {
				t.Fatalf("DirFS guest (exit %d) ran no test:\n%s", runs[0].Exit, tail(outs[0]))
			}
			var pass, skip, bothFail, onlyMem, known []string
			for name, d := range dv {
				m := mv[name]
				switch {
				case d == "PASS" && m == "PASS":
					pass = append(pass, name)
				case d == "PASS" && knownDivergences[pkg+"."+name] != "":
					known = append(known, name+": "+knownDivergences[pkg+"."+name])
				case d == "PASS":
					onlyMem = append(onlyMem, name)
				case d == "FAIL" && m != "PASS":
					bothFail = append(bothFail, name)
				case d == "SKIP":
					skip = append(skip, name)
				}
			}
			sort.Strings(bothFail)
			sort.Strings(onlyMem)
			ms := func(ns int64) time.Duration { return time.Duration(ns).Round(time.Millisecond) }
			t.Logf("%s: build %v, compile %v, DirFS run %v (exit %d), memfs run %v (exit %d): %d tests pass on both, %d skip on DirFS, fail on both: %v",
				pkg, built.Round(time.Millisecond), ms(runs[0].CompileNs), ms(runs[0].Nanos), runs[0].Exit,
				ms(runs[1].Nanos), runs[1].Exit, len(pass), len(skip), bothFail)
			for _, k := range known {
				t.Logf("%s: known memfs divergence, fails only on memfs: %s", pkg, k)
			}
			for name, why := range knownDivergences {
				if p, test, _ := strings.Cut(name, "."); p == pkg && dv[test] == "PASS" && mv[test] == "PASS" {
					t.Errorf("%s: %s passes on memfs now (%s fixed?): drop it from knownDivergences", pkg, test, why)
				}
			}
			for _, name := range onlyMem {
				t.Errorf("%s: %s passes on DirFS, %s on memfs:\n%s", pkg, name, orMissing(mv[name]), testOutput(outs[1], name))
			}
			if after := treeSignature(t, srcDir); after != before {
				t.Errorf("%s changed under the memfs overlay", srcDir)
			}
		})
	}
}

// guestRun is what testdata/stdguest prints for each run.
type guestRun struct {
	FS        string
	Output    string
	Exit      uint32
	Err       string
	Nanos     int64
	CompileNs int64
}

func orMissing(s string) string {
	if s == "" {
		return "not run"
	}
	return s
}

// tail is the end of a guest's output, for messages.
func tail(out []byte) string {
	const n = 4000
	if len(out) > n {
		return "..." + string(out[len(out)-n:])
	}
	return string(out)
}

// testOutput is the output of the named test (from its === RUN line to
// the next one), for messages.
func testOutput(out []byte, name string) string {
	lines := strings.Split(string(out), "\n")
	var b strings.Builder
	in := false
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "=== RUN") {
			in = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "=== RUN")) == name
		}
		if in && b.Len() < 4000 {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// treeSignature describes a host tree (names, modes, sizes, mtimes).
func treeSignature(t testing.TB, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %v %d %d\n", p, fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
