#!/bin/bash
# Alternating timings of GNU cp -r, zcp -r and zbench floor (the least a
# copy of this tree costs: zcp's system calls per file and nothing else,
# on one thread, a thread per CPU, threads with their own descriptor
# tables, a process per CPU), for BENCHMARKS.md's section "zcp -r and the
# floor". Every contender is a whole process timed from outside.
# usage: scripts/zcp-floor-bench.sh ROUNDS ZCP...   (from the repository root)
# The tree, 100 dirs x 1,000 files x 4 KiB, is made under /dev/shm/bench
# on first use (as scripts/zcp-operands-bench.sh makes it). Prints each
# contender's median, min and max seconds and cp's median over its median.
set -e
N=$1
shift
tmp=$(mktemp -d)
B=/dev/shm/bench
o=out.$$ # not "o": another run of a bench script may share $B
trap 'rm -rf "$tmp" "$B/$o"' EXIT
go build -o "$tmp/zbench" ./cmd/zbench
zcps=()
for z in "$@"; do zcps+=("$(realpath "$z")"); done
mkdir -p $B && cd $B
if [ ! -d small ]; then
	python3 -c '
import os
data = os.urandom(4096)
for d in range(1, 101):
    p = "small/d%03d" % d
    os.makedirs(p)
    for f in range(1, 1001):
        with open("%s/f%d" % (p, f), "wb") as fh:
            fh.write(data)
'
fi
declare -A T
names=(cp)
for i in "${!zcps[@]}"; do names+=("zcp$i"); done
names+=(floor-one floor-threads floor-unshare floor-procs)
uptime
for _ in $(seq "$N"); do
	for who in "${names[@]}"; do
		case $who in
		cp) cmd=(/usr/bin/cp -r small $o) ;;
		zcp*) cmd=("${zcps[${who#zcp}]}" -r small $o) ;;
		floor-*) cmd=("$tmp/zbench" floor "${who#floor-}" small $o) ;;
		esac
		rm -rf $o
		sync
		s=$(date +%s%N)
		"${cmd[@]}" >/dev/null
		e=$(date +%s%N)
		T[$who]+="$(((e - s) / 1000)) "
	done
done
rm -rf $o
uptime
for i in "${!zcps[@]}"; do echo "zcp$i = ${zcps[$i]}"; done
for k in "${names[@]}"; do echo "$k ${T[$k]}"; done | python3 -c '
import sys, statistics as st
d = {}
for l in sys.stdin:
    p = l.split()
    d[p[0]] = [float(x) / 1e6 for x in p[1:]]
cp = st.median(d["cp"])
for k, v in d.items():
    print("%-13s median %.3fs min %.3f max %.3f  cp/%s %.2fx" % (k, st.median(v), min(v), max(v), k, cp / st.median(v)))
'
