package copytree

// SetTestHookWalkEntry installs fn to run before the progress walk looks
// at an entry; the returned function removes it.
func SetTestHookWalkEntry(fn func(path string)) (restore func()) {
	testHookWalkEntry = fn
	return func() { testHookWalkEntry = nil }
}

// SetTestHookWalkDone installs fn to run when the progress walk has
// counted a whole tree; the returned function removes it.
func SetTestHookWalkDone(fn func()) (restore func()) {
	testHookWalkDone = fn
	return func() { testHookWalkDone = nil }
}
