package wasi_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/experimental/sysfs"

	"github.com/zcopy/zcopy/memfs"
	"github.com/zcopy/zcopy/memfs/wasi"
)

// TestGuestListsChangingDirectory: a guest lists a directory of 600
// entries (several fd_readdir calls, resumed by cookie) while the host
// removes half of them and adds others. As readdir(3) promises, every
// entry present throughout is listed exactly once, and no name twice:
// removal while listing must not shift the cookies (afero #261). The
// same run over DirFS is logged: wazero's DirFS loses entries there.
func TestGuestListsChangingDirectory(t *testing.T) {
	rt, mod := guestModule(t, "tools")
	type ops struct {
		create, remove func(string) error
		exists         func(string) bool
	}
	hostDir := t.TempDir()
	mfs := memfs.New()
	defer mfs.Close()
	cases := []struct {
		name string
		fs   any
		ops  ops
	}{
		{"DirFS", sysfs.DirFS(hostDir), ops{
			create: func(n string) error { return os.WriteFile(filepath.Join(hostDir, n), nil, 0o644) },
			remove: func(n string) error { return os.Remove(filepath.Join(hostDir, n)) },
			exists: func(n string) bool { _, err := os.Stat(filepath.Join(hostDir, n)); return err == nil },
		}},
		{"memfs", wasi.New(mfs), ops{
			create: func(n string) error { return mfs.WriteFile(n, nil, 0o644) },
			remove: mfs.Remove,
			exists: func(n string) bool { _, err := mfs.Stat(n); return err == nil },
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := c.ops
			if err := o.create("d"); err == nil {
				// d must be a directory: replace the file made to probe.
				_ = o.remove("d")
			}
			mkdir := func() error {
				if c.name == "DirFS" {
					return os.Mkdir(filepath.Join(hostDir, "d"), 0o755)
				}
				return mfs.Mkdir("d", 0o755)
			}
			if err := mkdir(); err != nil {
				t.Fatal(err)
			}
			const n = 300
			name := func(kind string, i int) string { return fmt.Sprintf("d/%s-%03d-%s", kind, i, strings.Repeat("x", 20)) }
			for i := 0; i < n; i++ {
				for _, kind := range []string{"keep", "gone"} {
					if err := o.create(name(kind, i)); err != nil {
						t.Fatal(err)
					}
				}
			}
			done := make(chan error, 1)
			go func() {
				deadline := time.Now().Add(time.Minute)
				for !o.exists("started") {
					if time.Now().After(deadline) {
						done <- fmt.Errorf("the guest did not start listing")
						return
					}
					time.Sleep(time.Millisecond)
				}
				for i := 0; i < n; i++ {
					if err := o.remove(name("gone", i)); err != nil {
						done <- err
						return
					}
					if err := o.create(name("new", i)); err != nil {
						done <- err
						return
					}
				}
				done <- o.create("changed")
			}()
			out, stderr, code, err := guest{args: []string{"tools", "list", "/d"}, fs: asFS(c.fs)}.run(context.Background(), rt, mod)
			if err != nil || code != 0 {
				t.Fatalf("exit %d, %v\n%s%s", code, err, out, stderr)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				seen[l]++
			}
			var kinds = map[string]int{}
			for l, k := range seen {
				if k != 1 {
					t.Errorf("%s listed %d times", l, k)
				}
				kind, _, _ := strings.Cut(l, "-")
				kinds[kind]++
			}
			var missing []string
			for i := 0; i < n; i++ {
				if seen[strings.TrimPrefix(name("keep", i), "d/")] != 1 {
					missing = append(missing, name("keep", i))
				}
			}
			switch {
			case len(missing) > 0 && c.name == "DirFS":
				// wazero v1.12.0's DirFS itself loses entries here (the
				// same guest over memfs loses none; the cause in DirFS is
				// not investigated): the oracle is POSIX's rule for
				// readdir, which memfs must keep.
				t.Logf("DirFS lost %d of the %d entries present throughout, e.g. %s", len(missing), n, missing[0])
			case len(missing) > 0:
				t.Errorf("%d of the %d entries present throughout not listed, e.g. %s", len(missing), n, missing[0])
			}
			t.Logf("listed %d keep, %d gone (removed during the listing), %d new (added during it)", kinds["keep"], kinds["gone"], kinds["new"])
		})
	}
}
