package wasi_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental/sysfs"

	"github.com/zcopy/zcopy/memfs"
	"github.com/zcopy/zcopy/memfs/wasi"
)

var (
	diffSeeds = flag.Int("wasi.seeds", 2000, "seeded operation sequences TestDifferentialGuest runs")
	diffAll   = flag.Bool("wasi.known", false, "TestDifferentialGuest also generates the shapes on which memfs is known to differ from Linux")
)

// fsopsModule compiles testdata/fsops for wasip1 and wazero, once per
// test binary.
var fsopsModule = struct {
	once sync.Once
	rt   wazero.Runtime
	mod  wazero.CompiledModule
	err  error
}{}

func fsops(t *testing.T) (wazero.Runtime, wazero.CompiledModule) {
	t.Helper()
	gocmd := goTool(t)
	fsopsModule.once.Do(func() {
		dir, err := os.MkdirTemp("", "fsops-")
		if err != nil {
			fsopsModule.err = err
			return
		}
		defer os.RemoveAll(dir)
		bin := filepath.Join(dir, "fsops.wasm")
		if err := buildWasmErr(gocmd, ".", "build", "-o", bin, "./testdata/fsops"); err != nil {
			fsopsModule.err = err
			return
		}
		b, err := os.ReadFile(bin)
		if err != nil {
			fsopsModule.err = err
			return
		}
		ctx := context.Background()
		fsopsModule.rt = newRuntimeNoCleanup(ctx)
		fsopsModule.mod, fsopsModule.err = fsopsModule.rt.CompileModule(ctx, b)
	})
	if fsopsModule.err != nil {
		t.Fatal(fsopsModule.err)
	}
	return fsopsModule.rt, fsopsModule.mod
}

// TestDifferentialGuest runs the fsops guest (seeded random file
// operations, every result printed) over a host directory through
// wazero's sysfs.DirFS and over memfs through the adapter, and requires
// the two outputs to be identical, seed by seed.
func TestDifferentialGuest(t *testing.T) {
	rt, mod := fsops(t)
	ctx := context.Background()
	const batches = 4
	per := max(*diffSeeds/batches, 1)
	if testing.Short() {
		per = max(per/10, 1)
	}
	var wg sync.WaitGroup
	outs := make([][2][]byte, batches)
	errs := make([][2]error, batches)
	for b := 0; b < batches; b++ {
		args := []string{"fsops", "-dir", "/work", "-seed", fmt.Sprint(1 + b*per), "-seeds", fmt.Sprint(per), "-ops", "60"}
		if !*diffAll {
			args = append(args, "-avoid-known")
		}
		host := t.TempDir()
		if err := os.Mkdir(filepath.Join(host, "work"), 0o755); err != nil {
			t.Fatal(err)
		}
		mfs := memfs.New()
		t.Cleanup(func() { mfs.Close() })
		if err := mfs.Mkdir("work", 0o755); err != nil {
			t.Fatal(err)
		}
		for i, fsys := range []any{sysfs.DirFS(host), wasi.New(mfs)} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				g := guest{args: args}
				g.fs = asFS(fsys)
				var stderr []byte
				var code uint32
				outs[b][i], stderr, code, errs[b][i] = g.run(ctx, rt, mod)
				if errs[b][i] == nil && code != 0 {
					errs[b][i] = fmt.Errorf("exit %d: %s", code, stderr)
				}
			}()
		}
	}
	wg.Wait()
	lines := 0
	for b := range outs {
		for i, name := range []string{"DirFS", "memfs"} {
			if errs[b][i] != nil {
				t.Fatalf("batch %d, %s: %v", b, name, errs[b][i])
			}
		}
		d, m := outs[b][0], outs[b][1]
		lines += bytes.Count(d, []byte("\n"))
		if !bytes.Equal(d, m) {
			t.Errorf("batch %d: outputs differ:\n%s", b, firstLineDiff(d, m))
		}
	}
	if !t.Failed() {
		t.Logf("%d seeds of 60 operations, %d result lines, identical over DirFS and memfs", per*batches, lines)
	}
}

// firstLineDiff shows the first differing line of two outputs with the
// lines of the same seed before it.
func firstLineDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < min(len(w), len(g)); i++ {
		if w[i] != g[i] {
			seed, _, _ := strings.Cut(w[i], " ")
			var ctx []string
			for j := i - 1; j >= 0 && j > i-40 && strings.HasPrefix(w[j], seed+" "); j-- {
				ctx = append([]string{"  " + w[j]}, ctx...)
			}
			return fmt.Sprintf("%s\nDirFS: %s\nmemfs: %s", strings.Join(ctx, "\n"), w[i], g[i])
		}
	}
	return fmt.Sprintf("lengths differ: %d and %d lines", len(w), len(g))
}
