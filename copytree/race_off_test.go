//go:build !race

package copytree_test

const raceEnabled = false
