//go:build linux

package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/internal/uring"
)

// The uring scenario measures the io_uring engine (internal/uring) against
// what it would replace, in one run per table with the contenders
// alternated:
//   - one big file -> file, warm and cold cache: the pipelined ring (with
//     and without O_DIRECT reads) against a read/write loop,
//     copy_file_range, and the first source document's batch-then-write
//     scheme;
//   - many small files and the Go distribution: CopyFiles' ring chains
//     (plain, fixed files, open-first) against its goroutine pool and one
//     goroutine, timed inside a fresh child process (walk and mkdir
//     untimed);
//   - the same trees copied by zcp -a with --engine=sync, uring and auto
//     (whole commands, GNU cp -a for reference).

var (
	cUring       = contender{key: "uring", name: "io_uring, pipelined (8 x 512 KiB)", kind: "zcopy", method: "read/write SQEs, 8 in flight"}
	cUringDirect = contender{key: "uring-odirect", name: "io_uring, pipelined, O_DIRECT reads", kind: "zcopy", method: "O_DIRECT read/write SQEs, 8 in flight"}
	cUringBatch  = contender{key: "uring-batch", name: "io_uring, batch-then-write (document)", kind: "zcopy", method: "8 reads, wait, 8 linked writes, wait"}
)

func init() {
	rawCopies["uring"] = uringCopy(uring.Config{})
	rawCopies["uring-odirect"] = uringCopy(uring.Config{Direct: true})
	rawCopies["uring-batch"] = uringCopy(uring.Config{Batch: true})
}

// uringCopy is a raw contender running uring.Copy with cfg.
func uringCopy(cfg uring.Config) rawCopy {
	return func(dst, src int, size int64) (int64, error) {
		if err := uring.Available(); err != nil {
			return 0, fmt.Errorf("%w: %v", errSkip, err)
		}
		var st uring.Stats
		n, err := uring.Copy(&uring.CopyArgs{Src: src, Size: size, Dst: dst, Remain: -1}, cfg, &st)
		if err == nil && cfg.Direct && !st.Direct {
			return n, fmt.Errorf("%w: O_DIRECT not used (%s)", errSkip, st.Note)
		}
		return n, err
	}
}

// filesEngines are the CopyFiles contenders of the small-file tables.
var filesEngines = []struct {
	contender
	cfg uring.FilesConfig
}{
	{contender{key: "files-seq", name: "one goroutine", kind: "raw", method: "statx, open, open, read, write, close, close"}, uring.FilesConfig{Engine: uring.EngineSync, InFlight: 1}},
	{contender{key: "files-pool", name: "goroutine pool (32)", kind: "raw", method: "the same, 32 goroutines", baseline: true}, uring.FilesConfig{Engine: uring.EngineSync, InFlight: 32}},
	{contender{key: "files-ring", name: "io_uring chains (32 files)", kind: "zcopy", method: "statx -> open -> open+read -> write -> close, close"}, uring.FilesConfig{Engine: uring.EngineUring, InFlight: 32}},
	{contender{key: "files-ring-fixed", name: "io_uring chains, fixed files", kind: "zcopy", method: "the same, descriptors in a registered file table"}, uring.FilesConfig{Engine: uring.EngineUring, InFlight: 32, FixedFiles: uring.FixedOn}},
	{contender{key: "files-ring-openfirst", name: "io_uring chains, open first", kind: "zcopy", method: "open -> statx(fd) syscall -> open+read -> write -> close, close"}, uring.FilesConfig{Engine: uring.EngineUring, InFlight: 32, OpenFirst: true}},
	{contender{key: "files-ring-128", name: "io_uring chains (128 files)", kind: "zcopy", method: "as the 32-file chains, 128 in flight"}, uring.FilesConfig{Engine: uring.EngineUring, InFlight: 128}},
}

