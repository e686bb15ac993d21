package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zcopy/zcopy/copytree"
)

const version = "zcp (zcopy) 0.1\nA cp for Linux with GNU cp's options, messages and exit codes.\n"

const usageText = `Usage: %[1]s [OPTION]... [-T] SOURCE DEST
  or:  %[1]s [OPTION]... SOURCE... DIRECTORY
  or:  %[1]s [OPTION]... -t DIRECTORY SOURCE...
Copy SOURCE to DEST, or multiple SOURCE(s) to DIRECTORY.

Mandatory arguments to long options are mandatory for short options too.
  -a, --archive                same as -dR --preserve=all
      --attributes-only        don't copy the file data, just the attributes
      --backup[=CONTROL]       make a backup of each existing destination file
  -b                           like --backup but does not accept an argument
      --copy-contents          copy contents of special files (FIFOs and
                                 devices are never read without it)
      --debug                  explain how a file is copied.  Implies -v
  -d                           same as --no-dereference --preserve=links
  -f, --force                  if an existing destination file cannot be
                                 opened, remove it and try again
  -i, --interactive            prompt before overwrite (overrides a previous -n)
  -H                           follow command-line symbolic links in SOURCE
  -l, --link                   hard link files instead of copying
  -L, --dereference            always follow symbolic links in SOURCE
  -n, --no-clobber             do not overwrite an existing file
  -P, --no-dereference         never follow symbolic links in SOURCE
  -p                           same as --preserve=mode,ownership,timestamps
      --preserve[=ATTR_LIST]   preserve the specified attributes (default:
                                 mode,ownership,timestamps), if possible
                                 additional attributes: context, links, xattr,
                                 all
      --no-preserve=ATTR_LIST  don't preserve the specified attributes
      --parents                use full source file name under DIRECTORY
  -R, -r, --recursive          copy directories recursively
      --reflink[=WHEN]         control clone/CoW copies. See below
      --remove-destination     remove each existing destination file before
                                 attempting to open it (contrast with --force)
      --sparse=WHEN            control creation of sparse files. See below
      --strip-trailing-slashes  remove any trailing slashes from each SOURCE
                                 argument
  -s, --symbolic-link          make symbolic links instead of copying
  -S, --suffix=SUFFIX          override the usual backup suffix
  -t, --target-directory=DIRECTORY  copy all SOURCE arguments into DIRECTORY
  -T, --no-target-directory    treat DEST as a normal file
  -u                           equivalent to --update[=older]
      --update[=UPDATE]        control which existing files are updated;
                                 UPDATE={all,none,none-fail,older(default)}
  -v, --verbose                explain what is being done
  -x, --one-file-system        stay on this file system
  -Z, --context[=CTX]          accepted and ignored (no SELinux support)

zcp's own options:
  -j, --jobs=N                 copy N files at once (default: the CPU count)
      --progress, --no-progress  show a progress bar on standard error
                                 (default: when standard error is a terminal)
      --json                   print a JSON summary on standard output
      --atomic                 write each file to a temporary name in its
                                 directory and rename it over the destination
      --fsync=WHEN             none (default), file (each file), end (syncfs)
      --engine=ENGINE          how small files of new directories are
                                 copied: auto (default: io_uring chains when
                                 they are not in the page cache, else one by
                                 one), sync (one by one), uring (io_uring)
      --help                   display this help and exit
      --version                output version information and exit

Example: %[1]s -a --progress /usr/share/doc /tmp/doc
`

var shortOpts = []shortOpt{
	{'a', noArg}, {'b', noArg}, {'d', noArg}, {'f', noArg}, {'H', noArg}, {'i', noArg}, {'l', noArg},
	{'L', noArg}, {'n', noArg}, {'p', noArg}, {'r', noArg}, {'s', noArg}, {'t', requiredArg}, {'u', noArg},
	{'v', noArg}, {'x', noArg}, {'P', noArg}, {'R', noArg}, {'S', requiredArg}, {'T', noArg}, {'Z', noArg},
	{'j', requiredArg},
}

