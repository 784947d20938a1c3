#!/bin/bash
# A hostile management server.  A real daemon (userspace WireGuard) in a
# namespace, connected through a TCP switch (regress/fixtures/
# tcp_switch.py) to the test server, is configured from the map; then:
#  - on the open Sync stream: a message with bad ciphertext, an
#    oversized message, a map with a lower serial (must be ignored);
#  - error statuses on GetServerKey, Login and Sync;
#  - the switch moves it to the raw HTTP/2 responder, which answers with
#    truncated frames, a cut connection, no grpc-status, HTTP 503, a
#    trailers-only error, a compressed message, a bad status, a 20 MB
#    length, two messages for a unary call, HTML, RST_STREAM, a split
#    message.
# After each: every process still runs with the same PID, nothing fatal
# is logged, and the interface is exactly as it was (wg show dump,
# addresses, MTU, routes); then the daemon comes back to the real server
# and is in sync again.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
mgmt_need
hub_setup

srv_start s 0 || { notok "management server starts"; finish; }
switch_start "$HUBIP" "${SRVPORT[s]}" || { notok "TCP switch starts"; finish; }
url="http://$HUBIP:$swport"
: >"$tmp/extras"

serial() { srv s '{"cmd": "state"}' "r['serial']"; }
calls() { srv s '{"cmd": "state"}' "r['calls'].get('$1', 0)"; }
status_serial() { nbd_js a 's["networkSerial"]'; }
same() { test "$1" = "$2"; }
made() { sw '{"cmd": "state"}' "r['made'].get('$1', 0)"; }
in_sync() {
	nbd_connected a && wg_in_sync s a && peers_in_sync s a &&
	    test "$(status_serial)" = "$(serial)"
}
more() { test "$("$1" "$2")" -gt "$3"; }
status_says() { nbd_ctl a show status | grep -Eq "$1"; }
# logged_since N PATTERN: a log line after line N matches.
logged_since() { tail -n +"$(($1 + 1))" "${DIROF[a]}/log" | grep -Eiq "$2"; }
loglines() { wc -l <"${DIROF[a]}/log"; }

nbd_new a "$url"
nbd_up a
rkey=$(newkey)
srv s "{\"cmd\": \"add_peer\", \"key\": \"$rkey\", \"name\": \"remote-r\"}" \
    >/dev/null
if ! wait_until 30 in_sync a; then
	notok "daemon configured from the map within 30 s"
	finish
fi
ok "daemon configured from the map within 30 s"
procs=$(nbd_procs a)
ifstate=$(nbd_ifstate a)

# unharmed WHAT: the checks after each hostile act.
unharmed() {
	check "$1: every process still running, same PIDs" \
	    same "$(nbd_procs a)" "$procs"
	check "$1: nothing fatal in the log" nbd_log_clean a
	check "$1: interface as it was" same "$(nbd_ifstate a)" "$ifstate"
}

# back WHAT: the server behaves again; the daemon must be in sync with
# a fresh Sync stream or a new push within 30 s.
back() {
	check "$1: back in sync with the real server within 30 s" \
	    wait_until 30 in_sync a
	ifstate=$(nbd_ifstate a)
}

# --- on the open Sync stream --------------------------------------------
old=$(status_serial) n=$(loglines)
srv s '{"cmd": "hostile", "mode": "bad_ciphertext"}' >/dev/null
srv s '{"cmd": "bump_serial"}' >/dev/null
check "bad ciphertext: the daemon says it could not decrypt" \
    wait_until 10 logged_since "$n" 'decrypt|ciphertext|authenticat'
check "bad ciphertext: serial unchanged ($old)" test "$(status_serial)" = "$old"
unharmed "bad ciphertext"
srv s '{"cmd": "hostile", "mode": "none"}' >/dev/null
srv s '{"cmd": "bump_serial"}' >/dev/null
back "bad ciphertext"

n=$(loglines) syncs=$(calls Sync)
srv s '{"cmd": "hostile", "mode": "oversize", "size": 17825792}' >/dev/null
srv s '{"cmd": "bump_serial"}' >/dev/null
check "oversized message (17 MiB): the daemon refuses it, says so" \
    wait_until 15 logged_since "$n" 'larger than|too big|maximum|exhausted'
unharmed "oversized message"
srv s '{"cmd": "hostile", "mode": "none"}' >/dev/null
srv s '{"cmd": "bump_serial"}' >/dev/null
back "oversized message"

old=$(status_serial) n=$(loglines)
srv s '{"cmd": "hostile", "mode": "lower_serial", "serial": 1}' >/dev/null
srv s "{\"cmd\": \"remove_peer\", \"key\": \"$rkey\"}" >/dev/null
check "lower serial: the daemon says the map is older than its serial" \
    wait_until 10 logged_since "$n" "(map|serial) 1 .*older than"
