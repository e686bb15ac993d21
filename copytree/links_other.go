//go:build !linux

package copytree

// fileID and linkEntry are Linux's (links_linux.go): elsewhere Copy is not
// implemented, and they only give Copier's maps a type.
type (
	fileID    struct{}
	linkEntry struct{}
)
