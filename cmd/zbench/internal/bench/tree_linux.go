//go:build linux

package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tree scenario times whole commands copying a directory tree (or one
// big or sparse file): zcp against GNU cp, rsync and the uutils cp. Each
// run is a fresh process; the copy is verified against the source (names,
// sizes, contents, symlink targets, and for the sparse file the blocks
// allocated) and removed, untimed, before the next run.

// treeSet is one input of the tree scenario.
type treeSet struct {
	name  string // table title
	flags string // the flag every contender gets: -a, -r or ""
	path  string // the source, made by prepare
	// sparse compares st_blocks of the copy with the source's.
	sparse bool
	digest treeDigest
}

// treeContender is a command line; {src} and {dst} are replaced.
type treeContender struct {
	contender
	argv []string
}

// uutilsCP is Debian's rust-coreutils cp; gnuTime is GNU time (Debian's
// package time), which measures a command's peak RSS.
const (
	uutilsCP = "/usr/lib/cargo/bin/coreutils/cp"
	gnuTime  = "/usr/bin/time"
)

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// treeContenders returns the commands for a set, zcp first; those whose
// program is missing are returned with a skip reason.
func (r *runner) treeContenders(set *treeSet) (cs []treeContender, skip map[string]string) {
	skip = map[string]string{}
	with := func(argv ...string) []string {
		out := []string{argv[0]}
		if set.flags != "" {
			out = append(out, set.flags)
		}
		return append(out, argv[1:]...)
	}
	zcp := r.zcpPath
	name := func(prog string, extra ...string) string {
		return strings.Join(append(with(prog), extra...), " ")
	}
	cs = []treeContender{
		{contender{key: "zcp", name: name("zcp"), kind: "zcopy"}, with(zcp, "{src}", "{dst}")},
		{contender{key: "zcp-j1", name: name("zcp", "-j1"), kind: "zcopy"}, with(zcp, "-j1", "{src}", "{dst}")},
		{contender{key: "cp", name: name("GNU cp"), kind: "raw", baseline: true}, with("cp", "{src}", "{dst}")},
		{contender{key: "uutils", name: name("uutils cp"), kind: "raw"}, with(uutilsCP, "{src}", "{dst}")},
	}
	if set.flags != "" {
		// rsync copies the contents of src/ into dst, as cp makes dst.
		cs = append(cs, treeContender{contender{key: "rsync", name: "rsync -a", kind: "raw"}, []string{"rsync", "-a", "{src}/", "{dst}"}})
	}
	if r.zcpErr != nil {
		skip["zcp"], skip["zcp-j1"] = r.zcpErr.Error(), r.zcpErr.Error()
	}
	for _, c := range cs {
		if _, err := exec.LookPath(c.argv[0]); err != nil && skip[c.key] == "" {
			skip[c.key] = fmt.Sprintf("%s not installed", c.argv[0])
		}
	}
	for i := range cs {
		m := strings.Join(cs[i].argv, " ")
		m = strings.NewReplacer(zcp, "zcp", uutilsCP, "uutils-cp", "{src}", "SRC", "{dst}", "DST").Replace(m)
		cs[i].method = m
	}
	return cs, skip
}

// buildZcp builds the zcp command of this module into dir, once.
func (r *runner) buildZcp(dir string) {
	r.zcpPath = filepath.Join(dir, "zcp")
	cmd := exec.CommandContext(r.ctx, "go", "build", "-o", r.zcpPath, "github.com/zcopy/zcopy/cmd/zcp")
	if out, err := cmd.CombinedOutput(); err != nil {
		line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		r.zcpErr = fmt.Errorf("zcp not built: %s", line)
	}
}

// planTree lays out the tree tables in every directory.
func (r *runner) planTree(add func(ts *tableSpec, title string, cs ...contender)) ([]*tableSpec, error) {
	var out []*tableSpec
	if r.zcpPath == "" {
		r.buildZcp(r.dirs[0].tmp)
	}
	for _, d := range r.dirs {
		sets, err := r.treeSets(d)
		if err != nil {
			return nil, err
		}
		for _, set := range sets {
			cs, skip := r.treeContenders(set)
			ts := &tableSpec{topo: topoTree, dir: d, src: &source{path: set.path, size: set.digest.bytes}, tree: set}
			var plain []contender
			for _, c := range cs {
				plain = append(plain, c.contender)
				ts.treeArgv = append(ts.treeArgv, c.argv)
			}
			add(ts, set.name, plain...)
			for i, c := range cs {
				if why := skip[c.key]; why != "" {
					ts.Rows[i].Skipped = why
				}
			}
			ts.Copies = 1
			ts.Note = fmt.Sprintf("%d files, %d directories, %s; %s", set.digest.files, set.digest.dirs, FormatSize(set.digest.bytes), r.cacheNote(d))
			out = append(out, ts)
		}
	}
	return out, nil
}

// cacheNote says whether the tree runs start from a cold page cache.
func (r *runner) cacheNote(d *workDir) string {
	switch {
	case d.fs == "tmpfs":
		return "tmpfs: no cache to drop"
	case testing.Testing():
		return "warm cache (a test binary does not drop caches)"
	case os.Geteuid() == 0:
		return "cold cache: page cache dropped before every run"
	}
	return "warm cache (not root: cannot drop caches)"
}

// treeSets makes the scenario's inputs in d: the Go distribution, -files
// files of 4 KiB in directories of 1,000, one file of -size bytes, and a
// sparse file of 8 GiB with 64 MiB of data.
func (r *runner) treeSets(d *workDir) ([]*treeSet, error) {
	base := filepath.Join(d.tmp, "trees")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, err
	}
	var sets []*treeSet
	if goroot := goEnvGOROOT(r.ctx); goroot != "" && r.cfg.treeGoroot {
		path := filepath.Join(base, "go")
		if _, err := os.Stat(path); err != nil {
			r.progress("zbench: tree: copying %s (untimed)", goroot)
			if out, err := exec.CommandContext(r.ctx, "cp", "-a", goroot, path).CombinedOutput(); err != nil {
				return nil, fmt.Errorf("copying GOROOT: %v: %s", err, out)
			}
		}
		sets = append(sets, &treeSet{name: "the Go distribution", flags: "-a", path: path})
	}
	files := r.cfg.treeFiles
	small := filepath.Join(base, "small")
	if err := makeSmallTree(r.ctx, small, files); err != nil {
		return nil, err
	}
	sets = append(sets, &treeSet{name: fmt.Sprintf("%d x 4 KiB files", files), flags: "-r", path: small})
	size := r.cfg.fileSize()
	big, err := r.source(d, size)
	if err != nil {
		return nil, err
	}
	sets = append(sets, &treeSet{name: "one file of " + FormatSize(size), path: big.path})
	sparse := filepath.Join(base, "sparse")
	if err := makeSparse(sparse, r.cfg.sparseSize, 64<<20); err != nil {
		return nil, err
	}
	sets = append(sets, &treeSet{name: fmt.Sprintf("a sparse file of %s with 64 MiB of data", FormatSize(r.cfg.sparseSize)), path: sparse, sparse: true})
	for _, s := range sets {
		dg, err := digestTree(s.path, s.sparse)
		if err != nil {
			return nil, err
		}
		s.digest = dg
	}
	return sets, nil
}

