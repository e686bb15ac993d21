//go:build !linux

package copytree

import "os"

// sortedNamesAt has nothing to list: there is no tree copier here whose
// lines need ordering.
func sortedNamesAt(src, rel string) []string { return nil }

// linkCount is 0: unknown here.
func linkCount(fi os.FileInfo) uint64 { return 0 }
