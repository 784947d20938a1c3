#!/bin/sh
# Run every test, show its output and time, and count its check lines.
# A test that fails without saying which check failed counts as one
# failure.  The last line is "N passed, N failed, N skipped".
#
# NBD_PASS=asan: the tree is built with SANITIZE=1 (check.sh); what
# does not depend on the daemon's build (man pages, fuzz targets, the
# sandbox test and valgrind, which build their own variants) runs in
# the plain pass only, and so does the VM test: four minutes of an
# emulated CPU for the kernel WireGuard backend, whose netlink code the
# unit tests run under the sanitizers.

cd "$(dirname "$0")" || exit 1
TOP=$(cd .. && pwd)
export TOP

passed=0 failed=0 skipped=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

run() {
	name=$1; shift
	echo "=== $name${NBD_PASS:+ ($NBD_PASS)}"
	t0=$(date +%s)
	"$@" >"$out" 2>&1
	status=$?
	cat "$out"
	p=$(grep -c '^ok - ' "$out")
	f=$(grep -c '^not ok - ' "$out")
	s=$(grep -c '^skip - ' "$out")
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $status"
		f=1
	fi
	echo "--- $name: $(($(date +%s) - t0)) s"
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

plain_only() { [ "${NBD_PASS:-plain}" = plain ]; }

for t in unit/*_test; do
	[ -x "$t" ] && run "$t" "./$t"
done
for t in config/run.sh imsg/run.sh sandbox/run.sh ctl/run.sh grpc/run.sh ice/run.sh relay/run.sh relay/ws_test.sh metrics/run.sh install/run.sh vm/run.sh valgrind/run.sh; do
	case $t in
	sandbox/*|valgrind/*|vm/*) plain_only || continue ;;
	esac
	[ -x "$t" ] && run "$t" "./$t"
done
for t in netns/*.sh; do
	[ -x "$t" ] && run "$t" "./$t"
done
if plain_only; then
	run "man pages" ./lint.sh
	[ -f fuzz/Makefile ] && run "fuzz smoke" make -s -C fuzz smoke
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
