package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/zcopy/zcopy/memfs"
)

// printChanges writes the paths where the memfs tree differs from the
// host tree src (all of them added when src is ""), sorted: "A path"
// added, "D path" deleted, "M path" modified. Modified is rsync's quick
// check: another type, permissions or owner, or for a regular file
// another size or mtime, or for a symlink another target. A directory
// whose entries changed is not itself listed.
func printChanges(w io.Writer, fsys *memfs.FS, src string) error {
	type change struct{ kind, path string }
	var changes []change
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if src == "" {
			if p != "." {
				changes = append(changes, change{"A", p})
			}
			return nil
		}
		mfi, err := fsys.Lstat(p)
		if err != nil {
			return err
		}
		hfi, err := os.Lstat(filepath.Join(src, filepath.FromSlash(p)))
		switch {
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
			changes = append(changes, change{"A", p})
		case err != nil:
			return err
		case modified(fsys, p, mfi, src, hfi):
			changes = append(changes, change{"M", p})
		}
		return nil
	})
	if err != nil {
		return err
	}
	if src != "" {
		err = filepath.WalkDir(src, func(hp string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if t := d.Type(); !t.IsDir() && !t.IsRegular() && t&fs.ModeSymlink == 0 {
				return nil // not imported: sockets, devices, FIFOs
			}
			rel, err := filepath.Rel(src, hp)
			if err != nil {
				return err
			}
			p := filepath.ToSlash(rel)
			if _, err := fsys.Lstat(p); err != nil {
				if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
					return err
				}
				changes = append(changes, change{"D", p})
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].path < changes[j].path })
	for _, c := range changes {
		if _, err := fmt.Fprintf(w, "%s %s\n", c.kind, c.path); err != nil {
			return err
		}
	}
	return nil
}

// modified is the quick check of a memfs entry against its host entry.
func modified(fsys *memfs.FS, p string, mfi fs.FileInfo, src string, hfi fs.FileInfo) bool {
	if mfi.Mode() != hfi.Mode() {
		return true
	}
	ms := mfi.Sys().(*memfs.Stat)
	if uid, gid, ok := owner(hfi); ok && (uid != ms.Uid || gid != ms.Gid) {
		return true
	}
	switch {
	case mfi.Mode().IsRegular():
		return mfi.Size() != hfi.Size() || !mfi.ModTime().Equal(hfi.ModTime())
	case mfi.Mode()&fs.ModeSymlink != 0:
		mt, err1 := fsys.Readlink(p)
		ht, err2 := os.Readlink(filepath.Join(src, filepath.FromSlash(p)))
		return err1 != nil || err2 != nil || mt != ht
	}
	return false
}
