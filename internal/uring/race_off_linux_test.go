//go:build !race

package uring

const raceOn = false