// longOpts is GNU cp's table in its order, then zcp's own options.
var longOpts = []longOpt{
	{"archive", noArg, "a"},
	{"attributes-only", noArg, "attributes-only"},
	{"backup", optionalArg, "backup"},
	{"copy-contents", noArg, "copy-contents"},
	{"debug", noArg, "debug"},
	{"dereference", noArg, "L"},
	{"force", noArg, "f"},
	{"interactive", noArg, "i"},
	{"link", noArg, "l"},
	{"no-clobber", noArg, "n"},
	{"no-dereference", noArg, "P"},
	{"no-preserve", requiredArg, "no-preserve"},
	{"no-target-directory", noArg, "T"},
	{"one-file-system", noArg, "x"},
	{"parents", noArg, "parents"},
	{"path", noArg, "parents"},
	{"preserve", optionalArg, "preserve"},
	{"recursive", noArg, "R"},
	{"remove-destination", noArg, "remove-destination"},
	{"sparse", requiredArg, "sparse"},
	{"reflink", optionalArg, "reflink"},
	{"strip-trailing-slashes", noArg, "strip-trailing-slashes"},
	{"suffix", requiredArg, "S"},
	{"symbolic-link", noArg, "s"},
	{"target-directory", requiredArg, "t"},
	{"update", optionalArg, "update"},
	{"verbose", noArg, "v"},
	{"keep-directory-symlink", noArg, "keep-directory-symlink"},
	{"context", optionalArg, "Z"},
	{"help", noArg, "help"},
	{"version", noArg, "version"},
	// zcp's own.
	{"jobs", requiredArg, "j"},
	{"progress", noArg, "progress"},
	{"no-progress", noArg, "no-progress"},
	{"json", noArg, "json"},
	{"atomic", noArg, "atomic"},
	{"fsync", requiredArg, "fsync"},
	{"engine", requiredArg, "engine"},
}

// config is the command line, understood.
type config struct {
	opts           copytree.Options
	recursive      bool
	derefSet       bool
	target         string
	noTarget       bool
	parents        bool
	stripSlashes   bool
	verbose, debug bool
	json           bool
	progress       int // -1 off, 0 auto, 1 on
}

