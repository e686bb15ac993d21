package wasi_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental/sysfs"

	"github.com/zcopy/zcopy/memfs"
	"github.com/zcopy/zcopy/memfs/wasi"
)

var diffSeeds = flag.Int("wasi.seeds", 2000, "seeded operation sequences TestDifferentialGuest runs")

// guestModules holds the guests of testdata, built for wasip1 and
// compiled for wazero once per test binary, in one shared runtime.
var guestModules = struct {
	sync.Mutex
	rt   wazero.Runtime
	mods map[string]wazero.CompiledModule
}{mods: map[string]wazero.CompiledModule{}}

// guestModule returns the compiled guest of testdata/name.
func guestModule(t testing.TB, name string) (wazero.Runtime, wazero.CompiledModule) {
	t.Helper()
	gocmd := goTool(t)
	guestModules.Lock()
	defer guestModules.Unlock()
	ctx := context.Background()
	if guestModules.rt == nil {
		guestModules.rt = newRuntimeNoCleanup(ctx)
	}
	if mod, ok := guestModules.mods[name]; ok {
		return guestModules.rt, mod
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, name+".wasm")
	buildWasm(t, gocmd, ".", "build", "-o", bin, "./testdata/"+name)
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := guestModules.rt.CompileModule(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	guestModules.mods[name] = mod
	return guestModules.rt, mod
}

// TestDifferentialGuest runs the fsops guest (seeded random file
// operations, every result printed) over a host directory through
// wazero's sysfs.DirFS and over memfs through the adapter, and requires
// the two outputs to be identical, seed by seed. The memfs guests (four
// at once) share one memfs and one adapter, each in its own directory,
// while the host walks the filesystem: with -race this is the check that
// guests and host can share a memfs.
//
// The guest generates every shape it knows, none left out: names with a
// trailing slash given to O_CREAT, rename, link and symlink, link and
// rename from a missing name, O_CREAT of an existing directory and
// fd_readdir on a removed directory among them.
func TestDifferentialGuest(t *testing.T) {
	t.Parallel()
	rt, mod := guestModule(t, "fsops")
	ctx := context.Background()
	const batches = 4
	per := max(*diffSeeds/batches, 1)
	if testing.Short() {
		per = max(per/10, 1)
	}
	mfs := memfs.New()
	defer mfs.Close()
	shared := wasi.New(mfs)
	var wg sync.WaitGroup
	outs := make([][2][]byte, batches)
	errs := make([][2]error, batches)
	for b := 0; b < batches; b++ {
		work := fmt.Sprint("w", b)
		args := []string{"fsops", "-dir", "/" + work, "-seed", fmt.Sprint(1 + b*per), "-seeds", fmt.Sprint(per), "-ops", "60"}
		host := t.TempDir()
		if err := os.Mkdir(filepath.Join(host, work), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := mfs.Mkdir(work, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, fsys := range []any{sysfs.DirFS(host), shared} {
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
	// The host reads the shared memfs while the guests change it.
	stop := make(chan struct{})
	walked := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				walked <- n
				return
			default:
			}
			_ = fs.WalkDir(mfs, ".", func(p string, d fs.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					_, _ = mfs.ReadFile(p)
				}
				return nil
			})
			_ = mfs.Usage()
			n++
			time.Sleep(5 * time.Millisecond) // leave the CPUs to the guests
		}
	}()
	wg.Wait()
	close(stop)
	t.Logf("the host walked the shared memfs %d times during the runs", <-walked)
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

// FuzzGuestSeed runs one seed of the fsops guest over DirFS and memfs
// and compares the outputs: go test -fuzz FuzzGuestSeed ./memfs/wasi
// searches the seeds; the plain test run checks the corpus.
func FuzzGuestSeed(f *testing.F) {
	f.Add(uint64(1), uint8(60))
	f.Add(uint64(1<<40), uint8(200))
	f.Fuzz(func(t *testing.T, seed uint64, ops uint8) {
		rt, mod := guestModule(t, "fsops")
		args := []string{"fsops", "-dir", "/w", "-seed", fmt.Sprint(seed), "-seeds", "1", "-ops", fmt.Sprint(ops)}
		host := t.TempDir()
		if err := os.Mkdir(filepath.Join(host, "w"), 0o755); err != nil {
			t.Fatal(err)
		}
		mfs := memfs.New()
		defer mfs.Close()
		if err := mfs.Mkdir("w", 0o755); err != nil {
			t.Fatal(err)
		}
		var outs [2][]byte
		for i, fsys := range []any{sysfs.DirFS(host), wasi.New(mfs)} {
			out, stderr, code, err := guest{args: args, fs: asFS(fsys)}.run(context.Background(), rt, mod)
			if err != nil || code != 0 {
				t.Fatalf("exit %d, %v: %s", code, err, stderr)
			}
			outs[i] = out
		}
		if !bytes.Equal(outs[0], outs[1]) {
			t.Errorf("seed %d, %d ops: outputs differ:\n%s", seed, ops, firstLineDiff(outs[0], outs[1]))
		}
	})
}
