//go:build amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64 || mips64 || mips64le

package fuse_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/memfs"
)

// program is a real program's session: steps run in dir (a copy of the
// host tree), returning what a user would see.
type program struct {
	name  string
	tools []string // commands it needs (skipped without)
	steps func(t *testing.T, dir string) string
	// skip says which paths of the resulting tree are filesystem
	// specific (git's index records inode numbers and ctimes).
	skip func(rel string) bool
}

// TestProgramsMatchTmpfs runs real programs on a memfs overlay of a host
// tree and on a tmpfs copy of it (the oracle): same output, same
// resulting tree, host tree unchanged.
func TestProgramsMatchTmpfs(t *testing.T) {
	needFUSE(t)
	host := makeHostTree(t)
	guardHost(t, host)
	for _, p := range programs() {
		t.Run(p.name, func(t *testing.T) {
			for _, tool := range p.tools {
				if _, err := exec.LookPath(tool); err != nil {
					t.Skipf("no %s: %v", tool, err)
				}
			}
			oracle := copyToTmpfs(t, host)
			mnt, _ := overlay(t, host, memfs.WithUmask(0))
			// tmpfs stamps files with a coarse clock, a little behind.
			start := time.Now().Add(-time.Second)
			want := p.steps(t, oracle)
			got := p.steps(t, mnt)
			if strings.Contains(want, "exit: ") {
				t.Errorf("the session fails on tmpfs too:\n%s", want)
			}
			if got != want {
				t.Errorf("output differs:\n%s", lineDiff(want, got))
			}
			if testing.Verbose() {
				t.Logf("output:\n%s", got)
			}
			wantTree := filterTree(treeSumBefore(t, oracle, true, start), p.skip)
			gotTree := filterTree(treeSumBefore(t, mnt, true, start), p.skip)
			if gotTree != wantTree {
				t.Errorf("resulting tree differs:\n%s", lineDiff(wantTree, gotTree))
			}
		})
	}
}

// filterTree drops the lines of treeSum's output whose path skip names.
func filterTree(sum string, skip func(string) bool) string {
	if skip == nil {
		return sum
	}
	var keep []string
	for _, l := range strings.Split(sum, "\n") {
		if rel, _, _ := strings.Cut(l, " "); !skip(rel) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// sh runs a shell script in dir; its output, and its exit status when
// it fails, are what the user sees.
func sh(t *testing.T, dir, script string, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "LC_ALL=C", "TZ=UTC"), env...)
	out, err := cmd.CombinedOutput()
	s := strings.ReplaceAll(string(out), dir, "$DIR")
	if err != nil {
		s += "\nexit: " + err.Error()
	}
	return s
}

var gitEnv = []string{
	"GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_AUTHOR_DATE=2020-01-01T00:00:00Z",
	"GIT_COMMITTER_NAME=C", "GIT_COMMITTER_EMAIL=c@example.com", "GIT_COMMITTER_DATE=2020-01-01T00:00:00Z",
	"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
}

var zcpBinary struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// buildZcp builds cmd/zcp once for the test binary's life, in the
// directory removed by TestMain.
func buildZcp(t *testing.T) string {
	zcpBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "memfs-fuse-zcp-")
		if err != nil {
			zcpBinary.err = err
			return
		}
		zcpBinary.path = filepath.Join(dir, "zcp")
		zcpBinary.out, zcpBinary.err = exec.Command(goTool(), "build", "-o", zcpBinary.path, "github.com/zcopy/zcopy/cmd/zcp").CombinedOutput()
	})
	if zcpBinary.err != nil {
		t.Fatalf("go build ./cmd/zcp: %v\n%s", zcpBinary.err, zcpBinary.out)
	}
	return zcpBinary.path
}

// removeZcp removes what buildZcp built.
func removeZcp() {
	if zcpBinary.path != "" {
		os.RemoveAll(filepath.Dir(zcpBinary.path))
	}
}

