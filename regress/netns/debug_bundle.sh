#!/bin/bash
# netbirdctl show metrics [-p] and netbirdctl debug bundle against two
# daemons on the hub's LAN, connected P2P, with the test management and
# signal servers, coturn (STUN and TURN) and one NetBird relay server.
# - show metrics: the connection sample (ice_p2p, initial) and the
#   login sample (success) wait to be pushed; -p: the Prometheus text
#   counts one connected peer and one P2P connection.
# - debug bundle: a gzip'd tar with status.txt, config.txt,
#   network_map.json, metrics.txt, README.txt and, with -L, client.log;
#   never over an existing file.
# - Privacy: the private key, the setup key, the TURN password and the
#   relay token are in none of the files of the bundle, in what show
#   status -d, -j show status and show metrics [-p] print, nor in the
#   daemons' own debug logs; the peers' public keys are not in the
#   bundle either (anonymised).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
. "$(dirname "$0")/p2p.subr"
p2p_need_relay
need_cmd tar
RELAYURL="rel://$HUBIP:$RELAYPORT"
P2P_RELAYS=$RELAYURL
T0=$(date +%s)
p2p_setup
p2p_relay_start relay "$HUBIP" || { notok "relay server starts"; finish; }

p2p_new a
p2p_new b
nbd_up a b
p2p_connect_check a b P2P 30

# show metrics: the samples waiting to be pushed, line protocol
metrics_conn() {
	nbd_ctl a show metrics >"$tmp/lines" &&
	    grep -q '^netbird_peer_connection,.*,connection_type=ice_p2p,attempt_type=initial,' \
	    "$tmp/lines"
}
if wait_for 60 metrics_conn; then
	ok "show metrics: netbird_peer_connection, ice_p2p, initial (${WAITED} s)"
else
	notok "show metrics: netbird_peer_connection, ice_p2p, initial within 60 s"
	sed 's/^/# | /' "$tmp/lines"
fi
check "show metrics: netbird_login, result=success" \
    grep -q '^netbird_login,.*,result=success,' "$tmp/lines"
check "show metrics: every line is measurement,tags fields timestamp" \
    sh -c "! grep -Evq '^netbird_[a-z_]+,[^ ]+ [^ ]+ [0-9]+$' '$tmp/lines'"
nbd_ctl a show metrics -p >"$tmp/prom" 2>"$tmp/err"
check "show metrics -p: exit status 0, nothing on stderr" \
    sh -c "test $? -eq 0 && test ! -s '$tmp/err'"
check "show metrics -p: netbird_peers{state=\"connected\"} 1" \
    grep -qx 'netbird_peers{state="connected"} 1' "$tmp/prom"
check "show metrics -p: one P2P connection in the histogram" \
    grep -qx 'netbird_peer_connection_seconds_count{connection_type="ice_p2p"} 1' \
    "$tmp/prom"
check "show metrics -p: one successful login" \
    grep -qx 'netbird_login_total{result="success"} 1' "$tmp/prom"

# debug bundle, with a's log
out=$tmp/bundle.tgz
nbd_ctl a debug bundle "$out" -L "${DIROF[a]}/log" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "debug bundle: exit status 0, nothing on stderr" \
    sh -c "test $rc -eq 0 && test ! -s '$tmp/err'"
size=$(stat -c %s "$out" 2>/dev/null)
check "debug bundle: one line, naming the file and its size" \
    test "$(cat "$tmp/out")" = "debug bundle written to $out, $size bytes"
check "debug bundle: mode 0600" test "$(stat -c %a "$out")" = 600
tar -tzf "$out" >"$tmp/list" 2>"$tmp/err"
check "debug bundle: tar -tzf lists every file" test \
    "$(sort "$tmp/list" | tr '\n' ' ')" = \
    "README.txt client.log config.txt metrics.txt network_map.json status.txt "
mkdir "$tmp/x"
tar -xzf "$out" -C "$tmp/x"
check "network_map.json: JSON, one peer" "$PYTHON" -c "
import json
m = json.load(open('$tmp/x/network_map.json'))
assert m['peer_count'] == 1 and len(m['peers']) == 1, m
assert m['peers'][0]['allowed_ips'], m"
check "status.txt: show status -d, then show peers -d" sh -c \
    "grep -qx 'Peers count: 1/1 Connected' '$tmp/x/status.txt' &&
    test \$(grep -c '^Peers detail:' '$tmp/x/status.txt') -eq 2"
