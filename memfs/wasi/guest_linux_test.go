package wasi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

// goTool returns the go command found in PATH if it is the toolchain
// this test was built with, or skips t: guests compiled by another Go
// would not test this Go's sources.
func goTool(t testing.TB) string {
	t.Helper()
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to compile wasip1 guests: ", err)
	}
	out, err := exec.Command(gocmd, "env", "GOVERSION", "GOROOT").Output()
	if err != nil {
		t.Skipf("%s env: %v", gocmd, err)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 || f[0] != runtime.Version() {
		t.Skipf("%s is %q, this test was built with %s", gocmd, out, runtime.Version())
	}
	return gocmd
}

// goEnvGOROOT is the GOROOT of the go command.
func goEnvGOROOT(t testing.TB, gocmd string) string {
	t.Helper()
	out, err := exec.Command(gocmd, "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// buildWasm runs go with GOOS=wasip1 GOARCH=wasm and args (build or
// test -c, with -o out).
func buildWasm(t testing.TB, gocmd, dir string, args ...string) {
	t.Helper()
	if err := buildWasmErr(gocmd, dir, args...); err != nil {
		t.Fatal(err)
	}
}

func buildWasmErr(gocmd, dir string, args ...string) error {
	cmd := exec.Command(gocmd, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("GOOS=wasip1 GOARCH=wasm go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// newRuntimeNoCleanup is newRuntime for a runtime shared by the tests of
// the binary, which the process exit closes.
func newRuntimeNoCleanup(ctx context.Context) wazero.Runtime {
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCloseOnContextDone(true))
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	return rt
}

// asFS is fsys as wazero's FS interface.
func asFS(fsys any) experimentalsys.FS { return fsys.(experimentalsys.FS) }

// buildHost builds the main package pkg (a directory of this package) for
// the host, without -race, as out.
func buildHost(t testing.TB, gocmd, out, pkg string) {
	t.Helper()
	cmd := exec.Command(gocmd, "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

// guest is one run of a WASI program.
type guest struct {
	args []string // args[0] is the program name
	env  []string // KEY=value
	fs   experimentalsys.FS
	// stdin, if set, is the guest's standard input.
	stdin []byte
}

// run instantiates mod as g and returns its output (stdout then stderr)
// and exit code.
func (g guest) run(ctx context.Context, rt wazero.Runtime, mod wazero.CompiledModule) (stdout, stderr []byte, code uint32, err error) {
	var out, errb bytes.Buffer
	cfg := wazero.NewModuleConfig().
		WithName("").
		WithArgs(g.args...).
		WithStdout(&out).WithStderr(&errb).
		WithStdin(bytes.NewReader(g.stdin)).
		WithRandSource(rand.Reader).
		WithSysWalltime().WithSysNanotime().WithSysNanosleep().
		WithFSConfig(wazero.NewFSConfig().(sysfs.FSConfig).WithSysFSMount(g.fs, "/"))
	for _, kv := range g.env {
		k, v, _ := strings.Cut(kv, "=")
		cfg = cfg.WithEnv(k, v)
	}
	m, err := rt.InstantiateModule(ctx, mod, cfg)
	if m != nil {
		m.Close(ctx)
	}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		return out.Bytes(), errb.Bytes(), exit.ExitCode(), nil
	}
	return out.Bytes(), errb.Bytes(), 0, err
}
