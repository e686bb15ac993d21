// Command stdguest runs one wasip1 module twice under wazero, over a host
// directory through wazero's sysfs.DirFS and over memfs through
// memfs/wasi, at the same time, and prints both runs as JSON. The tests
// of memfs/wasi build it without -race: the std test binaries it runs are
// large, and wazero's compiler and host calls under the race detector
// would take minutes (the adapter's own -race coverage is in the tests
// that run guests in process).
//
//	stdguest -wasm pkg.wasm -dirfs hostroot -import hostdir=guest/path -mkdir tmp \
//		-env PWD=/guest/path -- pkg.test -test.v
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/zcopy/zcopy/memfs"
	"github.com/zcopy/zcopy/memfs/wasi"
)

// Run is one guest run.
type Run struct {
	FS        string
	Output    string // stdout then stderr
	Exit      uint32
	Err       string
	Nanos     int64
	CompileNs int64
}

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	os.Exit(run())
}

func run() int {
	wasmPath := flag.String("wasm", "", "the module")
	dirfs := flag.String("dirfs", "", "host directory mounted at / for the DirFS run")
	var imports, importFiles, mkdirs, env list
	flag.Var(&imports, "import", "hostdir=guestpath imported into memfs (repeatable)")
	flag.Var(&importFiles, "importfile", "hostfile=guestpath imported into memfs (repeatable)")
	flag.Var(&mkdirs, "mkdir", "directory made in memfs with mode 01777 (repeatable)")
	flag.Var(&env, "env", "KEY=value for the guest (repeatable)")
	timeout := flag.Duration("timeout", 5*time.Minute, "for both runs")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "stdguest:", err); return 125 }

	mfs := memfs.New()
	defer mfs.Close()
	for _, im := range imports {
		host, guest, _ := strings.Cut(im, "=")
		if err := mfs.MkdirAll(path.Dir(guest), 0o755); err != nil {
			return fail(err)
		}
		if err := mfs.Import(ctx, host, guest); err != nil {
			return fail(err)
		}
	}
	for _, im := range importFiles {
		host, guest, _ := strings.Cut(im, "=")
		if err := mfs.MkdirAll(path.Dir(guest), 0o755); err != nil {
			return fail(err)
		}
		f, err := os.Open(host)
		if err != nil {
			return fail(err)
		}
		err = mfs.ImportFile(guest, f)
		f.Close()
		if err != nil {
			return fail(err)
		}
	}
	for _, d := range mkdirs {
		if err := mfs.MkdirAll(d, 0o777); err != nil {
			return fail(err)
		}
		if err := mfs.Chmod(d, 0o777|fs.ModeSticky); err != nil {
			return fail(err)
		}
	}

	bin, err := os.ReadFile(*wasmPath)
	if err != nil {
		return fail(err)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCloseOnContextDone(true))
	defer rt.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	t0 := time.Now()
	mod, err := rt.CompileModule(ctx, bin)
	if err != nil {
		return fail(err)
	}
	compileNs := time.Since(t0).Nanoseconds()

	runs := []Run{{FS: "DirFS"}, {FS: "memfs"}}
	fss := []experimentalsys.FS{sysfs.DirFS(*dirfs), wasi.New(mfs)}
	var wg sync.WaitGroup
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out bytes.Buffer
			cfg := wazero.NewModuleConfig().WithName("").WithArgs(flag.Args()...).
				WithStdout(&out).WithStderr(&out).
				WithRandSource(rand.Reader).
				WithSysWalltime().WithSysNanotime().WithSysNanosleep().
				WithFSConfig(wazero.NewFSConfig().(sysfs.FSConfig).WithSysFSMount(fss[i], "/"))
			for _, kv := range env {
				k, v, _ := strings.Cut(kv, "=")
				cfg = cfg.WithEnv(k, v)
			}
			start := time.Now()
			m, err := rt.InstantiateModule(ctx, mod, cfg)
			runs[i].Nanos = time.Since(start).Nanoseconds()
			runs[i].CompileNs = compileNs
			if m != nil {
				m.Close(ctx)
			}
			var exit *sys.ExitError
			switch {
			case errors.As(err, &exit):
				runs[i].Exit = exit.ExitCode()
			case err != nil:
				runs[i].Err = err.Error()
			}
			runs[i].Output = out.String()
		}()
	}
	wg.Wait()
	if err := json.NewEncoder(os.Stdout).Encode(runs); err != nil {
		return fail(err)
	}
	return 0
}
