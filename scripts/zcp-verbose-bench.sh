#!/bin/bash
# What -v costs zcp, for the BENCHMARKS.md section "zcp: ordered output,
# several operands, -j1": a base and a new zcp alternate, each copying
# /dev/shm/bench/small (100 dirs x 1,000 x 4 KiB, made by
# scripts/zcp-operands-bench.sh) with -r and with -rv (stdout to a pipe
# read to its end). Prints per binary and mode the medians (min-max) of
# wall seconds, user+system CPU seconds, peak RSS, and with -v the time
# to the first line.
# usage: scripts/zcp-verbose-bench.sh ROUNDS BASE NEW
set -e
N=$1 base=$2 new=$3
B=/dev/shm/bench
[ -d $B/small ] || { echo "no $B/small: run scripts/zcp-operands-bench.sh 1 single $base $new first" >&2; exit 2; }
cd $B
out=$(mktemp)
for _ in $(seq "$N"); do
	for who in base new; do
		bin=$base
		[ $who = new ] && bin=$new
		for v in "" v; do
			rm -rf o
			s=$(date +%s%N)
			first=$(/usr/bin/time -f "%e %U %S %M" -o $out.t "$bin" -r$v small o | {
				read -r _ || true
				echo $((($(date +%s%N) - s) / 1000))
				cat >/dev/null
			})
			echo "$who -r$v $first $(cat $out.t)" >>"$out"
		done
	done
done
rm -rf o
python3 - "$out" <<'EOF'
import sys, statistics as st, collections
d = collections.defaultdict(list)
for l in open(sys.argv[1]):
    who, mode, first, wall, user, sys_, rss = l.split()
    d[(who, mode)].append((float(wall), float(user) + float(sys_), int(rss) / 1024, int(first) / 1000))
def f(v, fmt):
    return (fmt + " (" + fmt + "-" + fmt + ")") % (st.median(v), min(v), max(v))
for (who, mode), v in sorted(d.items()):
    line = "%-4s %-4s wall %s s  cpu %s s  rss %s MiB" % (who, mode, f([x[0] for x in v], "%.2f"), f([x[1] for x in v], "%.2f"), f([x[2] for x in v], "%.0f"))
    if mode == "-rv":
        line += "  first line %s ms" % f([x[3] for x in v], "%.0f")
    print(line)
EOF
rm -f "$out" "$out.t"
