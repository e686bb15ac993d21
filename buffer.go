package zcopy

import "sync"

// Buffers for the read/write loop come from pools in a few size classes,
// so a small copy costs no allocation (io.Copy allocates 32 KiB each time).
var bufferClasses = [...]int{4 << 10, 32 << 10, 256 << 10, 1 << 20}

var bufferPools [len(bufferClasses)]sync.Pool

// getBuffer returns a buffer of exactly size bytes, pooled when size fits
// a class.
func getBuffer(size int) *[]byte {
	for i, class := range bufferClasses {
		if size <= class {
			if p, ok := bufferPools[i].Get().(*[]byte); ok {
				*p = (*p)[:size]
				return p
			}
			b := make([]byte, size, class)
			return &b
		}
	}
	b := make([]byte, size)
	return &b
}

func putBuffer(p *[]byte) {
	for i, class := range bufferClasses {
		if cap(*p) == class {
			bufferPools[i].Put(p)
			return
		}
	}
}
