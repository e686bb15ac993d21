package zcopy

// fdPair reports whether a copy is CopyFD's: two bare descriptors.
func fdPair(s *source, dst any) bool {
	_, sok := s.inner().(*fdFile)
	_, dok := dst.(*fdFile)
	return sok && dok
}
