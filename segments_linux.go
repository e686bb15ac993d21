package zcopy

import (
	"io"
	"os"

	"github.com/zcopy/zcopy/internal/kcopy"
)

// newSegmentSink looks at a destination: a regular file without O_APPEND
// can take holes.
func newSegmentSink(dst io.Writer) *segmentSink {
	s := &segmentSink{describe: describe(dst)}
	_, rc := descriptor(dst, nil)
	if rc == nil {
		return s
	}
	var e kcopy.Endpoint
	if err := kcopy.Classify(rc, &e, true); err != nil {
		return s
	}
	s.describe = describeEnd(&e, rc)
	f, ok := dst.(*os.File)
	if !ok || e.Kind != kcopy.KindRegular || e.Append {
		return s
	}
	pos, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return s
	}
	s.f, s.pos, s.size = f, pos, e.Size
	return s
}
