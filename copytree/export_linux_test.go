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
