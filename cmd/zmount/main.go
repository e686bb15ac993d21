// Command zmount mounts a copy-on-write memory overlay of a host tree with
// FUSE, for every program: writes go to memory (only the bytes written),
// the host tree never changes. It serves in the foreground until unmounted
// (umount, fusermount3 -u, SIGINT or SIGTERM), then optionally prints the
// changed paths and exports the result tree. See docs/zmount.md.
package main

import "os"

func main() { os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr)) }
