//go:build !race && linux

package copytree_test

const raceEnabled = false
