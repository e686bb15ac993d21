package copytree

// SetTestHookWalkEntry installs fn to run before the progress walk looks
// at an entry; the returned function removes it.
func SetTestHookWalkEntry(fn func(path string)) (restore func()) {
	testHookWalkEntry = fn
	return func() { testHookWalkEntry = nil }
}
