package memfs_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zcopy/zcopy/memfs"
)

// TestRename2MatchesLinux runs each rename on a memfs with FS.Rename2 and
// on a tmpfs directory with renameat2(2), from the same tree, and compares
// the errno and the resulting trees (names, types, link counts, bytes).
func TestRename2MatchesLinux(t *testing.T) {
	const (
		x  = memfs.RenameExchange
		nr = memfs.RenameNoReplace
	)
	cases := []struct {
		old, new string
		flags    memfs.RenameFlags
	}{
		{"full", "empty", 0},         // a directory replaces an empty one
		{"empty", "full", 0},         // ENOTEMPTY
		{"f", "empty", 0},            // EISDIR
		{"s", "empty", 0},            // EISDIR
		{"empty", "f", 0},            // ENOTDIR
		{"empty", "s", 0},            // ENOTDIR
		{"p", "p/q/new", 0},          // EINVAL: into its own subtree
		{"p", "p/q", 0},              // EINVAL
		{"p", "p", 0},                // itself
		{"p/q", "p", 0},              // ENOTEMPTY: onto an ancestor
		{"p/q/r", "p", 0},            // ENOTEMPTY
		{"p/file", "p", 0},           // ENOTEMPTY
		{"full", "p/q/r", 0},         // replace an empty directory elsewhere
		{"p/q", "empty", 0},          // move a subtree over an empty directory
		{"f", "h", 0},                // two links of one file: nothing
		{"s", "g", 0},                // a symlink replaces a file
		{"f", "g", 0},                // a file replaces a file
		{"missing", "g", 0},          // ENOENT
		{"missing", "empty", 0},      // ENOENT
		{".", "x", 0},                // EBUSY
		{"f", "g", nr},               // EEXIST
		{"empty", "full", nr},        // EEXIST
		{"f", "new", nr},             // moves
		{"f", "f", nr},               // EEXIST
		{"f", "empty", x},            // a file and a directory swap
		{"full", "p/q", x},           // directories in two parents swap
		{"f", "new", x},              // ENOENT
		{"p", "p/q", x},              // EINVAL
		{"p/q", "p", x},              // EINVAL
		{"f", "f", x},                // nothing
		{"f", "g", nr | x},           // EINVAL
		{"f", "g", 8},                // EINVAL: an unknown flag
		{"full/x", "p/q/r/x", 0},     // a file into another directory
		{"empty", "p/q/r/deeper", 0}, // a directory into another directory
		{"p/file", "full/x", x},      // files in two directories swap
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s %s %d", tc.old, tc.new, tc.flags), func(t *testing.T) {
			fsys := newFS(t)
			dir := filepath.Join(oracleDir(t), "rename2")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(dir)
			root, err := os.OpenRoot(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			for _, step := range [][2]string{
				{"mkdir", "empty"}, {"mkdir", "full"}, {"file", "full/x"},
				{"mkdir", "p"}, {"mkdir", "p/q"}, {"mkdir", "p/q/r"}, {"file", "p/file"},
				{"file", "f"}, {"file", "g"}, {"link", "h"}, {"symlink", "s"},
			} {
				var merr, oerr error
				switch step[0] {
				case "mkdir":
					merr, oerr = fsys.Mkdir(step[1], 0o755), root.Mkdir(step[1], 0o755)
				case "file":
					merr, oerr = fsys.WriteFile(step[1], []byte("data of "+step[1]), 0o644), root.WriteFile(step[1], []byte("data of "+step[1]), 0o644)
				case "link":
					merr, oerr = fsys.Link("f", step[1]), root.Link("f", step[1])
				case "symlink":
					merr, oerr = fsys.Symlink("g", step[1]), root.Symlink("g", step[1])
				}
				if merr != nil || oerr != nil {
					t.Fatal(merr, oerr)
				}
			}
			merr := fsys.Rename2(tc.old, tc.new, tc.flags)
			fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			oerr := unix.Renameat2(fd, tc.old, fd, tc.new, uint(tc.flags))
			unix.Close(fd)
			if errShape(merr) != errShape(oerr) {
				t.Errorf("memfs %v, Linux %v", merr, oerr)
			}
			if m, o := memTree(t, fsys), osTree(t, root.FS()); !slices.Equal(m, o) {
				t.Errorf("trees differ:\nmemfs:\n%s\nLinux:\n%s", strings.Join(m, "\n"), strings.Join(o, "\n"))
			}
		})
	}
}

// treeLine describes one entry: path, type, link count, content or
// symlink target.
func treeLine(p string, fi fs.FileInfo, nlink uint64, content string) string {
	return fmt.Sprintf("%s %v nlink=%d %q", p, fi.Mode().Type(), nlink, content)
}

func memTree(t *testing.T, fsys *memfs.FS) []string {
	var out []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := fsys.Lstat(p)
		if err != nil {
			return err
		}
		var content string
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			content, err = fsys.Readlink(p)
		case fi.Mode().IsRegular():
			var b []byte
			b, err = fsys.ReadFile(p)
			content = string(b)
		}
		out = append(out, treeLine(p, fi, uint64(fi.Sys().(*memfs.Stat).Nlink), content))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func osTree(t *testing.T, fsys fs.FS) []string {
	var out []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := fs.Lstat(fsys, p)
		if err != nil {
			return err
		}
		var content string
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			content, err = fs.ReadLink(fsys, p)
		case fi.Mode().IsRegular():
			var b []byte
			b, err = fs.ReadFile(fsys, p)
			content = string(b)
		}
		out = append(out, treeLine(p, fi, uint64(fi.Sys().(*syscall.Stat_t).Nlink), content))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