// planUring lays out the uring scenario's tables.
func (r *runner) planUring(add func(ts *tableSpec, title string, cs ...contender)) ([]*tableSpec, error) {
	var out []*tableSpec
	addOut := func(ts *tableSpec, title string, cs ...contender) {
		add(ts, title, cs...)
		out = append(out, ts)
	}
	if err := uring.Available(); err != nil {
		return nil, fmt.Errorf("uring scenario: %v", err)
	}
	size := r.cfg.fileSize()
	if r.zcpPath == "" {
		r.buildZcp(r.dirs[0].tmp)
	}
	for _, d := range r.dirs {
		sc, err := r.source(d, size)
		if err != nil {
			return nil, err
		}
		big := []contender{cReadWrite, cCFR, cUring, cUringBatch}
		addOut(&tableSpec{topo: topoFile, dir: d, src: sc}, "file -> file, warm cache", big...)
		if d.fs != "tmpfs" {
			ts := &tableSpec{topo: topoFile, dir: d, src: sc, cold: true}
			addOut(ts, "file -> file, cold cache", append(big, cUringDirect)...)
			switch {
			case os.Geteuid() != 0:
				ts.Notes = append(ts.Notes, "Not root: the page cache could not be dropped; this table is warm.")
			case testing.Testing():
				ts.Notes = append(ts.Notes, "In a test binary the page cache is not dropped (other packages' tests run alongside); this table is warm.")
			default:
				ts.Note = "page cache dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before every run"
			}
		}
		sets, err := r.uringTreeSets(d)
		if err != nil {
			return nil, err
		}
		for _, set := range sets {
			ts := &tableSpec{topo: topoTree, dir: d, src: &source{path: set.path, size: set.digest.bytes}, tree: set}
			var cs []contender
			for _, e := range filesEngines {
				cs = append(cs, e.contender)
				ts.treeArgv = append(ts.treeArgv, nil)
				ts.treeJobs = append(ts.treeJobs, e.key)
			}
			add(ts, set.name+": CopyFiles engines", cs...)
			ts.Copies = 1
			ts.Note = fmt.Sprintf("%d files, %d directories, %s; the copy of the regular files timed inside the child (walk, mkdir untimed); %s",
				set.digest.files, set.digest.dirs, FormatSize(set.digest.bytes), r.cacheNote(d))
			out = append(out, ts)

			zs := &tableSpec{topo: topoTree, dir: d, src: ts.src, tree: set}
			zcs := []treeContender{
				{contender{key: "zcp-sync", name: "zcp -a --engine=sync", kind: "zcopy", baseline: true}, []string{r.zcpPath, "-a", "--engine=sync", "{src}", "{dst}"}},
				{contender{key: "zcp-uring", name: "zcp -a --engine=uring", kind: "zcopy"}, []string{r.zcpPath, "-a", "--engine=uring", "{src}", "{dst}"}},
				{contender{key: "zcp-auto", name: "zcp -a (--engine=auto)", kind: "zcopy"}, []string{r.zcpPath, "-a", "{src}", "{dst}"}},
				{contender{key: "cp", name: "GNU cp -a", kind: "raw"}, []string{"cp", "-a", "{src}", "{dst}"}},
			}
			var plain []contender
			for _, c := range zcs {
				c.method = "whole command"
				plain = append(plain, c.contender)
				zs.treeArgv = append(zs.treeArgv, c.argv)
				zs.treeJobs = append(zs.treeJobs, "")
			}
			add(zs, set.name+": zcp engines", plain...)
			if r.zcpErr != nil {
				for _, row := range zs.Rows[:3] {
					row.Skipped = r.zcpErr.Error()
				}
			}
			zs.Copies = 1
			zs.Note = fmt.Sprintf("%d files, %d directories, %s; whole commands; %s", set.digest.files, set.digest.dirs, FormatSize(set.digest.bytes), r.cacheNote(d))
			out = append(out, zs)
		}
	}
	return out, nil
}

