package copytree

import "golang.org/x/sys/unix"

// defaultPerm is the permission bits (of bits) a new copy of st starts
// from before the umask: the source's, or with NoPreserveMode those of any
// new file, 0666, and of a new directory or socket, 0777, sticky bit kept
// (GNU's --no-preserve=mode).
func (tc *treeCopy) defaultPerm(st *unix.Stat_t, bits uint32) uint32 {
	if tc.o.NoPreserveMode {
		// GNU keeps the sticky bit (cp -r --no-preserve=mode of a 1777
		// directory gives 1755 under umask 022).
		sticky := st.Mode & bits & unix.S_ISVTX
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR, unix.S_IFSOCK:
			return 0o777 | sticky
		}
		return 0o666 | sticky
	}
	return st.Mode & bits
}
