#!/bin/sh
# The test relay server (regress/fixtures/relay_server.py) against a
# small client in server_test.py: auth, pairing, forwarding, peer state,
# health checks, protocol errors, misbehaviour, control socket, TLS.
# No root and no namespaces; about 11 s.

. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")" || exit 1

if [ ! -x "$PYTHON" ]; then
	skip "relay server: no $PYTHON"
	exit 0
fi
if [ ! -f "$TOP/regress/fixtures/wsserver.py" ]; then
	notok "relay server: regress/fixtures/wsserver.py is missing"
	finish
fi
timeout 120 "$PYTHON" ./server_test.py
status=$?
[ "$status" -eq 124 ] && notok "relay server: test timed out"
exit "$status"