// uringTreeSets are the small-file inputs: -ringfiles files of 4 KiB in
// directories of 1,000, and the Go distribution (with -goroot).
func (r *runner) uringTreeSets(d *workDir) ([]*treeSet, error) {
	base := filepath.Join(d.tmp, "trees")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, err
	}
	var sets []*treeSet
	small := filepath.Join(base, fmt.Sprintf("small-%d", r.cfg.ringFiles))
	if err := makeSmallTree(r.ctx, small, r.cfg.ringFiles); err != nil {
		return nil, err
	}
	sets = append(sets, &treeSet{name: fmt.Sprintf("%d x 4 KiB files", r.cfg.ringFiles), path: small})
	if goroot := goEnvGOROOT(r.ctx); goroot != "" && r.cfg.treeGoroot {
		path := filepath.Join(base, "go")
		if _, err := os.Stat(path); err != nil {
			r.progress("zbench: uring: copying %s (untimed)", goroot)
			if out, err := exec.CommandContext(r.ctx, "cp", "-a", goroot, path).CombinedOutput(); err != nil {
				return nil, fmt.Errorf("copying GOROOT: %v: %s", err, out)
			}
		}
		sets = append(sets, &treeSet{name: "the Go distribution", path: path})
	}
	for _, s := range sets {
		dg, err := digestTree(s.path, false)
		if err != nil {
			return nil, err
		}
		s.digest = dg
	}
	return sets, nil
}

// runFilesOnce runs contender i of a CopyFiles table once, in a child,
// into dst (which runTreeOnce removes), and verifies the copy.
func (r *runner) runFilesOnce(ts *tableSpec, i int, dst string) (runOut, error) {
	var out runOut
	ctx, cancel := context.WithTimeout(r.ctx, 10*time.Minute)
	defer cancel()
	resPath := dst + ".result"
	defer os.Remove(resPath)
	cmd, stderr := r.command(ctx, job{Role: "files", Contender: ts.treeJobs[i], Src: ts.tree.path, Dst: dst, Result: resPath})
	err := cmd.Run()
	if err := r.ctx.Err(); err != nil {
		return out, err
	}
	if err != nil {
		out.run.Error = firstLine(stderr, err)
		return out, nil
	}
	var sr childResult
	if b, err := os.ReadFile(resPath); err != nil {
		out.run.Error = "child result: " + errText(err).Error()
		return out, nil
	} else if err := json.Unmarshal(b, &sr); err != nil {
		out.run.Error = "child result: " + err.Error()
		return out, nil
	}
	out.run.Elapsed, out.run.CPU = sr.Elapsed, sr.CPU
	return verifyTree(ts, dst, out), nil
}

// dropCaches empties the page cache before a cold run: root only, and
// not on tmpfs, whose pages are the files. Never in a test binary: go test
// runs packages at once, and a machine-wide drop makes the files other
// packages' tests have just written look cold (zcopy's io_uring policy
// then rightly takes the ring where those tests expect a cached copy).
func dropCaches(d *workDir) {
	if d.fs == "tmpfs" || os.Geteuid() != 0 || testing.Testing() {
		return
	}
	syscall.Sync()
	os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0o200)
}

// copyFilesChild is a child's "files" job: recreate Src's directories
// (and symlinks) under Dst, untimed, then copy its regular files with
// uring.CopyFiles and the contender's configuration, timed, with this
// process's CPU time (io_uring's kernel workers are threads of it).
func copyFilesChild(j *job) (childResult, error) {
	var res childResult
	var cfg *uring.FilesConfig
	for _, e := range filesEngines {
		if e.key == j.Contender {
			cfg = &e.cfg
		}
	}
	if cfg == nil {
		return res, fmt.Errorf("unknown contender %q", j.Contender)
	}
	var jobs []uring.Job
	err := filepath.WalkDir(j.Src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(j.Src, p)
		dst := filepath.Join(j.Dst, rel)
		switch {
		case e.IsDir():
			return os.Mkdir(dst, 0o755)
		case e.Type()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err == nil {
				err = os.Symlink(t, dst)
			}
			return err
		case e.Type().IsRegular():
			jobs = append(jobs, uring.Job{SrcDir: unix.AT_FDCWD, Src: p, DstDir: unix.AT_FDCWD, Dst: dst, Mode: 0o644})
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	c0 := cpuNow()
	start := time.Now()
	results := uring.CopyFiles(context.Background(), jobs, *cfg)
	res.Elapsed, res.CPU = time.Since(start), cpuNow()-c0
	for _, r := range results {
		if r.Err != nil {
			return res, r.Err
		}
		res.Bytes += r.Written
	}
	return res, nil
}

// cpuNow is this process's user+system time, all threads.
func cpuNow() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
