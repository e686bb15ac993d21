package kcopy

import "errors"

// ErrContinue is returned with handled == true when a method moved some
// bytes and wants the caller to finish with a generic read/write loop (for
// example an mmap copy whose source shrank under it).
var ErrContinue = errors.New("kcopy: continue with another method")

// ErrSameFile is the reason given when source and destination are one file.
var ErrSameFile = errors.New("source and destination are the same file")
