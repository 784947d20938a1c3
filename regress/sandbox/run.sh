#!/bin/sh
# Every child's seccomp list: what it kills, what it refuses, and the work
# it lets through; once as built, once under ASan+UBSan.
cd "$(dirname "$0")" || exit 1
make -s all || { echo "not ok - sandbox: build"; exit 1; }
rc=0
./sandbox_test || rc=1
./sandbox_test_san || rc=1
exit $rc