check "metrics.txt: the connection sample" \
    grep -q '^netbird_peer_connection,' "$tmp/x/metrics.txt"
check "client.log: a's log, from a line's start" sh -c \
    "test -s '$tmp/x/client.log' &&
    head -n 1 '$tmp/x/client.log' | grep -q '^# --- start '"
check "README.txt: says what the bundle holds" \
    grep -q '^client.log holds the last 16 MiB of the log' "$tmp/x/README.txt"

# What must never show: a's and b's private keys, the setup key, the TURN
# password and relay token that management gave out since T0 (both are
# derived from the time they were made; every second is tried).  TURN
# and the relay being Available shows that the secrets they are derived
# from below are those in use.
turn_up() {
	nbd_ctl a show status -d >"$tmp/o.detail" &&
	    grep -q "^  \[turn:.*\] is Available$" "$tmp/o.detail" &&
	    grep -qxF "  [$RELAYURL] is Available via ws" "$tmp/o.detail"
}
check "a: the TURN and relay servers are Available within 15 s" \
    wait_for 15 turn_up
"$PYTHON" - "$T0" "$(date +%s)" "$(coturn_default_secret)" \
    "$RELAY_SECRET" >"$tmp/secrets" <<'PY'
import base64, hashlib, hmac, sys
t0, t1, turn, relay = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
key = hashlib.sha256(relay.encode()).digest()
for t in range(t0 - 2, t1 + 3):
    e = str(t + 12 * 3600).encode()
    print(base64.b64encode(hmac.new(turn.encode(), e, hashlib.sha1).digest()).decode())
    p = str(t + 24 * 3600).encode()
    print(base64.b64encode(hmac.new(key, p, hashlib.sha256).digest()).decode())
PY
for n in a b; do
	cat "${DIROF[$n]}/state/private.key" >>"$tmp/secrets"
	echo >>"$tmp/secrets"
done
echo "$SETUP_KEY" >>"$tmp/secrets"
sed -i '/^$/d' "$tmp/secrets"
echo "# $(wc -l <"$tmp/secrets") secrets to look for"
# The pattern list itself: the setup key is in a's configuration file.
check "secrets: the list finds the setup key where it is" \
    grep -qF -f "$tmp/secrets" "${DIROF[a]}/netbirdd.conf"
nbd_ctl a -j show status >"$tmp/o.json"
cp "$tmp/lines" "$tmp/o.lines"
cp "$tmp/prom" "$tmp/o.prom"
for f in "$tmp"/x/* "$tmp"/o.*; do
	n=${f##*/}
	check "privacy: no secret in $n" sh -c \
	    "! grep -qF -f '$tmp/secrets' '$f'"
done
for n in a b; do
	check "privacy: no secret in $n's own log (debug, not anonymised)" \
	    sh -c "! grep -qF -f '$tmp/secrets' '${DIROF[$n]}/log'"
done
for n in a b; do
	check "anonymised: $n's public key is in no file of the bundle" sh -c \
	    "! grep -rqF '$(nbd_pub "$n")' '$tmp/x'"
done
check "anonymised: the same grep finds a's key in -j show status" \
    grep -qF "$(nbd_pub a)" "$tmp/o.json"

# Never over a file
cp "$out" "$tmp/copy"
nbd_ctl a debug bundle "$out" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "debug bundle over an existing file: exit status 1, file untouched" \
    sh -c "test $rc -eq 1 && cmp -s '$out' '$tmp/copy' &&
    grep -qx 'netbirdctl: $out: File exists' '$tmp/err'"
nbd_ctl a debug bundle "$tmp/b2.tgz" >"$tmp/out" 2>"$tmp/err"
check "debug bundle without -L: no client.log, README says so" sh -c \
    "test \"\$(tar -tzf '$tmp/b2.tgz' | grep -c client.log)\" = 0 &&
    tar -xzOf '$tmp/b2.tgz' README.txt | grep -q '^No log was included'"

nbd_stop_check a
nbd_stop_check b
finish
