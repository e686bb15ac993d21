package zcopy

import "github.com/zcopy/zcopy/internal/kcopy"

// uringMinCold is the smallest known size for which the default choice
// tries the Uring method. Cold, on ext4 (BENCHMARKS.md, io_uring), the
// ring with O_DIRECT reads beat copy_file_range 1.4 x at 256 MiB and
// 1.5-2.3 x at 1 GiB, was within the noise at 64 MiB and lost at 16 MiB.
// A variable for the tests.
var uringMinCold int64 = 256 << 20

// uringPays says whether the Uring method is expected to beat
// copy_file_range for this pair without being asked for: a large regular
// file on ext4 copied to ext4, mostly missing from the page cache. There
// copy_file_range is an in-kernel read/write loop on one thread, while the
// ring keeps several O_DIRECT reads in flight and writes on io-wq workers
// (1.4-2.3 x faster cold from 256 MiB, level warm, on the machine
// measured). Elsewhere
// copy_file_range reflinks or offloads (btrfs, XFS, NFS) or the page cache
// is the file (tmpfs), and sendfile beats the ring into sockets.
func uringPays(s, d *kcopy.Endpoint, known int64) bool {
	if s.Kind != kcopy.KindRegular || d.Kind != kcopy.KindRegular || known < uringMinCold {
		return false
	}
	if kcopy.FSName(s.RC) != "ext4" || kcopy.FSName(d.RC) != "ext4" {
		return false
	}
	if s.Blocks*512 < s.Size {
		// Holes read as zeros without a disk read: the page cache
		// looks empty, but there is nothing for O_DIRECT to win.
		return false
	}
	return kcopy.MostlyUncached(s, known)
}
