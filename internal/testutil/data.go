package testutil

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
)

// dataCache keeps generated fixtures: tests ask for the same sizes often.
var dataCache sync.Map // dataKey -> []byte

type dataKey struct {
	n    int
	seed uint64
}

// Data returns n deterministic pseudo-random bytes from a PCG stream seeded
// with seed and n, so that every size gets its own content and a run can be
// reproduced. The slice is shared: callers must not modify it.
func Data(n int, seed uint64) []byte {
	key := dataKey{n, seed}
	if b, ok := dataCache.Load(key); ok {
		return b.([]byte)
	}
	b := make([]byte, n+7)
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	for i := 0; i < n; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], rng.Uint64())
	}
	b = b[:n:n]
	dataCache.Store(key, b)
	return b
}

// FirstDiff describes where got and want differ, for failure messages that
// do not dump megabytes.
func FirstDiff(got, want []byte) string {
	if len(got) != len(want) {
		return fmt.Sprintf("length %d, want %d%s", len(got), len(want), firstDiffAt(got, want))
	}
	return firstDiffAt(got, want)
}

func firstDiffAt(got, want []byte) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("; first difference at byte %d: %#02x, want %#02x", i, got[i], want[i])
		}
	}
	return ""
}
