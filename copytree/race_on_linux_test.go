//go:build race && linux

package copytree_test

// raceEnabled: the race detector slows the test's own tree walks about
// tenfold, so the widest corpus shrinks under it (CI runs -race).
const raceEnabled = true
