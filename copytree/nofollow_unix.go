//go:build unix

package copytree

import "syscall"

// nofollow keeps CopyFS from writing through a symlink planted at a
// destination name.
const nofollow = syscall.O_NOFOLLOW
