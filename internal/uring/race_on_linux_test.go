//go:build race

package uring

// raceOn is set when the race detector slows every copy down.
const raceOn = true