// goTool is the go command in PATH, or at /usr/local/go (where CI has it).
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

var testTimes = regexp.MustCompile(`\d+\.\d+s`)

func programs() []program {
	return []program{
		{name: "git", tools: []string{"git"}, steps: func(t *testing.T, dir string) string {
			return sh(t, dir, `
				git init -q -b main . && git add -A && git commit -q -m initial && git log --format='%H %s'
				echo change >> hello.txt && rm a/zero && echo new > a/new.txt
				git status --porcelain
				git checkout -q -b topic && git add -A && git commit -q -m topic && git log --format='%H %s'
				git checkout -q main && git status --porcelain && cat hello.txt && ls a
				git checkout -q topic -- a/new.txt && git status --porcelain
				git stash -q && git status --porcelain
				git fsck --no-progress 2>&1
				git gc -q && git count-objects -v | grep -v size`, gitEnv...)
		}, skip: func(rel string) bool {
			// Stat data (inode numbers, ctimes) and pack order.
			return rel == ".git/index" || strings.HasPrefix(rel, ".git/objects/pack") || strings.HasPrefix(rel, ".git/logs") || rel == ".git/ORIG_HEAD" || strings.HasPrefix(rel, ".git/refs/stash")
		}},
		{name: "go", tools: []string{goTool()}, steps: func(t *testing.T, dir string) string {
			// The build cache of the tests' own build: the standard
			// library is compiled already.
			cache, err := exec.Command(goTool(), "env", "GOCACHE").Output()
			if err != nil {
				t.Fatal(err)
			}
			out := sh(t, dir, `
				mkdir -p mod/sub && cd mod
				printf 'module example.com/m\n\ngo 1.21\n' > go.mod
				printf 'package sub\n\n// Add adds.\nfunc Add(a, b int) int { return a + b }\n' > sub/sub.go
				printf 'package sub\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(2, 3) != 5 {\n\t\tt.Fatal("bad")\n\t}\n}\n' > sub/sub_test.go
				printf 'package main\n\nimport (\n\t"fmt"\n\t"example.com/m/sub"\n)\n\nfunc main() { fmt.Println(sub.Add(40, 2)) }\n' > main.go
				`+goTool()+` build -trimpath -o app . && ./app
				`+goTool()+` vet ./... && `+goTool()+` test -count=1 ./...
				`+goTool()+` test -count=1 -run TestAdd -v ./sub | grep -v '^ok'`,
				"GOCACHE="+strings.TrimSpace(string(cache)), "GOTELEMETRY=off", "GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local", "CGO_ENABLED=0", "GOPATH="+filepath.Join(dir, "gopath"))
			return testTimes.ReplaceAllString(out, "T")
		}, skip: func(rel string) bool { return strings.HasPrefix(rel, "gopath") }},
		{name: "tar", tools: []string{"tar"}, steps: func(t *testing.T, dir string) string {
			return sh(t, dir, `
				tar cf - --sort=name a hello.txt link big.bin sparse | (mkdir x && cd x && tar xpf -)
				tar cf - --sort=name --mtime=2000-01-01 --owner=0 --group=0 x | sha256sum
				tar cf - --sort=name x | tar tvf - | awk '{print $1, $3, $6}'`)
		}},
		{name: "rsync", tools: []string{"rsync"}, steps: func(t *testing.T, dir string) string {
			return sh(t, dir, `
				rsync -a --itemize-changes a/ r1/ | sort
				echo x >> r1/hello2 ; rsync -a --delete --itemize-changes a/ r1/ | sort
				rsync -aH --itemize-changes . ../$(basename $PWD)/r2 2>&1 | grep -c . ; true`)
		}},
		{name: "cp", tools: []string{"cp"}, steps: func(t *testing.T, dir string) string {
			return sh(t, dir, `
				cp -a a c1 && cp -a --reflink=auto big.bin big.copy && cp --sparse=always sparse sparse.copy
				cmp big.bin big.copy && cmp sparse sparse.copy && ls -ln c1 | awk '/^-/ {print $1, $2, $5, $9} /^[dl]/ {print $1, $2, $9}'`)
		}},
		{name: "zcp", tools: []string{goTool()}, steps: func(t *testing.T, dir string) string {
			zcp := buildZcp(t)
			return sh(t, dir, zcp+` -a a z1 && `+zcp+` -a --sparse=always sparse big.bin z1/ && `+zcp+` -r --preserve=mode,timestamps,links . ../$(basename $PWD)-z2 && rm -r ../$(basename $PWD)-z2
				cmp sparse z1/sparse && cmp big.bin z1/big.bin && ls -ln z1 | awk '/^-/ {print $1, $2, $5, $9} /^[dl]/ {print $1, $2, $9}'`)
		}},
		{name: "find-sha256sum", tools: []string{"find", "sha256sum"}, steps: func(t *testing.T, dir string) string {
			return sh(t, dir, `find . -type f -exec sha256sum {} + | sort; find . -printf '%y %m %n %s %P\n' | grep -v '^d' | sort`)
		}},
		{name: "sqlite3", tools: []string{"sqlite3"}, steps: func(t *testing.T, dir string) string {
			return sh(t, dir, `
				sqlite3 db.sqlite 'create table t(k integer primary key, v text);' \
					'with recursive n(i) as (select 1 union all select i+1 from n where i < 2000) insert into t(v) select char(118) || i from n;' \
					'update t set v = v || "x" where k % 3 = 0;' 'delete from t where k % 7 = 0;' \
					'select count(*), sum(length(v)) from t;' 'pragma integrity_check;'
				sqlite3 db.sqlite 'pragma journal_mode=wal;' 'insert into t(v) values ("wal");' 'select count(*) from t;'
				sqlite3 db.sqlite .dump | sha256sum`)
		}, skip: func(rel string) bool { return strings.HasPrefix(rel, "db.sqlite") }},
		{name: "mmap", steps: func(t *testing.T, dir string) string {
			// In another process: a page fault of this process on its
			// own mount would wait for the server while the Go runtime
			// waits (stop the world) for the faulting thread.
			exe, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, exe, mmapArg, dir).CombinedOutput()
			if err != nil {
				t.Fatalf("mmap session: %v\n%s", err, out)
			}
			return string(out)
		}},
	}
}

