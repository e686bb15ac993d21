package copytree

import "golang.org/x/sys/unix"

// BackupName is the name cp --backup would move path to (b, with suffix
// for simple backups, "~" when empty). cp uses it for cp --force --backup
// F F, which it turns into a copy of F to that name.
func BackupName(path string, b Backup, suffix string) (string, error) {
	if suffix == "" {
		suffix = "~"
	}
	return backupName(unix.AT_FDCWD, path, b, suffix)
}
