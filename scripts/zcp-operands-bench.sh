#!/bin/bash
# Alternating timings of GNU cp, a base zcp and a new zcp, for the
# BENCHMARKS.md section "zcp: ordered output, several operands, -j1".
# usage: scripts/zcp-operands-bench.sh ROUNDS MODE BASE NEW
#   MODE: ops     cp -r small/d* o (100 operands of 1,000 x 4 KiB)
#         single  cp -r small o    (the same tree as one operand)
#         verbose cp -rv small o >/dev/null
#         gotree  cp -a goroot o   (a copy of $(go env GOROOT))
#         j1go    cp -a goroot o, zcp with -j1
#         j1small cp -r small o, zcp with -j1
# Trees are made under /dev/shm/bench on first use. Prints each
# contender's median, min and max seconds and cp's median over its median.
set -e
N=$1 mode=$2 base=$3 new=$4
B=/dev/shm/bench
mkdir -p $B && cd $B
o=out.$$ # not "o": another run of a bench script may share $B
trap 'rm -rf "$B/$o"' EXIT
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
[ -d goroot ] || /usr/bin/cp -a "$(go env GOROOT)" goroot
declare -A T
run() {
	local name=$1
	shift
	rm -rf $o
	if [ "$mode" = ops ]; then mkdir $o; fi
	sync
	local s e
	s=$(date +%s%N)
	"$@" >/dev/null 2>&1 || true
	e=$(date +%s%N)
	T[$name]+="$(((e - s) / 1000)) "
}
for _ in $(seq "$N"); do
	for who in cp base new; do
		bin=/usr/bin/cp j=
		[ $who = base ] && bin=$base
		[ $who = new ] && bin=$new
		[ $who != cp ] && case $mode in j1*) j=-j1 ;; esac
		case $mode in
		ops) run $who $bin $j -r small/d* $o ;;
		single | j1small) run $who $bin $j -r small $o ;;
		verbose) run $who $bin $j -rv small $o ;;
		gotree | j1go) run $who $bin $j -a goroot $o ;;
		esac
	done
done
rm -rf $o
for k in cp base new; do echo "$k ${T[$k]}"; done | python3 -c '
import sys, statistics as st
d = {}
for l in sys.stdin:
    p = l.split()
    d[p[0]] = [float(x) / 1e6 for x in p[1:]]
cp = st.median(d["cp"])
for k, v in d.items():
    print("%-5s median %.3fs min %.3f max %.3f  cp/%s %.2fx" % (k, st.median(v), min(v), max(v), k, cp / st.median(v)))
'