// makeSmallTree writes n files of 4 KiB of pseudo-random bytes into
// directories of 1,000 under dir, once.
func makeSmallTree(ctx context.Context, dir string, n int) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	rng := rand.New(rand.NewPCG(uint64(n), 0x7ee))
	buf := make([]byte, 4096)
	for i := 0; i < n; i++ {
		sub := filepath.Join(dir, fmt.Sprintf("d%03d", i/1000))
		if i%1000 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		for j := 0; j < len(buf); j += 8 {
			binary.LittleEndian.PutUint64(buf[j:], rng.Uint64())
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%05d", i)), buf, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// makeSparse writes a file of size bytes holding data bytes in 16 extents
// spread over it, the rest holes, once.
func makeSparse(path string, size, data int64) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	const extents = 16
	chunk := data / extents
	buf := make([]byte, chunk)
	rng := rand.New(rand.NewPCG(uint64(size), 0x5ba))
	for j := 0; j+8 <= len(buf); j += 8 {
		binary.LittleEndian.PutUint64(buf[j:], rng.Uint64())
	}
	for i := int64(0); i < extents; i++ {
		if _, err := f.WriteAt(buf, i*(size/extents)); err != nil {
			return err
		}
	}
	if err := f.Truncate(size); err != nil {
		return err
	}
	return f.Sync()
}

// treeDigest sums a tree: what a faithful copy must reproduce.
type treeDigest struct {
	files, dirs, links int
	bytes              int64
	blocks             int64 // st_blocks of regular files (sparse sets)
	crc                uint32
}

// digestTree walks root (a directory or a file) and sums names, types,
// sizes, contents and symlink targets, in name order.
func digestTree(root string, blocks bool) (treeDigest, error) {
	var d treeDigest
	var entries []string
	buf := make([]byte, 1<<20)
	sums := map[string]string{}
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		entries = append(entries, rel)
		switch {
		case e.IsDir():
			d.dirs++
			sums[rel] = "d"
		case e.Type()&fs.ModeSymlink != 0:
			d.links++
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			sums[rel] = "l" + target
		case e.Type().IsRegular():
			d.files++
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			h := crc32.New(castagnoli)
			n, err := io.CopyBuffer(h, f, buf)
			var st syscall.Stat_t
			if err == nil {
				err = syscall.Fstat(int(f.Fd()), &st)
			}
			f.Close()
			if err != nil {
				return err
			}
			d.bytes += n
			if blocks {
				d.blocks += st.Blocks
			}
			sums[rel] = fmt.Sprintf("f%d:%08x", n, h.Sum32())
		default:
			sums[rel] = "o" + e.Type().String()
		}
		return nil
	})
	sort.Strings(entries)
	h := crc32.New(castagnoli)
	for _, e := range entries {
		fmt.Fprintf(h, "%s\x00%s\x00", e, sums[e])
	}
	d.crc = h.Sum32()
	return d, err
}

