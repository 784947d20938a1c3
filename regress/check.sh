#!/bin/sh
# make check: the whole suite twice, first with the tree built with
# AddressSanitizer and UndefinedBehaviorSanitizer (SANITIZE=1), then as
# it ships, so that the tree is left with the plain build.  The last
# line is the sum of both passes: "N passed, N failed, N skipped".

cd "$(dirname "$0")/.." || exit 1
log=$(mktemp)
trap 'rm -f "$log"' EXIT

pass() {
	name=$1 flag=$2
	echo "##### $name build"
	if ! make -s SANITIZE=$flag all >"$log" 2>&1 ||
	    ! make -s -C regress SANITIZE=$flag build >>"$log" 2>&1; then
		cat "$log"
		echo "not ok - $name build"
		echo "0 passed, 1 failed, 0 skipped"
		return
	fi
	NBD_PASS=$name regress/run.sh
}

total=$( { pass asan 1; pass plain 0; } | tee /dev/stderr |
    sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' |
    awk '{ p += $1; f += $2; s += $3 } END { print p, f, s }')
set -- $total
echo "# both passes, asan and plain:"
echo "$1 passed, $2 failed, $3 skipped"
[ "$2" -eq 0 ]
