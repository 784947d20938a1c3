#!/bin/sh
# The man pages are clean under mandoc -Tlint.
. "$(dirname "$0")/lib.sh"
need_cmd mandoc
for m in "$TOP"/man/*.[58]; do
	out=$(mandoc -Tlint -Wwarning "$m" 2>&1)
	if [ -z "$out" ]; then
		ok "mandoc -Tlint $(basename "$m")"
	else
		echo "$out"
		notok "mandoc -Tlint $(basename "$m")"
	fi
done
finish