// mmapArg makes the test binary run mmapSession in its argument.
const mmapArg = "-memfs-fuse-mmap"

func init() {
	helperMains[mmapArg] = func(args []string) int {
		fmt.Print(mmapSession(args[0]))
		return 0
	}
}

// mmapSession writes through a shared mapping of an imported file and of
// a new one, and reads them back with read(2) and with a new mapping.
func mmapSession(dir string) string {
	var out []string
	rec := func(s string, err error) { out = append(out, s+" "+errnoName(err)) }
	for _, name := range []string{"big.bin", "mapped.new"} {
		p := filepath.Join(dir, name)
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			rec("open "+name, err)
			continue
		}
		if name == "mapped.new" {
			f.Truncate(1 << 20)
		}
		m, err := unix.Mmap(int(f.Fd()), 0, 1<<20, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			rec("mmap "+name, err)
			f.Close()
			continue
		}
		rec(name+" first bytes "+string(hexOf(m[:8])), nil)
		for i := 0; i < len(m); i += 4096 + 17 {
			m[i] = byte(i)
		}
		rec("msync", unix.Msync(m, unix.MS_SYNC))
		rec("munmap", unix.Munmap(m))
		f.Close()
		b, err := os.ReadFile(p)
		rec(name+" read back "+string(hexOf(sha(b))), err)
	}
	return strings.Join(out, "\n")
}

func hexOf(b []byte) []byte {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return out
}
