package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/zcopy/zcopy/memfs"
	memfuse "github.com/zcopy/zcopy/memfs/fuse"
)

const usage = `usage: zmount [OPTIONS] [SRC] MOUNTPOINT

Mount a copy-on-write memory overlay of the directory SRC (an empty
filesystem without SRC) at MOUNTPOINT and serve it in the foreground until
it is unmounted (umount, fusermount3 -u, SIGINT or SIGTERM). SRC is never
written.

Options:
  --limit SIZE    memory for file data (K, M, G, T suffixes: powers of 1024);
                  writes beyond it fail with ENOSPC (default: no limit)
  --export DIR    after unmounting, write the result tree to DIR (must not exist)
  --changes       after unmounting, print the paths that differ from SRC:
                  "A path" added, "D path" deleted, "M path" modified
  --passthrough   let the kernel read untouched host files itself (FUSE
                  passthrough, root): faster reads, but while a file is so
                  open, writing or truncating it fails with ETXTBSY
  --allow-other   let other users use the mount
  --debug         log every FUSE request to stderr, and the
                  GOMAXPROCS zmount serves with
`

// options are zmount's parsed arguments.
type options struct {
	limit      int64
	export     string
	changes    bool
	allowOther bool
	passthru   bool
	debug      bool
	src, mnt   string
}

func parseArgs(args []string) (*options, error) {
	var o options
	fl := flag.NewFlagSet("zmount", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	limit := fl.String("limit", "", "")
	fl.StringVar(&o.export, "export", "", "")
	fl.BoolVar(&o.changes, "changes", false, "")
	fl.BoolVar(&o.allowOther, "allow-other", false, "")
	fl.BoolVar(&o.passthru, "passthrough", false, "")
	fl.BoolVar(&o.debug, "debug", false, "")
	if err := fl.Parse(args); err != nil {
		return nil, err
	}
	if *limit != "" {
		n, err := parseSize(*limit)
		if err != nil {
			return nil, fmt.Errorf("invalid --limit %q: %v", *limit, err)
		}
		o.limit = n
	}
	switch fl.NArg() {
	case 1:
		o.mnt = fl.Arg(0)
	case 2:
		o.src, o.mnt = fl.Arg(0), fl.Arg(1)
	case 0:
		return nil, errors.New("missing MOUNTPOINT")
	default:
		return nil, fmt.Errorf("extra operand %q", fl.Arg(2))
	}
	return &o, nil
}

// parseSize reads a byte count with an optional suffix K, M, G or T
// (also KiB, MiB, GiB, TiB): powers of 1024.
func parseSize(s string) (int64, error) {
	num, suffix := s, ""
	if i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		num, suffix = s[:i], s[i:]
	}
	var shift uint
	switch strings.ToUpper(suffix) {
	case "":
	case "K", "KIB":
		shift = 10
	case "M", "MIB":
		shift = 20
	case "G", "GIB":
		shift = 30
	case "T", "TIB":
		shift = 40
	default:
		return 0, fmt.Errorf("unknown suffix %q", suffix)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, errors.New("not a number")
	}
	if n > (1<<63-1)>>shift {
		return 0, errors.New("too large")
	}
	return n << shift, nil
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseArgs(args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "zmount: %v\n%s", err, usage)
		return 2
	}
	if err := serve(o, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "zmount: %v\n", err)
		return 1
	}
	return 0
}

func serve(o *options, stdout, stderr io.Writer) error {
	if o.export != "" {
		if _, err := os.Lstat(o.export); err == nil {
			return fmt.Errorf("--export %s: %w", o.export, os.ErrExist)
		}
	}
	fsys := memfs.New(memfs.WithUmask(0), memfs.WithMemoryLimit(o.limit))
	defer fsys.Close()
	if o.src != "" {
		fi, err := os.Stat(o.src)
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return fmt.Errorf("%s: %w", o.src, syscall.ENOTDIR)
		}
		if err := fsys.Import(context.Background(), o.src, "."); err != nil {
			return err
		}
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	srv, err := memfuse.Mount(o.mnt, fsys, &memfuse.Options{
		AllowOther:  o.allowOther,
		Passthrough: o.passthru,
		Debug:       o.debug,
		FsName:      fsName(o.src),
	})
	if err != nil {
		return err
	}
	// After Mount: go-fuse sizes its pool of readers by GOMAXPROCS.
	restore := limitProcs(os.Getenv)
	if o.debug {
		fmt.Fprintf(stderr, "zmount: serving with GOMAXPROCS=%d\n", runtime.GOMAXPROCS(0))
	}
	done := make(chan struct{})
	go func() { srv.Wait(); close(done) }()
	interrupted := false
wait:
	for {
		select {
		case <-done:
			break wait
		case sig := <-sigs:
			if interrupted {
				// A second signal while detached: stop serving now.
				restore()
				return fmt.Errorf("%v: stopped with %s still in use", sig, o.mnt)
			}
			interrupted = true
			if err := unmount(srv, o.mnt); err != nil {
				fmt.Fprintf(stderr, "zmount: %v\n", err)
			}
		}
	}
	restore()
	if o.changes {
		if err := printChanges(stdout, fsys, o.src); err != nil {
			return err
		}
	}
	if o.export != "" {
		if err := fsys.Export(context.Background(), ".", o.export); err != nil {
			return err
		}
	}
	return nil
}

// fsName is the source /proc/mounts shows.
func fsName(src string) string {
	if src == "" {
		return "memfs"
	}
	return "memfs:" + src
}
