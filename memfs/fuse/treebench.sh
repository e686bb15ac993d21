#!/bin/bash
# Usage (as root, with zmount, fuse-overlayfs and fusermount3 in PATH):
#   bash memfs/fuse/treebench.sh [RUNS]      (default 3)
# Many small files and a real build on each contender: zmount, zmount
# --passthrough, kernel overlayfs and fuse-overlayfs (upper and work on a
# fresh tmpfs), each mounted afresh for every step, contenders alternating
# within a run. Lower trees on the root filesystem (in its page cache):
#   goroot: a copy of `go env GOROOT`: `find -type f | xargs stat` (stat)
#           and reading every file (read);
#   module: this repository's module (no .git): `go build ./cmd/zcp` with
#           GOFLAGS=-mod=mod, GOPROXY=off (the module cache stays on the
#           host) and a new GOCACHE inside the mount, so the compiler
#           writes its whole cache there (build);
#   big:    one 1 GiB file: `dd bs=1M` of it to /dev/null (seqread);
#   empty:  an empty lower tree: `tar c` of goroot/src from the host piped
#           to `tar x` in the mount (untar: 13,000 files written).
# STEPS (environment) picks the steps, default "stat read build"; the
# big file is made only for seqread.
# CONTENDERS (environment) picks and orders them; zmount-2p is zmount
# serving with GOMAXPROCS=2, zmount's behaviour before it served with
# one P (cmd/zmount/procs.go).
# Prints one line per step: "step contender milliseconds", then a summary
# (median, min-max) per step and contender.
set -e
RUNS=${1:-3}
W=$(mktemp -d /var/tmp/treebench.XXXX)
trap 'for m in $W/mnt; do mountpoint -q $m && umount -l $m; done; mountpoint -q $W/t && umount -l $W/t; rm -rf $W' EXIT
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
STEPS=${STEPS:-stat read build}
mkdir -p $W/goroot $W/module $W/mnt $W/t $W/big $W/empty
cp -a "$(go env GOROOT)/." $W/goroot
(cd "$ROOT" && git ls-files -z | xargs -0 cp --parents -t $W/module)
case " $STEPS " in *" seqread "*) yes zcopy | head -c 1G > $W/big/big ;; esac
cat $(find $W -type f) > /dev/null # page cache
now() { date +%s%N; }
mountit() { # contender lower
  case $1 in
  zmount) zmount "$2" $W/mnt 2>>$W/err & echo $! > $W/pid ;;
  zmount-2p) GOMAXPROCS=2 zmount "$2" $W/mnt 2>>$W/err & echo $! > $W/pid ;;
  zmount-passthrough) zmount --passthrough "$2" $W/mnt 2>>$W/err & echo $! > $W/pid ;;
  overlayfs | fuse-overlayfs)
    mount -t tmpfs tmpfs $W/t && mkdir $W/t/up $W/t/wk
    if [ $1 = overlayfs ]; then
      mount -t overlay overlay -o lowerdir="$2",upperdir=$W/t/up,workdir=$W/t/wk $W/mnt
    else
      fuse-overlayfs -o lowerdir="$2",upperdir=$W/t/up,workdir=$W/t/wk $W/mnt
    fi ;;
  esac
  until mountpoint -q $W/mnt; do sleep 0.01; done
}
unmountit() { # contender
  case $1 in
  zmount*) umount $W/mnt; wait $(cat $W/pid) ;;
  overlayfs) umount $W/mnt; umount $W/t 2>/dev/null || umount -l $W/t ;;
  fuse-overlayfs) fusermount3 -u $W/mnt; umount $W/t 2>/dev/null || umount -l $W/t ;;
  esac
}
step() { # name contender lower command...
  local name=$1 c=$2 lower=$3; shift 3
  mountit $c $lower
  local t0=$(now)
  (cd $W/mnt && "$@") > /dev/null
  local t1=$(now)
  unmountit $c
  echo "$name $c $(( (t1 - t0) / 1000000 ))" | tee -a $W/results
}
CONTENDERS=${CONTENDERS:-zmount zmount-passthrough overlayfs fuse-overlayfs}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
has() { case " $STEPS " in *" $1 "*) return 0 ;; esac; return 1; }
for run in $(seq $RUNS); do
  has stat && for c in $CONTENDERS; do step stat $c $W/goroot sh -c 'find . -type f -print0 | xargs -0 stat'; done
  has read && for c in $CONTENDERS; do step read $c $W/goroot sh -c 'find . -type f -print0 | xargs -0 cat'; done
  has build && for c in $CONTENDERS; do
    step build $c $W/module env GOTELEMETRY=off GOCACHE=$W/mnt/.gocache GOFLAGS=-mod=mod GOPROXY=off go build -o .zcp ./cmd/zcp
  done
  has seqread && for c in $CONTENDERS; do step seqread $c $W/big dd if=big of=/dev/null bs=1M status=none; done
  has untar && for c in $CONTENDERS; do step untar $c $W/empty sh -c "tar -C $W/goroot -cf - src | tar -xf -"; done
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
done
echo "# step contender median min-max (ms, $RUNS runs)"
sort -k1,1 -k2,2 -k3,3n $W/results | awk '
  { k = $1 " " $2; v[k, ++n[k]] = $3; if (!(k in seen)) { seen[k] = 1; order[++m] = k } }
  END { for (i = 1; i <= m; i++) { k = order[i]; c = n[k]; printf "%s %d %d-%d\n", k, v[k, int((c + 1) / 2)], v[k, 1], v[k, c] } }'