// env is what run needs from the process, injected for tests.
type env struct {
	prog           string
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	stdinReader    *bufio.Reader
	jobs           int
	bar            *progressBar // nil without --progress
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

// run is zcp: args[0] is the name it was invoked as. A copy is ended by
// the signals sig catches (see interrupts); sig may be nil.
func run(sig *interrupts, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	prog := "zcp"
	if len(args) > 0 {
		prog = args[0]
		args = args[1:]
	}
	out := &checkedWriter{w: stdout}
	e := &env{prog: prog, stdin: stdin, stdout: out, stderr: stderr, getenv: os.Getenv, sig: sig}
	if os.Getenv("GOGC") == "" {
		// The live heap is a few MiB (the walk streams); at the default
		// GOGC a 100,000-file copy collects two dozen times for nothing.
		debug.SetGCPercent(400)
	}
	code := e.main(sig.context(), args)
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

var preserveValues = []string{"mode", "timestamps", "ownership", "links", "context", "xattr", "all"}

// parsePreserve parses an ATTR_LIST; xattr says it names xattr itself
// (GNU then reports every extended attribute that cannot be copied, which
// it does not for "all" or -a).
func parsePreserve(list, opt string) (p copytree.Preserve, xattr bool, err error) {
	for _, item := range strings.Split(list, ",") {
		v, ok, amb := argmatch(item, preserveValues, preserveValues)
		if !ok {
			groups := make([][]string, len(preserveValues))
			for i, v := range preserveValues {
				groups[i] = []string{v}
			}
			return 0, false, invalidArg(item, opt, amb, groups)
		}
		switch v {
		case "mode":
			p |= copytree.PreserveMode
		case "timestamps":
			p |= copytree.PreserveTimestamps
		case "ownership":
			p |= copytree.PreserveOwnership
		case "links":
			p |= copytree.PreserveLinks
		case "xattr":
			p |= copytree.PreserveXattr
			xattr = true
		case "all":
			p |= copytree.PreserveAll
		}
	}
	return p, xattr, nil
}

func when(arg, opt string, values []string) (copytree.When, error) {
	v, ok, amb := argmatch(arg, values, values)
	if !ok {
		groups := make([][]string, len(values))
		for i, v := range values {
			groups[i] = []string{v}
		}
		return 0, invalidArg(arg, opt, amb, groups)
	}
	switch v {
	case "always":
		return copytree.Always, nil
	case "never":
		return copytree.Never, nil
	}
	return copytree.Auto, nil
}

var backupValues = []string{"none", "off", "simple", "never", "existing", "nil", "numbered", "t"}
var backupResults = []string{"none", "none", "simple", "simple", "existing", "existing", "numbered", "numbered"}

func parseBackup(arg string) (copytree.Backup, error) {
	v, ok, amb := argmatch(arg, backupValues, backupResults)
	if !ok {
		return 0, invalidArg(arg, "backup type", amb, [][]string{{"none", "off"}, {"simple", "never"}, {"existing", "nil"}, {"numbered", "t"}})
	}
	return map[string]copytree.Backup{"none": copytree.BackupNone, "simple": copytree.BackupSimple,
		"existing": copytree.BackupExisting, "numbered": copytree.BackupNumbered}[v], nil
}

// configure turns the options into a config; done means exit with code.
func (e *env) configure(popts []parsedOpt) (cfg config, code int, done bool) {
	o := &cfg.opts
	var backup, backupArg string
	backupSet := false
	var noPreserve copytree.Preserve
	fail := func(err error) (config, int, bool) { return cfg, e.usage(err), true }
	for _, p := range popts {
		switch p.id {
		case "a":
			o.Deref, cfg.derefSet = copytree.DerefNever, true
			cfg.recursive = true
			o.Preserve |= copytree.PreserveAll
		case "attributes-only":
			o.AttributesOnly = true
		case "b":
			backupSet = true
		case "backup":
			backupSet = true
			if p.hasArg {
				backupArg = p.arg
			}
		case "copy-contents":
			o.CopyContents = true
		case "debug":
			cfg.debug, cfg.verbose = true, true
		case "d":
			o.Deref, cfg.derefSet = copytree.DerefNever, true
			o.Preserve |= copytree.PreserveLinks
		case "f":
			o.Force = true
		case "H":
			o.Deref, cfg.derefSet = copytree.DerefCommandLine, true
		case "i":
			o.Update = copytree.UpdateAll
			o.Interactive = e.ask
		case "l":
			o.HardLink = true
		case "L":
			o.Deref, cfg.derefSet = copytree.DerefAlways, true
		case "n":
			o.Update, o.Interactive = copytree.UpdateNone, nil
		case "P":
			o.Deref, cfg.derefSet = copytree.DerefNever, true
		case "p":
			o.Preserve |= copytree.PreserveMode | copytree.PreserveOwnership | copytree.PreserveTimestamps
		case "preserve":
			if !p.hasArg {
				o.Preserve |= copytree.PreserveMode | copytree.PreserveOwnership | copytree.PreserveTimestamps
				break
			}
			v, xattr, err := parsePreserve(p.arg, "--preserve")
			if err != nil {
				return fail(err)
			}
			o.Preserve |= v
			noPreserve &^= v
			if v&copytree.PreserveMode != 0 {
				o.NoPreserveMode = false
			}
			if xattr {
				o.RequireXattr = true
			}
		case "no-preserve":
			v, xattr, err := parsePreserve(p.arg, "--no-preserve")
			if err != nil {
				return fail(err)
			}
			o.Preserve &^= v
			if v&copytree.PreserveMode != 0 {
				o.NoPreserveMode = true // GNU's explicit_no_preserve_mode
			}
			if xattr {
				o.RequireXattr = false
			}
		case "parents":
			cfg.parents = true
		case "r", "R":
			cfg.recursive = true
		case "remove-destination":
			o.RemoveDestination = true
		case "sparse":
			w, err := when(p.arg, "--sparse", []string{"never", "auto", "always"})
			if err != nil {
				return fail(err)
			}
			o.Sparse = w
		case "reflink":
			if !p.hasArg {
				o.Reflink = copytree.Always
				break
			}
			w, err := when(p.arg, "--reflink", []string{"auto", "always", "never"})
			if err != nil {
				return fail(err)
			}
			o.Reflink = w
		case "strip-trailing-slashes":
			cfg.stripSlashes = true
		case "S":
			// A suffix asks for backups too (GNU).
			backupSet = true
			backup = p.arg
			o.Suffix = p.arg
		case "s":
			o.SymbolicLink = true
		case "t":
			if cfg.target != "" {
				return fail(usageErrorf("multiple target directories specified"))
			}
			cfg.target = p.arg
		case "T":
			cfg.noTarget = true
		case "u":
			o.Update, o.Interactive = copytree.UpdateOlder, nil
		case "update":
			if !p.hasArg {
				o.Update = copytree.UpdateOlder
				break
			}
			vals := []string{"all", "none", "none-fail", "older"}
			v, ok, amb := argmatch(p.arg, vals, vals)
			if !ok {
				return fail(invalidArg(p.arg, "--update", amb, [][]string{{"all"}, {"none"}, {"none-fail"}, {"older"}}))
			}
			o.Update = map[string]copytree.Update{"all": copytree.UpdateAll, "none": copytree.UpdateNone,
				"none-fail": copytree.UpdateNoneFail, "older": copytree.UpdateOlder}[v]
			o.Interactive = nil
		case "v":
			cfg.verbose = true
		case "x":
			o.OneFileSystem = true
		case "keep-directory-symlink":
			o.KeepDirectorySymlink = true
		case "Z":
			// No SELinux: accepted and ignored, as GNU cp does without it.
		case "help":
			fmt.Fprintf(e.stdout, usageText, e.prog)
			return cfg, 0, true
		case "version":
			fmt.Fprint(e.stdout, version)
			return cfg, 0, true
		case "j":
			n, err := strconv.Atoi(p.arg)
			if err != nil || n < 1 || n > copytree.MaxJobs {
				return fail(usageErrorf("invalid number of jobs: '%s'", p.arg))
			}
			o.Jobs = n
		case "progress":
			cfg.progress = 1
		case "no-progress":
			cfg.progress = -1
		case "json":
			cfg.json = true
		case "atomic":
			o.Atomic = true
		case "fsync":
			vals := []string{"none", "file", "end"}
			v, ok, amb := argmatch(p.arg, vals, vals)
			if !ok {
				return fail(invalidArg(p.arg, "--fsync", amb, [][]string{{"none"}, {"file"}, {"end"}}))
			}
			o.Fsync = map[string]copytree.Fsync{"none": copytree.FsyncNone, "file": copytree.FsyncFile, "end": copytree.FsyncEnd}[v]
		case "engine":
			vals := []string{"auto", "sync", "uring"}
			v, ok, amb := argmatch(p.arg, vals, vals)
			if !ok {
				return fail(invalidArg(p.arg, "--engine", amb, [][]string{{"auto"}, {"sync"}, {"uring"}}))
			}
			o.Batch = map[string]copytree.Batch{"auto": copytree.BatchAuto, "sync": copytree.BatchSync, "uring": copytree.BatchUring}[v]
		}
	}
	_ = backup
	if cfg.target != "" && cfg.noTarget {
		e.errorf("cannot combine --target-directory (-t) and --no-target-directory (-T)")
		return cfg, 1, true
	}
	if backupSet {
		if backupArg == "" {
			backupArg = e.getenv("VERSION_CONTROL")
		}
		if backupArg == "" {
			o.Backup = copytree.BackupExisting
		} else {
			b, err := parseBackup(backupArg)
			if err != nil {
				return fail(err)
			}
			o.Backup = b
		}
		if o.Suffix == "" {
			o.Suffix = e.getenv("SIMPLE_BACKUP_SUFFIX")
		}
	}
	if o.HardLink && o.SymbolicLink {
		return fail(usageErrorf("cannot make both hard and symbolic links"))
	}
	if o.Backup != copytree.BackupNone && o.Update == copytree.UpdateNone {
		return fail(usageErrorf("options --backup and --no-clobber are mutually exclusive"))
	}
	if o.Reflink == copytree.Always && o.Sparse != copytree.Auto {
		return fail(usageErrorf("--reflink can be used only with --sparse=auto"))
	}
	if !cfg.derefSet {
		if cfg.recursive && !o.HardLink {
			o.Deref = copytree.DerefNever
		} else {
			o.Deref = copytree.DerefAlways
		}
	}
	o.NoRecursion = !cfg.recursive
	o.ContinueOnError = true
	// Set, even empty, it restores writing through dangling symlinks.
	_, o.OpenDanglingSymlink = os.LookupEnv("POSIXLY_CORRECT")
	return cfg, 0, false
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
	if len(operands) == 0 {
		return e.usage(errors.New("missing file operand"))
	}
	target := cfg.target
	var sources []string
	var dest string
	switch {
	case cfg.noTarget:
		if len(operands) > 2 {
			return e.usage(fmt.Errorf("extra operand %s", copytree.Quote(operands[2])))
		}
		if len(operands) < 2 {
			return e.usage(fmt.Errorf("missing destination file operand after %s", copytree.Quote(operands[0])))
		}
		sources, dest = operands[:1], operands[1]
	case target != "":
		fi, err := os.Stat(target)
		if err != nil {
			e.errorf("target directory %s: %s", copytree.Quote(target), copytree.Strerror(err))
			return 1
		}
		if !fi.IsDir() {
			// GNU opens it O_DIRECTORY: "target directory 'x': Not a directory".
			e.errorf("target directory %s: %s", copytree.Quote(target), copytree.Strerror(syscall.ENOTDIR))
			return 1
		}
		sources = operands
	default:
		if len(operands) == 1 {
			return e.usage(fmt.Errorf("missing destination file operand after %s", copytree.Quote(operands[0])))
		}
		last := operands[len(operands)-1]
		fi, err := os.Stat(last)
		if err == nil && fi.IsDir() {
			target, sources = last, operands[:len(operands)-1]
		} else if len(operands) > 2 {
			if err == nil {
				err = syscall.ENOTDIR
			}
			e.errorf("target %s: %s", copytree.Quote(last), copytree.Strerror(err))
			return 1
		} else {
			sources, dest = operands[:1], last
		}
	}
	if cfg.parents && target == "" {
		return e.usage(errors.New("with --parents, the destination must be a directory"))
	}

	o := cfg.opts
	o.Report = cfg.json || cfg.debug
	o.OrderedOutput = true // GNU's order, whatever -j
	if o.Batch == copytree.BatchUring {
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
			if cfg.debug && r.Kind == copytree.KindFile {
				fmt.Fprintln(e.stdout, r.Debug())
			}
		}
	}
	e.jobs = o.Jobs
	if e.jobs <= 0 {
		e.jobs = runtime.NumCPU()
	}
	if e.getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) <= e.jobs {
		// One P more than workers: the runtime's monitor takes the P
		// of a worker in a system call away (a hand-off, a thread
		// woken for nothing) only when no P is idle. On 2 CPUs this
		// measured 10-20 % faster, with half the context switches
		// (BENCHMARKS.md, zcp).
		runtime.GOMAXPROCS(e.jobs + 1)
	}
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

type jsonSummary struct {
	Files     int64            `json:"files"`
	Dirs      int64            `json:"dirs"`
	Symlinks  int64            `json:"symlinks"`
	HardLinks int64            `json:"hardlinks"`
	Specials  int64            `json:"specials"`
	Bytes     int64            `json:"bytes"`
	Skipped   int64            `json:"skipped"`
	Errors    int64            `json:"errors"`
	Methods   map[string]int64 `json:"methods"`
	Seconds   float64          `json:"seconds"`
	Jobs      int              `json:"jobs"`
}

func (e *env) printJSON(s copytree.Summary, elapsed time.Duration) {
	if s.Methods == nil {
		s.Methods = map[string]int64{}
	}
	out, _ := json.Marshal(jsonSummary{Files: s.Files, Dirs: s.Dirs, Symlinks: s.Symlinks, HardLinks: s.HardLinks,
		Specials: s.Specials, Bytes: s.Bytes, Skipped: s.Skipped, Errors: s.Errors, Methods: s.Methods,
		Seconds: elapsed.Seconds(), Jobs: e.jobs})
	fmt.Fprintf(e.stdout, "%s\n", out)
}
