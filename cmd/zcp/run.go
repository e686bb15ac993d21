package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/zcopy/zcopy/copytree"
)

// env is what run needs from the process, injected for tests.
type env struct {
	prog           string
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	stdinReader    *bufio.Reader
	jobs           int
	bar            *progressBar // nil without --progress
	proc           *process     // nil when run by a test: the process is left alone
	sig            *interrupts  // nil when run by a test: no signals caught
}

func (e *env) errorf(format string, a ...any) {
	fmt.Fprintf(e.stderr, "%s: %s\n", e.prog, fmt.Sprintf(format, a...))
}

func (e *env) usage(err error) int {
	e.errorf("%s", err)
	fmt.Fprintf(e.stderr, "Try '%s --help' for more information.\n", e.prog)
	return 1
}

// run is zcp: args[0] is the name it was invoked as. What it would change
// for the whole process (signals, the runtime's settings) goes through
// proc, which main makes; proc is nil in tests.
func run(proc *process, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	prog := "zcp"
	if len(args) > 0 {
		prog = args[0]
		args = args[1:]
	}
	out := &checkedWriter{w: stdout}
	e := &env{prog: prog, stdin: stdin, stdout: out, stderr: stderr, getenv: os.Getenv, proc: proc, sig: proc.signals()}
	code := e.main(e.sig.context(), args)
	if out.err != nil {
		e.errorf("write error: %s", copytree.Strerror(out.err))
		return 1
	}
	return code
}

func (e *env) main(ctx context.Context, args []string) int {
	popts, operands, err := getopt(args, shortOpts, longOpts)
	if err != nil {
		return e.usage(err)
	}
	cfg, code, done := e.configure(popts)
	if done {
		return code
	}
	return e.copyAll(ctx, cfg, operands)
}

var askMu sync.Mutex

// ask is -i: "cp: overwrite 'x'? ", yes when the answer starts with y.
func (e *env) ask(dst string) bool {
	askMu.Lock()
	defer askMu.Unlock()
	if e.bar != nil {
		e.bar.pause() // the question on a line of its own, the wait not timed
		defer e.bar.resume()
	}
	e.sig.prompt(true)
	defer e.sig.prompt(false)
	fmt.Fprintf(e.stderr, "%s: overwrite %s? ", e.prog, copytree.Quote(dst))
	if e.stdinReader == nil {
		e.stdinReader = bufio.NewReader(e.stdin)
	}
	line, _ := e.stdinReader.ReadString('\n')
	line = strings.TrimSpace(line)
	return strings.HasPrefix(line, "y") || strings.HasPrefix(line, "Y")
}

func stripSlashes(s string) string {
	for len(s) > 1 && strings.HasSuffix(s, "/") {
		s = s[:len(s)-1]
	}
	return s
}

// copyAll works out each source's destination (GNU cp's operand rules)
// and copies them, going on after a failure.
func (e *env) copyAll(ctx context.Context, cfg config, operands []string) int {
	target, sources, dest, code, ok := e.resolveOperands(cfg, operands)
	if !ok {
		return code
	}
	if cfg.parents && target == "" {
		return e.usage(errors.New("with --parents, the destination must be a directory"))
	}

	o := cfg.opts
	o.Report = cfg.json || cfg.debug
	o.OrderedOutput = true // GNU's order, whatever -j
	if o.Engine == copytree.EngineUring {
		if err := copytree.UringAvailable(); err != nil {
			// Said once; every file then takes the per-file path.
			e.errorf("warning: %v; copying with the sync engine", err)
		}
	}
	var bar *progressBar
	showBar := cfg.progress > 0 || (cfg.progress == 0 && isTerminal(e.stderr))
	if showBar {
		bar = newProgressBar(e.stderr, len(sources))
		o.Progress = bar.update
		e.bar = bar
		e.sig.onFinish(bar.interrupted)
	}
	var outMu sync.Mutex
	o.OnError = func(err error) {
		if e.sig.quiet(err) {
			return
		}
		outMu.Lock()
		defer outMu.Unlock()
		if bar != nil {
			bar.clear()
		}
		var ce *copytree.Error
		if errors.As(err, &ce) {
			e.errorf("%s", ce.Error())
		} else if errors.Is(err, context.Canceled) {
			e.errorf("interrupted")
		} else {
			e.errorf("%s", err)
		}
	}
	if cfg.verbose {
		o.OnFile = func(r copytree.FileReport) {
			if r.Skipped || e.sig.signal() != nil {
				return // GNU cp, killed by the signal, says no more
			}
			outMu.Lock()
			defer outMu.Unlock()
			if bar != nil {
				bar.clear()
			}
			if r.Parent {
				fmt.Fprintf(e.stdout, "%s -> %s\n", r.Src, r.Dst) // GNU: unquoted
				return
			}
			if r.Removed {
				fmt.Fprintf(e.stdout, "removed %s\n", copytree.Quote(r.Dst))
			}
			line := copytree.Quote(r.Src) + " -> " + copytree.Quote(r.Dst)
			if r.Backup != "" {
				line += " (backup: " + copytree.Quote(r.Backup) + ")"
			}
			fmt.Fprintln(e.stdout, line)
			if cfg.debug && r.Kind == copytree.KindFile && !r.Failed {
				fmt.Fprintln(e.stdout, r.Debug())
			}
		}
	}
	e.jobs = o.Jobs
	if e.jobs <= 0 {
		e.jobs = runtime.NumCPU()
	}
	e.proc.tune(e.jobs)
	if len(sources) == 1 && target == "" {
		if name, ok := forceBackupSelf(&o, sources[0], dest); ok {
			dest, o.Backup = name, copytree.BackupNone
		}
	}
	c := copytree.New(o)
	var seen *seenSources
	if len(sources) > 1 {
		c.RefuseJustCreated()
		seen = &seenSources{deref: o.Deref != copytree.DerefNever, backups: o.Backup != copytree.BackupNone, recursive: cfg.recursive}
	}
	start := time.Now()
	failed := false
	var ops []copytree.Operand // copied below, several at once when GNU could not tell
	for _, src := range sources {
		if ctx.Err() != nil {
			failed = true
			break
		}
		if cfg.stripSlashes {
			src = stripSlashes(src)
		}
		dst := dest
		var parents *copytree.Parents
		if target != "" {
			if cfg.parents {
				var err error
				if dst, parents, err = c.MakeParents(target, src); err != nil {
					failed = true
					continue
				}
			} else {
				dst = join(target, targetName(src))
			}
		}
		if what := seen.again(src, dst); what != "" {
			e.errorf("warning: source %s %s specified more than once", what, copytree.Quote(src))
			continue
		}
		if !cfg.parents {
			ops = append(ops, copytree.Operand{Src: src, Dst: dst})
			continue
		}
		if err := c.Copy(ctx, src, dst); err != nil {
			failed = true
		}
		if err := parents.Restore(); err != nil {
			failed = true
		}
	}
	for _, err := range c.CopyOperands(ctx, ops) {
		if err != nil {
			failed = true
		}
	}
	e.sig.dieIfCaught()
	if bar != nil {
		bar.finish()
	}
	if cfg.json {
		e.printJSON(c.Summary(), time.Since(start))
	}
	if failed || c.Summary().Errors > 0 {
		return 1
	}
	return 0
}

func join(dir, name string) string {
	if strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
}