// runTreeOnce runs one tree contender once: drop caches (as root, off
// tmpfs), run the command, verify the copy, remove it.
func (r *runner) runTreeOnce(ts *tableSpec, i int) (runOut, error) {
	var out runOut
	r.seq++
	dst := filepath.Join(ts.dir.tmp, fmt.Sprintf("tree-dst-%d", r.seq))
	defer os.RemoveAll(dst)
	dropCaches(ts.dir)
	if ts.treeJobs != nil && ts.treeJobs[i] != "" {
		return r.runFilesOnce(ts, i, dst)
	}
	var argv []string
	for _, a := range ts.treeArgv[i] {
		a = strings.ReplaceAll(a, "{src}", ts.tree.path)
		argv = append(argv, strings.ReplaceAll(a, "{dst}", dst))
	}
	ctx, cancel := context.WithTimeout(r.ctx, 10*time.Minute)
	defer cancel()
	// GNU time reports the command's peak RSS: our own wait4 would count
	// zbench's memory, which the child had until its exec.
	rssFile := ""
	if _, err := os.Stat(gnuTime); err == nil {
		rssFile = dst + ".rss"
		defer os.Remove(rssFile)
		argv = append([]string{gnuTime, "-f", "%M", "-o", rssFile}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	out.run.Elapsed = time.Since(start)
	if ps := cmd.ProcessState; ps != nil {
		out.run.CPU = ps.UserTime() + ps.SystemTime() // with the command it waited for
	}
	if b, err := os.ReadFile(rssFile); err == nil {
		var kib int64
		if _, err := fmt.Sscan(lastLine(string(b)), &kib); err == nil {
			out.run.MaxRSS = kib << 10
		}
	}
	if err := r.ctx.Err(); err != nil {
		return out, err
	}
	if err != nil {
		out.run.Error = firstLine(&stderr, err)
		return out, nil
	}
	return verifyTree(ts, dst, out), nil
}

// verifyTree compares the copy in dst with the set's source and marks out
// verified or failed.
func verifyTree(ts *tableSpec, dst string, out runOut) runOut {
	got, err := digestTree(dst, ts.tree.sparse)
	if err != nil {
		out.run.Error = "reading the copy: " + errText(err).Error()
		return out
	}
	want := ts.tree.digest
	switch {
	case got.crc != want.crc || got.bytes != want.bytes:
		out.run.Error = fmt.Sprintf("copy differs: %d files, %d bytes, crc %08x; source %d files, %d bytes, crc %08x",
			got.files, got.bytes, got.crc, want.files, want.bytes, want.crc)
	case ts.tree.sparse && got.blocks > want.blocks+want.blocks/8+64:
		out.run.Error = fmt.Sprintf("holes lost: %d blocks allocated, source %d", got.blocks, want.blocks)
	default:
		out.run.OK, out.run.Bytes = true, want.bytes
	}
	return out
}

// goEnvGOROOT is the Go distribution of the go command on PATH, or "".
func goEnvGOROOT(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
