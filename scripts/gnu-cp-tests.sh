#!/usr/bin/env bash
# gnu-cp-tests.sh runs GNU coreutils' own cp test suite (tests/cp/*.sh of
# the coreutils this Debian release ships) against zcp installed as the
# suite's src/cp, and prints PASS, FAIL or SKIP for each script.
#
#   bash scripts/gnu-cp-tests.sh          # zcp, built from this checkout
#   bash scripts/gnu-cp-tests.sh gnu      # GNU's own cp, to see the suite's baseline
#
# The source is fetched with apt-get source and built once, under
# $ZCOPY_GNU_CACHE (default /var/cache/zcopy-gnu), outside the clone.
# It exits 1 when a script fails that scripts/gnu-cp-tests.known does not
# list, or when a listed script passes (then the list is stale), and 0
# otherwise; it skips (exit 0, with the reason) where it cannot fetch or
# build the suite.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${ZCOPY_GNU_CACHE:-/var/cache/zcopy-gnu}
candidate=${1:-zcp}
export PATH="$PATH:/usr/local/go/bin"

skip() { echo "gnu-cp-tests: SKIP: $*"; exit 0; }

version=$(dpkg-query -W -f='${Version}' coreutils 2>/dev/null) || skip "no dpkg: not a Debian system"
upstream=${version%%-*}
tree="$cache/coreutils-$upstream"

if [ ! -f "$tree/.zcopy-built" ]; then
	[ "$(id -u)" = 0 ] || skip "not root: cannot install the build tools or enable source packages"
	mkdir -p "$cache"
	# apt-get source needs the deb-src entries next to the deb ones.
	sources=/etc/apt/sources.list.d/debian.sources
	if [ -f "$sources" ] && ! grep -q '^Types:.*deb-src' "$sources"; then
		sed -i 's/^Types: deb$/Types: deb deb-src/' "$sources"
	fi
	apt-get update -qq || true
	apt-get install -y -qq dpkg-dev build-essential libacl1-dev libattr1-dev libcap-dev >/dev/null || skip "cannot install the build dependencies"
	rm -rf "$tree"
	(cd "$cache" && apt-get source -qq "coreutils=$version" >/dev/null 2>&1) || skip "apt-get source coreutils=$version failed"
	echo "gnu-cp-tests: building coreutils $version (once, in $tree)"
	(cd "$tree" && FORCE_UNSAFE_CONFIGURE=1 ./configure -q --disable-nls >"$cache/configure.log" 2>&1 &&
		make -j"$(nproc)" -s >"$cache/make.log" 2>&1) || { tail -30 "$cache/make.log" 2>/dev/null; echo "gnu-cp-tests: build failed"; exit 1; }
	cp -p "$tree/src/cp" "$tree/src/cp.gnu"
	touch "$tree/.zcopy-built"
fi

case "$candidate" in
zcp) (cd "$repo" && go build -o "$tree/src/cp" ./cmd/zcp) ;;
gnu) cp -p "$tree/src/cp.gnu" "$tree/src/cp" ;;
*) echo "usage: $0 [zcp|gnu]" >&2; exit 2 ;;
esac
# The copy must look newer than cp's objects, so that make does not relink GNU's.
touch "$tree/src/cp"

cd "$tree"
rm -f tests/cp/*.log tests/cp/*.trs
tests=$(ls tests/cp/*.sh | tr '\n' ' ')
make check SUBDIRS=. TESTS="$tests" VERBOSE=no >"$cache/check.log" 2>&1 || true

known=()
if [ "$candidate" = zcp ]; then
	while read -r name _; do
		case "$name" in ''|'#'*) continue ;; esac
		known+=("$name")
	done <"$repo/scripts/gnu-cp-tests.known"
fi
is_known() { local k; for k in "${known[@]}"; do [ "$k" = "$1" ] && return 0; done; return 1; }

pass=0 fail=0 skipped=0 bad=0
for trs in tests/cp/*.trs; do
	name=$(basename "$trs" .trs).sh
	result=$(sed -n 's/^:test-result: //p' "$trs")
	case "$result" in
	PASS) pass=$((pass + 1))
		if is_known "$name"; then echo "PASS $name (listed as known to fail: remove it from scripts/gnu-cp-tests.known)"; bad=$((bad + 1)); else echo "PASS $name"; fi ;;
	SKIP) skipped=$((skipped + 1)); echo "SKIP $name: $(grep -m1 'skipped test:' "${trs%.trs}.log" | sed 's/.*skipped test: //')" ;;
	*) fail=$((fail + 1))
		if is_known "$name"; then echo "FAIL $name (known)"; else echo "FAIL $name"; bad=$((bad + 1)); sed 's/^/    /' "${trs%.trs}.log" | tail -25; fi ;;
	esac
done
echo "gnu-cp-tests ($candidate, coreutils $version): $pass passed, $fail failed, $skipped skipped; $bad unexpected"
[ "$bad" = 0 ]
