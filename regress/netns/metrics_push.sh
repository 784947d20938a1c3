#!/bin/bash
# The metrics push against the test ingest server, in one network
# namespace with the test management server: a push to a configured
# URL with NetBird's headers and lines, a failed push whose samples come
# again with the next one, the remote config with its version range
# (an agent outside the range sends nothing), and push off.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd ip wg wireguard-go
if ! "$PYTHON" -c 'import grpc, nacl.public, google.protobuf' 2>/dev/null
then
	skip "$(basename "$0"): python3-grpcio, python3-nacl or" \
	    "python3-protobuf missing"
	exit 0
fi

SERVER=$TOP/regress/fixtures/mgmt_server.py
INGEST=$TOP/regress/fixtures/ingest_server.py
SETUP_KEY=3F2504E0-4F89-41D3-9A0C-0305E82C3301

daemon_setup nbmp
srvpid= ingpid=
cleanup() {
	if [ "$FAILED" -ne 0 ]; then
		cat "$tmp/log.old" "$tmp/log" 2>/dev/null | grep -E 'metrics' |
		    tail -n 30 |
		    sed 's/^/# /'
		tail -n 20 "$tmp/ingest.log" 2>/dev/null | sed 's/^/# /'
	fi
	for p in $srvpid $ingpid; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	daemon_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns exec "$ns" "$PYTHON" "$SERVER" --control "$tmp/srv.ctl" --port 0 \
    --setup-key "$SETUP_KEY" >"$tmp/srv.out" 2>"$tmp/srv.err" &
srvpid=$!
ip netns exec "$ns" "$PYTHON" "$INGEST" --control "$tmp/ing.ctl" \
    --bind 127.0.0.1 --port 0 >"$tmp/ingest.out" 2>"$tmp/ingest.log" &
ingpid=$!
if ! wait_until 30 grep -q '^ready' "$tmp/srv.out" ||
    ! wait_until 30 grep -q '^listening' "$tmp/ingest.out"; then
	notok "the test servers start"
	exit 1
fi
port=$(sed -n 's/^ready port=\([0-9]*\).*/\1/p' "$tmp/srv.out")
iport=$(awk '/^listening/ { print $2 }' "$tmp/ingest.out")
ing() { "$PYTHON" "$INGEST" ctl "$tmp/ing.ctl" "$@"; }
# pushes EXPR: EXPR of the list p of the pushes so far
pushes() {
	ing pushes | "$PYTHON" -c 'import json, sys
p = json.load(sys.stdin)
print(eval("(" + sys.argv[1] + ")"))' "$1"
}
received() { test "$(ing received)" -ge "$1"; }
# npushed PATH: how many pushes went to PATH, failed ones included
npushed() { pushes "sum(x['path'] == '$1' for x in p)"; }
pushed_to() { test "$(npushed "$1")" -ge 1; }

# conf LINES...: the daemon's configuration with these metrics lines
conf() {
	{
		echo "management \"http://127.0.0.1:$port\""
		echo "setup-key \"$SETUP_KEY\""
		echo "interface \"nbt$$\""
		echo "wireguard userspace"
		echo "state-dir \"$tmp/state\""
		echo "log level debug"
		printf '%s\n' "$@"
	} >"$conf"
}
restart() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	pid=
	cat "$tmp/log" >>"$tmp/log.old" 2>/dev/null
	daemon_start
}

# 1. A push URL in the configuration: pushed at once and every 10 s.
conf "metrics push yes" "metrics url \"http://127.0.0.1:$iport/ingest\"" \
    "metrics interval 10"
daemon_start || { notok "daemon starts"; exit 1; }
pub=$(wg pubkey <"$tmp/state/private.key")
pid16=$(printf %s "$pub" | sha256sum | cut -c1-16)
check "a push reaches the ingest server within 30 s" wait_until 30 received 1
check "every push is valid as the ingest server checks it" \
    test "$(pushes 'all(x["valid"] for x in p)')" = True
check "pushed to the configured path" \
    test "$(pushes 'p[0]["path"]')" = /ingest
check "X-Peer-ID is the first 8 bytes of SHA-256 of our key ($pid16)" \
    test "$(pushes 'p[0]["headers"].get("X-Peer-ID")')" = "$pid16"
check "Content-Encoding gzip" \
    test "$(pushes 'p[0]["headers"].get("Content-Encoding")')" = gzip
check "a netbird_login line with result=success" test "$(pushes \
    'any(l.startswith("netbird_login,") and ",result=success," in l
    for x in p for l in x["lines"])')" = True
