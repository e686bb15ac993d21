//go:build amd64 || arm64 || riscv64 || ppc64le || ppc64 || s390x || loong64 || mips64 || mips64le

package fuse

// ReadRequests is how many read requests s has served: none for reads
// the kernel passes through to the host file.
func ReadRequests(s *Server) int64 { return s.reads.Load() }

// SetReadTuning sets the request size and readahead window of later
// mounts (0: go-fuse's and the kernel's defaults) and returns the undo.
func SetReadTuning(maxWrite, readAheadKB int) (restore func()) {
	old := readTuning
	readTuning.maxWrite, readTuning.readAheadKB = maxWrite, readAheadKB
	return func() { readTuning = old }
}
