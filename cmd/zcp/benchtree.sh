#!/usr/bin/env bash
# benchtree.sh: the tree benchmarks of BENCHMARKS.md's zcp section.
#
#   bash cmd/zcp/benchtree.sh [-r ROUNDS] [-c] [-s SETS] DIR
#
# DIR is where the trees live and the copies go (/dev/shm/zb for tmpfs, a
# directory on ext4 for disk). -c drops the page cache before every run
# (root; cold reads). SETS (comma-separated, default goroot,small) picks
# among goroot (GOROOT copied into DIR), small (100,000 x 4 KiB files in
# 100 directories), flat (100,000 x 4 KiB in one directory), big (a 1 GiB
# file) and sparse (8 GiB with 64 MiB of data).
#
# Contenders: zcp -a (default jobs), zcp -a -j1, GNU cp -a, rsync -a and
# uutils cp -a (Debian rust-coreutils). Each round runs every contender
# once, one position later than the round before, so no contender always
# follows the same other one; the copy is removed (untimed) after each
# run. Printed: median, min and max wall time, the ratio of medians to
# cp -a, and the peak RSS (GNU time's %M) of each contender's last run.
set -euo pipefail
rounds=5 cold=0 sets=goroot,small
while getopts r:cs: o; do
	case $o in
	r) rounds=$OPTARG ;;
	c) cold=1 ;;
	s) sets=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
dir=${1:?usage: benchtree.sh [-r ROUNDS] [-c] [-s SETS] DIR}
here=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$dir"
zcp=$dir/zcp-bin
(cd "$here" && go build -o "$zcp" ./cmd/zcp)
uu=/usr/lib/cargo/bin/coreutils/cp
[ -x "$uu" ] || uu=""

prepare() {
	case $1 in
	goroot) [ -d "$dir/goroot" ] || cp -a "$(go env GOROOT)" "$dir/goroot" ;;
	small | flat)
		[ -d "$dir/$1" ] && return
		python3 - "$dir/$1" "$1" <<'EOF'
import os, sys
root, kind = sys.argv[1], sys.argv[2]
block = bytes(range(256)) * 16
for i in range(100000):
    d = root if kind == "flat" else os.path.join(root, "d%03d" % (i // 1000))
    if i % 1000 == 0 or kind == "flat" and i == 0:
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%06d" % i), "wb") as f:
        f.write(block[i % 256:] + block[:i % 256])
EOF
		;;
	big) [ -f "$dir/big" ] || head -c 1G /dev/urandom >"$dir/big" ;;
	sparse)
		[ -f "$dir/sparse" ] && return
		truncate -s 8G "$dir/sparse"
		for i in $(seq 0 15); do
			dd if=/dev/urandom of="$dir/sparse" bs=4M count=1 seek=$((i * 128)) conv=notrunc status=none
		done
		;;
	esac
}

ms() { echo $(($(date +%s%N) / 1000000)); }

for set in ${sets//,/ }; do
	prepare "$set"
	src=$dir/$set
	names=("zcp -a" "zcp -a -j1" "cp -a" "rsync -a")
	cmds=("$zcp -a" "$zcp -a -j1" "cp -a" "rsync -a")
	if [ -n "$uu" ]; then
		names+=("uutils cp -a")
		cmds+=("$uu -a")
	fi
	case $set in big | sparse) src=$dir/$set ;; esac
	declare -A times=() rss=()
	n=${#cmds[@]}
	for ((round = 0; round < rounds; round++)); do
		for ((k = 0; k < n; k++)); do
			i=$(((k + round) % n))
			out=$dir/out
			rm -rf "$out"
			sync
			if [ "$cold" = 1 ]; then echo 3 >/proc/sys/vm/drop_caches; fi
			start=$(ms)
			/usr/bin/time -f %M -o "$dir/rss" ${cmds[$i]} "$src" "$out"
			end=$(ms)
			times[$i]+="$((end - start)) "
			rss[$i]=$(cat "$dir/rss")
			if [ "$set" = sparse ] || [ "$set" = big ]; then
				blocks[$i]=$(stat -c %b "$out")
			fi
		done
	done
	rm -rf "$dir/out"
	files=$(find "$src" | wc -l)
	bytes=$(du -sb --apparent-size "$src" | cut -f1)
	echo
	echo "## $set: $files entries, $bytes bytes, $(df -T "$dir" | awk 'NR==2{print $2}') ($dir), cache: $([ $cold = 1 ] && echo dropped before each run || echo warm), $rounds rounds"
	echo
	echo "| contender | median ms | min | max | cp -a / this | peak RSS KiB |$([ "$set" = sparse ] && echo ' st_blocks |')"
	echo "|---|---|---|---|---|---|$([ "$set" = sparse ] && echo '---|')"
	base=""
	for ((i = 0; i < n; i++)); do
		read -r -a ts <<<"${times[$i]}"
		sorted=($(printf '%s\n' "${ts[@]}" | sort -n))
		med=${sorted[$((${#sorted[@]} / 2))]}
		[ "${names[$i]}" = "cp -a" ] && base=$med
		meds[$i]=$med
		lines[$i]="| ${names[$i]} | $med | ${sorted[0]} | ${sorted[-1]} |"
	done
	for ((i = 0; i < n; i++)); do
		ratio=$(awk -v b="$base" -v m="${meds[$i]}" 'BEGIN{printf "%.2f", b/m}')
		echo "${lines[$i]} $ratio | ${rss[$i]} |$([ "$set" = sparse ] && echo " ${blocks[$i]} |")"
	done
	unset times rss
done