# The first push may go before the first Sync is done: its samples come
# in the next one, 10 s later.
sync_pushed() {
	test "$(pushes \
	    'any(l.startswith("netbird_sync,") for x in p for l in x["lines"])
	    and any(l.startswith("netbird_sync_phase,") for x in p
	    for l in x["lines"])')" = True
}
check "netbird_sync and netbird_sync_phase lines within 30 s" \
    wait_until 30 sync_pushed
check "the daemon's tags: version 0.77.1, os linux, peer_id" test "$(pushes \
    'all(",version=0.77.1,os=linux," in l and ",peer_id='$pid16'" in l
    for x in p for l in x["lines"])')" = True

# 2. A failed push keeps its samples: the next one carries them.  A
# peer added on the management server makes a sync, so samples.
ing fail 1 >/dev/null
"$PYTHON" "$TOP/regress/fixtures/mgmt_query.py" req "$tmp/srv.ctl" \
    '{"cmd": "add_peer", "key": "Xr5VAnJmOmx6R/RhWlHvprcr0EVKe+0rwXu9Uj7m5GE=", "name": "r1"}' \
    >/dev/null
check "a failed push (503) is logged once" wait_until 30 \
    grep -q 'metrics push to .* failed: HTTP 503; [0-9]* samples kept' \
    "$tmp/log"
check "the next push works and says so" wait_until 30 \
    grep -q 'metrics push to .* works again' "$tmp/log"
failed=$(pushes '[x["n"] for x in p if x["status"] == 503][0]')
check "the samples of the failed push come again" test "$(pushes '
    set(next(x for x in p if x["n"] == '$failed')["lines"]) <=
    set(l for x in p if x["n"] > '$failed' and x["status"] != 503
    for l in x["lines"])')" = True

# 3. The remote config: an agent outside the version range sends nothing.
ing set_config "{\"server_url\": \"http://127.0.0.1:$iport/ingest2\", \
\"version-since\": \"0.0.1\", \"version-until\": \"0.77.0\", \
\"period_minutes\": 1}" >/dev/null
conf "metrics push yes" \
    "metrics config-url \"http://127.0.0.1:$iport/config\"" \
    "metrics interval 10"
restart || { notok "daemon restarts"; exit 1; }
check "the remote config is fetched" wait_until 20 sh -c \
    "[ \$($PYTHON $INGEST ctl $tmp/ing.ctl config_requests) -ge 1 ]"
sleep 12
check "version 0.77.1 not in [0.0.1, 0.77.0): nothing pushed" \
    test "$(npushed /ingest2)" = 0
ing set_config '{"version-until": "0.78.0"}' >/dev/null
ctl reload >/dev/null
check "in [0.0.1, 0.78.0) after a reload: pushed to the config's URL" \
    wait_until 30 pushed_to /ingest2

# 4. Push off: nothing, whatever the URL.  The Prometheus listener.
conf "metrics push no" "metrics url \"http://127.0.0.1:$iport/ingest3\"" \
    "metrics interval 10" "metrics listen on 127.0.0.1 port 9100"
restart || { notok "daemon restarts"; exit 1; }
sleep 12
check "metrics push no: nothing sent" \
    test "$(npushed /ingest3)" = 0
# get PATH [METHOD]: status and body of a request to the listener
get() {
	ip netns exec "$ns" "$PYTHON" -c 'import sys, urllib.request as u
r = u.Request("http://127.0.0.1:9100" + sys.argv[1], method=sys.argv[2])
try:
    with u.urlopen(r, timeout=5) as f:
        print(f.status); print(f.headers["Content-Type"])
        sys.stdout.write(f.read().decode())
except u.HTTPError as e:
    print(e.code)' "$1" "${2:-GET}"
}
get /metrics >"$tmp/prom"
check "GET /metrics: 200, Prometheus text" \
    test "$(head -n 2 "$tmp/prom" | tr '\n' ' ')" = \
    "200 text/plain; version=0.0.4; charset=utf-8 "
check "GET /metrics: the login counted" \
    grep -q '^netbird_login_total{result="success"} 1$' "$tmp/prom"
check "GET /metrics: memory of the processes" \
    grep -q '^netbird_process_resident_memory_bytes{process="ice"} [1-9]' \
    "$tmp/prom"
check "GET /other: 404" test "$(get /other)" = 404
post=$(get /metrics POST | head -n 1)
check "POST /metrics: refused ($post)" test "$post" = 405 -o "$post" = 501
check "nothing fatal in the log" sh -c \
    "! grep -Eq 'fatal|lost child|Sanitizer|runtime error' '$tmp/log' \
    '$tmp/log.old'"
finish
