package fuse

// Options configures [Mount]. The zero value is a private mount.
type Options struct {
	// AllowOther lets users other than the one who mounted use the
	// mount (allow_other; for non-root users it needs user_allow_other
	// in /etc/fuse.conf).
	AllowOther bool
	// FsName is the source shown in /proc/mounts (default "memfs").
	FsName string
	// NoSplice answers every read with bytes copied by the server,
	// also for untouched host ranges (to measure what splicing gains).
	NoSplice bool
	// Passthrough lets the kernel read host files itself (FUSE
	// passthrough; Linux 6.9 or later, root): a read-only open of a
	// file whose bytes are all one untouched host range reads and maps
	// the host file directly, no read reaching the server. The price,
	// where the mount then differs from tmpfs: while such an open
	// exists, opening the file for writing, O_TRUNC and truncate fail
	// with ETXTBSY (after waiting half a second for the reader's
	// release, which FUSE delivers late). [Mount] fails when the kernel
	// refuses backing files.
	Passthrough bool
	// Debug logs every FUSE request and reply (go-fuse's debug log).
	Debug bool
}
