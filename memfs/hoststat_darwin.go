package memfs

import (
	"io/fs"
	"syscall"
)

// hostStat is what an import keeps of a host file's metadata.
type hostStat struct {
	id                  fileID
	uid, gid            int
	atime, mtime, ctime int64 // ns since the epoch
	nlink               uint64
}

type fileID struct {
	dev, ino uint64
	valid    bool
}

func idOf(fi fs.FileInfo) fileID { return statOf(fi).id }

func statOf(fi fs.FileInfo) hostStat {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		t := fi.ModTime().UnixNano()
		return hostStat{atime: t, mtime: t, ctime: t}
	}
	return hostStat{
		id:    fileID{dev: uint64(st.Dev), ino: uint64(st.Ino), valid: true},
		uid:   int(st.Uid),
		gid:   int(st.Gid),
		atime: st.Atimespec.Nano(),
		mtime: st.Mtimespec.Nano(),
		ctime: st.Ctimespec.Nano(),
		nlink: uint64(st.Nlink),
	}
}
