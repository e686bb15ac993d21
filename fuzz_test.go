package zcopy_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/zcopy/zcopy"
)

// FuzzCopy copies data from a file at srcOff, under an optional limit and
// optionally forcing one method, into a file, and compares with io.Copy on
// a second fixture. method picks from zcopy.Methods() (0: default choice).
func FuzzCopy(f *testing.F) {
	for _, size := range []int{0, 1, 4095, 4096, 4097, 64<<10 - 1, 64 << 10, 64<<10 + 1, 1<<20 - 1, 1<<20 + 1} {
		data := bytes.Repeat([]byte{byte(size), 0xa5, 0x5a}, size/3+1)[:size]
		f.Add(data, uint16(0), int32(-1), byte(0))
		f.Add(data, uint16(100), int32(size/2), byte(size%8))
	}
	f.Add([]byte("hello"), uint16(7), int32(3), byte(1))
	f.Add([]byte("hello"), uint16(1), int32(0), byte(6))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, srcOff uint16, limit int32, method byte) {
		run := func(copyFn func(dst io.Writer, src io.Reader) (int64, error)) (n, srcPos, dstPos, limitN int64, out []byte, err error) {
			src, err := os.CreateTemp(dir, "src-")
			if err != nil {
				t.Fatal(err)
			}
			defer os.Remove(src.Name())
			defer src.Close()
			dst, err := os.CreateTemp(dir, "dst-")
			if err != nil {
				t.Fatal(err)
			}
			defer os.Remove(dst.Name())
			defer dst.Close()
			if _, err := src.Write(data); err != nil {
				t.Fatal(err)
			}
			if _, err := src.Seek(int64(srcOff), io.SeekStart); err != nil {
				t.Fatal(err)
			}
			var r io.Reader = src
			var lr *io.LimitedReader
			if limit >= 0 {
				lr = &io.LimitedReader{R: src, N: int64(limit)}
				r = lr
			}
			n, err = copyFn(dst, r)
			srcPos, _ = src.Seek(0, io.SeekCurrent)
			dstPos, _ = dst.Seek(0, io.SeekCurrent)
			if lr != nil {
				limitN = lr.N
			}
			out, rerr := os.ReadFile(dst.Name())
			if rerr != nil {
				t.Fatal(rerr)
			}
			return n, srcPos, dstPos, limitN, out, err
		}
		wn, wsrc, wdst, wlim, wout, werr := run(io.Copy)
		if werr != nil {
			t.Fatalf("io.Copy: %v", werr)
		}
		var opts []zcopy.Option
		ms := zcopy.Methods()
		if method != 0 {
			opts = append(opts, zcopy.Only(ms[int(method)%len(ms)]))
		}
		var rep zcopy.Report
		opts = append(opts, zcopy.WithReport(&rep))
		n, gsrc, gdst, glim, out, err := run(func(dst io.Writer, src io.Reader) (int64, error) {
			return zcopy.CopyContext(context.Background(), dst, src, opts...)
		})
		if errors.Is(err, zcopy.ErrNoMethod) {
			// The forced method cannot copy this pair (a clone on ext4):
			// nothing may have moved.
			if n != 0 || len(out) != 0 || gsrc != int64(srcOff) || (limit >= 0 && glim != int64(limit)) {
				t.Fatalf("ErrNoMethod after moving bytes: n=%d, %d bytes out, src at %d\nreport: %s", n, len(out), gsrc, &rep)
			}
			return
		}
		if n != wn || err != nil || gsrc != wsrc || gdst != wdst || glim != wlim || !bytes.Equal(out, wout) {
			t.Fatalf("zcopy: n=%d err=%v src=%d dst=%d N=%d; io.Copy: n=%d src=%d dst=%d N=%d; bytes equal: %v\nreport: %s",
				n, err, gsrc, gdst, glim, wn, wsrc, wdst, wlim, bytes.Equal(out, wout), &rep)
		}
	})
}
