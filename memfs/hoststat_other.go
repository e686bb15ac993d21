//go:build !linux && !darwin

package memfs

import "io/fs"

// hostStat is what an import keeps of a host file's metadata.
type hostStat struct {
	id                  fileID
	uid, gid            int
	atime, mtime, ctime int64 // ns since the epoch
	nlink               uint64
}

// fileID is not known here: backings are not shared between imports.
type fileID struct {
	dev, ino uint64
	valid    bool
}

func idOf(fi fs.FileInfo) fileID { return fileID{} }

func statOf(fi fs.FileInfo) hostStat {
	t := fi.ModTime().UnixNano()
	return hostStat{atime: t, mtime: t, ctime: t, nlink: 1}
}
