package zcopy

// SetUringMinCold lowers the size from which the default choice may take
// Uring, so that a test need not write 256 MiB.
func SetUringMinCold(n int64) (restore func()) {
	old := uringMinCold
	uringMinCold = n
	return func() { uringMinCold = old }
}
