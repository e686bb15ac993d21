//go:build !linux

package main

import "errors"

func setImmutable(string) (func(), error) { return nil, errors.New("only on Linux") }
