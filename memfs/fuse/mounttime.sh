#!/bin/bash
# Usage (as root, with zmount, fuse-overlayfs and fusermount3 in PATH): bash memfs/fuse/mounttime.sh
# Time to set up a writable view of GOROOT: zmount (import + mount), kernel
# overlayfs (tmpfs upper), fuse-overlayfs, cp -a to tmpfs. 5 runs each, alternating.
GR=$(go env GOROOT); W=$(mktemp -d /dev/shm/mt.XXXX); mkdir -p $W/mnt $W/up $W/wk
now() { date +%s%N; }
for run in 1 2 3 4 5; do
  t0=$(now); zmount $GR $W/mnt & pid=$!
  until mountpoint -q $W/mnt; do sleep 0.001; done; t1=$(now)
  kill -INT $pid; wait $pid
  echo "zmount $(( (t1-t0)/1000 )) us"
  t0=$(now); mount -t overlay overlay -o lowerdir=$GR,upperdir=$W/up,workdir=$W/wk $W/mnt; t1=$(now); umount $W/mnt
  echo "overlayfs $(( (t1-t0)/1000 )) us"
  t0=$(now); fuse-overlayfs -o lowerdir=$GR,upperdir=$W/up,workdir=$W/wk $W/mnt; until mountpoint -q $W/mnt; do sleep 0.001; done; t1=$(now); fusermount3 -u $W/mnt
  echo "fuse-overlayfs $(( (t1-t0)/1000 )) us"
  t0=$(now); cp -a $GR $W/copy; t1=$(now); rm -rf $W/copy
  echo "cp-a-to-tmpfs $(( (t1-t0)/1000 )) us"
done
rm -rf $W
