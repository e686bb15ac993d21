//go:build !linux

package kcopy

// ioState is Linux's; elsewhere Pair carries an empty one.
type ioState struct{}

type opCache struct{}

// Reset readies p for another copy.
func (p *Pair) Reset() { *p = Pair{} }

type roundState struct{}
