package bench

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"
)

// The tree scenario (opt-in: -scenario tree) times whole-tree copies by
// commands: zcp -a (default jobs), zcp -a -j1, GNU cp -a, rsync -a and
// uutils cp -a (Debian's rust-coreutils), on two trees made in the first
// -dir: the Go distribution (GOROOT copied there first) and 100,000 x 4 KiB
// files in 100 directories. Every run copies into a fresh name and the copy
// is checked (file count and bytes) and removed, untimed; the contenders
// rotate as in the other scenarios.

// uutilsCp is where Debian's rust-coreutils installs the uutils cp.
const uutilsCp = "/usr/lib/cargo/bin/coreutils/cp"

type treeContender struct {
	name string
	argv []string // the source and the destination are appended
	base bool
}

// treeStats is what a copy must reproduce.
type treeStats struct{ files, bytes int64 }

func statTree(root string) (treeStats, error) {
	var s treeStats
	err := filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			s.files++
			s.bytes += info.Size()
		}
		return nil
	})
	return s, err
}

// makeSmallTree writes n files of 4 KiB (distinct contents) in
// directories of 1,000.
func makeSmallTree(root string, n int) error {
	block := make([]byte, 4096)
	for i := range block {
		block[i] = byte(i)
	}
	for i := 0; i < n; i++ {
		d := filepath.Join(root, fmt.Sprintf("d%03d", i/1000))
		if i%1000 == 0 {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
		block[0], block[1], block[2] = byte(i), byte(i>>8), byte(i>>16)
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("f%06d", i)), block, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) runTree() error {
	d := r.dirs[0]
	zcp := filepath.Join(d.tmp, "zcp")
	var contenders []treeContender
	var notes []string
	if out, err := exec.CommandContext(r.ctx, "go", "build", "-o", zcp, "github.com/zcopy/zcopy/cmd/zcp").CombinedOutput(); err != nil {
		notes = append(notes, fmt.Sprintf("zcp not built (%v: %s): its rows are missing.", err, firstLineOf(out)))
	} else {
		contenders = append(contenders,
			treeContender{name: fmt.Sprintf("zcp -a (%d jobs)", runtime.NumCPU()), argv: []string{zcp, "-a"}},
			treeContender{name: "zcp -a -j1", argv: []string{zcp, "-a", "-j1"}})
	}
	contenders = append(contenders, treeContender{name: "cp -a", argv: []string{"cp", "-a"}, base: true})
	if _, err := exec.LookPath("rsync"); err == nil {
		contenders = append(contenders, treeContender{name: "rsync -a", argv: []string{"rsync", "-a"}})
	} else {
		notes = append(notes, "rsync not installed.")
	}
	if _, err := os.Stat(uutilsCp); err == nil {
		contenders = append(contenders, treeContender{name: "uutils cp -a", argv: []string{uutilsCp, "-a"}})
	} else {
		notes = append(notes, "uutils cp not installed (apt-get install rust-coreutils).")
	}

	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil || len(out) < 2 {
		return fmt.Errorf("go env GOROOT: %v", err)
	}
	goroot := string(out[:len(out)-1])
	trees := []struct {
		name, title string
		make        func(dst string) error
	}{
		{"goroot", "the Go distribution (GOROOT copied here first)", func(dst string) error {
			out, err := exec.CommandContext(r.ctx, "cp", "-a", goroot, dst).CombinedOutput()
			if err != nil {
				return fmt.Errorf("cp -a %s: %v: %s", goroot, err, firstLineOf(out))
			}
			return nil
		}},
		{"small", "100,000 x 4 KiB files in 100 directories", func(dst string) error { return makeSmallTree(dst, 100000) }},
	}
	for _, tr := range trees {
		src := filepath.Join(d.tmp, "tree-"+tr.name)
		r.progress("zbench: tree: preparing %s", tr.title)
		if err := tr.make(src); err != nil {
			return err
		}
		want, err := statTree(src)
		if err != nil {
			return err
		}
		t := &Table{Scenario: "tree", Title: fmt.Sprintf("%s, %d files", tr.title, want.files), Dir: d.path, FS: d.fs,
			Size: want.bytes, Copies: 1, Notes: append([]string(nil), notes...)}
		for _, c := range contenders {
			t.Rows = append(t.Rows, &Row{Name: c.name, Kind: "command", Baseline: c.base, Method: "exec " + filepath.Base(c.argv[0])})
		}
		r.res.Tables = append(r.res.Tables, t)
		r.progress("zbench: %s: %d contenders x %d runs", t.Heading(), len(contenders), r.cfg.runs)
		for round := range r.cfg.runs {
			for k := range contenders {
				i := (k + round) % len(contenders)
				run, err := r.runTreeOnce(contenders[i], src, want)
				if err != nil {
					t.Summarize()
					return err
				}
				t.Rows[i].Runs = append(t.Rows[i].Runs, run)
			}
		}
		t.Summarize()
		os.RemoveAll(src)
	}
	return nil
}

// runTreeOnce times one copy of src and checks it.
func (r *runner) runTreeOnce(c treeContender, src string, want treeStats) (Run, error) {
	r.seq++
	dst := filepath.Join(filepath.Dir(src), fmt.Sprintf("copy-%d", r.seq))
	defer os.RemoveAll(dst)
	cmd := exec.CommandContext(r.ctx, c.argv[0], append(c.argv[1:], src, dst)...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	run := Run{Elapsed: time.Since(start)}
	if ps := cmd.ProcessState; ps != nil {
		run.CPU = ps.UserTime() + ps.SystemTime()
	}
	if r.ctx.Err() != nil {
		return run, r.ctx.Err()
	}
	if err != nil {
		run.Error = fmt.Sprintf("%v: %s", err, firstLineOf(out))
		return run, nil
	}
	got, err := statTree(dst)
	if err != nil {
		run.Error = errText(err).Error()
		return run, nil
	}
	run.Bytes = got.bytes
	if got != want {
		run.Error = fmt.Sprintf("copied %d files, %d bytes; want %d, %d", got.files, got.bytes, want.files, want.bytes)
		return run, nil
	}
	run.OK = true
	return run, nil
}

func firstLineOf(b []byte) string {
	for i, c := range b {
		if c == '\n' {
			return string(b[:i])
		}
	}
	if len(b) == 0 {
		return errors.New("no output").Error()
	}
	return string(b)
}
