package zcopy

import "github.com/zcopy/zcopy/internal/kcopy"

// uringMinCold is the smallest known size for which the default choice
// tries the Uring method: measured at 64 MiB and 1 GiB (BENCHMARKS.md,
// io_uring), where ring setup is noise.
const uringMinCold = 16 << 20

// uringPays says whether the Uring method is expected to beat
// copy_file_range for this pair without being asked for: a large regular
// file on ext4 copied to ext4, mostly missing from the page cache. There
// copy_file_range is an in-kernel read/write loop on one thread, while the
// ring keeps several O_DIRECT reads in flight and writes on io-wq workers
// (1.5-2.3 x faster cold, level warm, on the machine measured). Elsewhere
// copy_file_range reflinks or offloads (btrfs, XFS, NFS) or the page cache
// is the file (tmpfs), and sendfile beats the ring into sockets.
func uringPays(s, d *kcopy.Endpoint, known int64) bool {
	if s.Kind != kcopy.KindRegular || d.Kind != kcopy.KindRegular || known < uringMinCold {
		return false
	}
	if kcopy.FSName(s.RC) != "ext4" || kcopy.FSName(d.RC) != "ext4" {
		return false
	}
	return kcopy.MostlyUncached(s, known)
}
