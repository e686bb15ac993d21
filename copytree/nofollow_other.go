//go:build !unix

package copytree

const nofollow = 0
