package copytree

// SetTestHookRingBatch installs fn to see the size of each batch of files
// handed to io_uring; the returned function removes it.
func SetTestHookRingBatch(fn func(n int)) (restore func()) {
	testHookRingBatch = fn
	return func() { testHookRingBatch = nil }
}
