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
	// Debug logs every FUSE request and reply (go-fuse's debug log).
	Debug bool
}