check "lower serial: a map with serial 1 < $old is ignored (peer kept)" \
    sh -c "ip netns exec ${NSOF[a]} wg show ${IFOF[a]} peers | grep -qxF '$rkey'"
check "lower serial: status serial still $old" test "$(status_serial)" = "$old"
unharmed "lower serial"
srv s '{"cmd": "hostile", "mode": "none"}' >/dev/null
srv s '{"cmd": "bump_serial"}' >/dev/null
back "lower serial, then the real serial (peer removed)"
check "real serial: the removed peer is gone from wg show" sh -c \
    "! ip netns exec ${NSOF[a]} wg show ${IFOF[a]} peers | grep -qxF '$rkey'"
srv s "{\"cmd\": \"add_peer\", \"key\": \"$rkey\", \"name\": \"remote-r\"}" \
    >/dev/null
back "peer added again"

# --- error statuses ------------------------------------------------------
# error CODE NAME METHODS: the server answers these methods with CODE;
# the Sync stream is ended so that the daemon has to call them.
error() {
	local code=$1 name=$2 methods=$3
	srv s "{\"cmd\": \"hostile\", \"mode\": \"error\", \"code\": $code, \"message\": \"hostile $name\", \"methods\": $methods}" \
	    >/dev/null
	srv s '{"cmd": "end_streams"}' >/dev/null
	check "error $name on $methods: show status gives the server's message" \
	    wait_until 20 status_says "^Management: .*reason: .*hostile $name"
	unharmed "error $name"
	srv s '{"cmd": "hostile", "mode": "none"}' >/dev/null
	back "error $name"
}
error 13 INTERNAL '["GetServerKey"]'
error 8 RESOURCE_EXHAUSTED '["Sync"]'

# PermissionDenied on Sync: the daemon logs in again (no setup key
# needed: it is known); then Login itself fails.
logins=$(calls Login)
srv s '{"cmd": "hostile", "mode": "error", "code": 7, "message": "hostile PERMISSION_DENIED", "methods": ["Sync"]}' \
    >/dev/null
srv s '{"cmd": "end_streams"}' >/dev/null
check "PERMISSION_DENIED on Sync: the daemon logs in again" \
    wait_until 20 more calls Login "$logins"
check "PERMISSION_DENIED on Sync: show status gives the server's message" \
    wait_until 20 status_says "^Management: .*reason: .*hostile PERMISSION_DENIED"
unharmed "PERMISSION_DENIED on Sync"
srv s '{"cmd": "hostile", "mode": "error", "code": 14, "message": "hostile UNAVAILABLE", "methods": ["Login"]}' \
    >/dev/null
check "then UNAVAILABLE on Login: show status gives the server's message" \
    wait_until 30 status_says "^Management: .*reason: Login: .*hostile UNAVAILABLE"
check "then UNAVAILABLE on Login: not stopped (still Connecting)" \
    test "$(nbd_js a 's["daemonStatus"]')" = Connecting
unharmed "UNAVAILABLE on Login"
srv s '{"cmd": "hostile", "mode": "none"}' >/dev/null
back "UNAVAILABLE on Login"

# --- the raw HTTP/2 responder -------------------------------------------
raw=${SRVRAW[s]}
for mode in truncated cut no_status http503 trailers_only compressed \
    bad_status huge_length two_messages html rst split; do
	srv s "{\"cmd\": \"hostile\", \"mode\": \"none\", \"raw\": \"$mode\"}" \
	    >/dev/null
	m=$(made "127.0.0.1:$raw") syncs=$(calls Sync)
	sw "{\"cmd\": \"target\", \"host\": \"127.0.0.1\", \"port\": $raw}" \
	    >/dev/null
	check "raw $mode: the daemon called the raw responder" \
	    wait_until 20 more made "127.0.0.1:$raw" "$m"
	n=$(loglines)
	if wait_until 20 logged_since "$n" 'next attempt in'; then
		why=$(tail -n +"$((n + 1))" "${DIROF[a]}/log" |
		    sed -n 's/^mgmt: \(.*\); next attempt in.*/\1/p' | head -1)
		ok "raw $mode: the daemon gave up on the answer: $why"
	else
		notok "raw $mode: the daemon gave up on the answer"
	fi
	unharmed "raw $mode"
	sw "{\"cmd\": \"target\", \"host\": \"$HUBIP\", \"port\": ${SRVPORT[s]}}" \
	    >/dev/null
	check "raw $mode: Sync opened again on the real server" \
	    wait_until 30 more calls Sync "$syncs"
	back "raw $mode"
done

nbd_stop_check a
finish
