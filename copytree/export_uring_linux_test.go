package copytree

import "golang.org/x/sys/unix"

// SetTestHookRingBatch installs fn to see the size of each batch of files
// handed to io_uring; the returned function removes it.
func SetTestHookRingBatch(fn func(n int)) (restore func()) {
	testHookRingBatch = fn
	return func() { testHookRingBatch = nil }
}

// SetTestHookRingStat installs fn to change what the ring's statx saw of a
// file before ringDone compares it with the opened source.
func SetTestHookRingStat(fn func(srcPath string, st *unix.Stat_t)) (restore func()) {
	testHookRingStat = fn
	return func() { testHookRingStat = nil }
}
