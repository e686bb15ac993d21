package main

import (
	"runtime"
	"testing"
)

func TestLimitProcs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	if before == serveProcs {
		runtime.GOMAXPROCS(serveProcs + 1)
		defer runtime.GOMAXPROCS(before)
	}
	start := runtime.GOMAXPROCS(0)
	for _, tc := range []struct {
		env  string
		want int
	}{
		{"", serveProcs}, // taken: zmount's default
		{"3", start},     // off: the environment's GOMAXPROCS wins
	} {
		restore := limitProcs(func(k string) string {
			if k == "GOMAXPROCS" {
				return tc.env
			}
			return ""
		})
		if got := runtime.GOMAXPROCS(0); got != tc.want {
			t.Errorf("GOMAXPROCS=%q: serving with %d Ps, want %d", tc.env, got, tc.want)
		}
		restore()
		if got := runtime.GOMAXPROCS(0); got != start {
			t.Errorf("GOMAXPROCS=%q: after serving %d Ps, want %d back", tc.env, got, start)
		}
	}
}
