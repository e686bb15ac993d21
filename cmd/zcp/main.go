// Command zcp copies files and directories: GNU cp's options, messages and
// exit codes, with trees copied in parallel on zcopy's fastest system calls,
// a progress bar, and a report of how each file was copied (--debug,
// --json). It can stand in for cp (ln -s zcp cp): messages carry the name
// it was invoked as. See docs/zcp.md.
package main

import "os"

func main() {
	os.Exit(run(newProcess(), os.Args, os.Stdin, os.Stdout, os.Stderr))
}
