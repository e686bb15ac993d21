package copytree

// SetTestHookBeforeEntry installs fn to run before each listed entry is
// copied; the returned function removes it.
func SetTestHookBeforeEntry(fn func(path string)) (restore func()) {
	testHookBeforeEntry = fn
	return func() { testHookBeforeEntry = nil }
}

// SetTestHookAfterData installs fn to run after a file's data is written.
func SetTestHookAfterData(fn func(path string)) (restore func()) {
	testHookAfterData = fn
	return func() { testHookAfterData = nil }
}

// SetTestHookSparseData installs fn to run before each data segment of a
// sparse copy, with the segment's offset.
func SetTestHookSparseData(fn func(off int64)) (restore func()) {
	testHookSparseData = fn
	return func() { testHookSparseData = nil }
}

// SetUnknownTypes makes listings give every entry as DT_UNKNOWN.
func SetUnknownTypes() (restore func()) {
	testUnknownTypes = true
	return func() { testUnknownTypes = false }
}

// MaxKeptLines is the most OnFile and OnError calls c's ordered output
// has kept at once.
func MaxKeptLines(c *Copier) int {
	c.order.mu.Lock()
	defer c.order.mu.Unlock()
	return c.order.maxWait
}
