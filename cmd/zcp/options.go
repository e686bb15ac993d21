// zcp's command line: the usage text, the options GNU cp 9.x takes (and
// zcp's own), and how they turn into a copytree configuration.

package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

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
	var backupArg string
	backupSet := false
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
			o.Engine = map[string]copytree.Engine{"auto": copytree.EngineAuto, "sync": copytree.EngineSync, "uring": copytree.EngineUring}[v]
		}
	}
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
