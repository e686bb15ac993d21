package wasi_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"

	"github.com/zcopy/zcopy/copytree"
	"github.com/zcopy/zcopy/memfs"
	"github.com/zcopy/zcopy/memfs/wasi"
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

// knownDivergences are the std tests that pass on DirFS and fail on memfs
// because memfs itself differs from Linux (not the adapter), keyed
// "package.Test", with the cause. They are logged, not failed, until memfs
// is fixed; a listed test that passes is logged too.
var knownDivergences = map[string]string{
	// rmdir("d/.") is EINVAL on Linux; memfs's Remove("d/.") removes d
	// (issue 14, item 1).
	"os.TestRootRemoveDot": `memfs removes "d/." (issue 14 item 1)`,
	// open("a\x00") is EINVAL on Linux (no path holds a NUL byte); memfs
	// takes the NUL as part of the name.
	"os.TestErrPathNUL": "memfs accepts NUL bytes in names",
}

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
// this Go toolchain and runs each binary under wazero twice: over a copy
// of the package's source directory (and a TMPDIR) on the host through
// wazero's sysfs.DirFS, the oracle, and over memfs, an overlay of the
// same directory in GOROOT itself (imported, not copied). Every test that
// passes on DirFS must pass on memfs, and GOROOT must not change.
func TestStdTestsInGuest(t *testing.T) {
	gocmd := goTool(t)
	goroot := goEnvGOROOT(t, gocmd)
	work := t.TempDir()
	rt := newRuntime(t)
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
			mod := compile(t, rt, bin)
			compiled := time.Since(start)

			// The oracle: a cp -a copy of the package directory.
			host := filepath.Join(work, strings.ReplaceAll(pkg, "/", "_")+".root")
			guestSrc := path.Join("goroot/src", pkg)
			if err := os.MkdirAll(filepath.Join(host, filepath.Dir(guestSrc)), 0o755); err != nil {
				t.Fatal(err)
			}
			if _, err := copytree.Copy(ctx, srcDir, filepath.Join(host, guestSrc), copytree.Options{Preserve: copytree.PreserveAll}); err != nil {
				t.Fatal(err)
			}
			mkTmp := func(mkdir func(string, fs.FileMode) error, chmod func(string, fs.FileMode) error) {
				if err := mkdir("tmp", 0o777); err != nil {
					t.Fatal(err)
				}
				if err := chmod("tmp", 0o777|fs.ModeSticky); err != nil {
					t.Fatal(err)
				}
			}
			mkTmp(func(n string, m fs.FileMode) error { return os.Mkdir(filepath.Join(host, n), m) },
				func(n string, m fs.FileMode) error { return os.Chmod(filepath.Join(host, n), m) })

			// memfs: an overlay of GOROOT's own directory.
			mfs := memfs.New()
			defer mfs.Close()
			if err := mfs.MkdirAll(path.Dir(guestSrc), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := mfs.Import(ctx, srcDir, guestSrc); err != nil {
				t.Fatal(err)
			}
			mkTmp(mfs.Mkdir, mfs.Chmod)

			g := guest{
				args: []string{pkg + ".test", "-test.v", "-test.short", "-test.timeout=4m"},
				env:  []string{"PWD=/" + guestSrc, "TMPDIR=/tmp", "HOME=/tmp"},
			}
			fss := []experimentalsys.FS{sysfs.DirFS(host), wasi.New(mfs)}
			var wg sync.WaitGroup
			var outs [2][]byte
			var codes [2]uint32
			var errs [2]error
			var took [2]time.Duration
			for i, fsys := range fss {
				wg.Add(1)
				go func() {
					defer wg.Done()
					g := g
					g.fs = fsys
					t0 := time.Now()
					var stderr []byte
					outs[i], stderr, codes[i], errs[i] = g.run(ctx, rt, mod)
					outs[i] = append(outs[i], stderr...)
					took[i] = time.Since(t0)
				}()
			}
			wg.Wait()
			for i, name := range []string{"DirFS", "memfs"} {
				if errs[i] != nil {
					t.Fatalf("%s guest: %v\n%s", name, errs[i], tail(outs[i]))
				}
			}
			dv, mv := verdicts(outs[0]), verdicts(outs[1])
			if len(dv) == 0 {
				t.Fatalf("DirFS guest (exit %d) ran no test:\n%s", codes[0], tail(outs[0]))
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
			t.Logf("%s: build %v, compile %v, DirFS run %v (exit %d), memfs run %v (exit %d): %d tests pass on both, %d skip on DirFS, fail on both: %v",
				pkg, built.Round(time.Millisecond), (compiled - built).Round(time.Millisecond), took[0].Round(time.Millisecond), codes[0],
				took[1].Round(time.Millisecond), codes[1], len(pass), len(skip), bothFail)
			for _, k := range known {
				t.Logf("%s: known memfs divergence, fails only on memfs: %s", pkg, k)
			}
			for name, why := range knownDivergences {
				if p, test, _ := strings.Cut(name, "."); p == pkg && dv[test] == "PASS" && mv[test] == "PASS" {
					t.Logf("%s: %s passes on memfs now (%s fixed?): drop it from knownDivergences", pkg, test, why)
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
