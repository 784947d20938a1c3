#!/bin/sh
# The test metrics ingest server (regress/fixtures/ingest_server.py)
# against pushes made by ingest_test.py: valid and hostile bodies, the
# failure mode, the remote config, the control commands, TLS.  No root
# and no namespaces; a few seconds.

. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")" || exit 1

if [ ! -x "$PYTHON" ]; then
	skip "ingest server: no $PYTHON"
	exit 0
fi
timeout 120 "$PYTHON" ./ingest_test.py
status=$?
[ "$status" -eq 124 ] && notok "ingest server: test timed out"
exit "$status"
