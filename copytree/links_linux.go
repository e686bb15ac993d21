package copytree

import "errors"

// fileID names a file by device and inode.
type fileID struct{ dev, ino uint64 }

// linkEntry is the first copy of a multiply-linked source file; later names
// wait for done and link to path.
type linkEntry struct {
	done chan struct{}
	path string // the copy, "" if it failed
}

// has reports whether err was recorded already.
func (s *errorSink) has(err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.errs {
		if errors.Is(e, err) {
			return true
		}
	}
	return false
}
