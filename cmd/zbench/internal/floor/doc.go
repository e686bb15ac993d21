// Package floor is `zbench floor`: the least a tree copy can cost on this
// machine. It copies a tree of directories of regular files with nothing
// but the system calls zcp makes for each file (openat the source, fstat,
// openat the destination O_CREAT|O_EXCL, copy_file_range, close twice),
// the top-level directories split between workers four ways:
//
//	one      one thread
//	threads  one thread per CPU, in one process (one descriptor table)
//	unshare  the same, each thread with its own descriptor table
//	         (unshare(CLONE_FILES))
//	procs    one process per CPU
//
// The difference between threads and procs is what sharing a descriptor
// table costs (the table's lock in every open and close); BENCHMARKS.md
// compares zcp with these numbers. Nothing here is a copier for users:
// it handles nothing but directories and regular files, and no metadata.
package floor
