#!/bin/bash
# The mgmt process against the test management server, in one network
# namespace: registration with a setup key, a restart that logs in
# without it, a server restart with a new key, error statuses and a
# stopped server (a log line per reason, backoff, peers kept), a server
# that lost its state, and the errors that stop the attempts: a peer
# that needs SSO, a bad setup key, no setup key.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd ip wg wireguard-go protoc
if ! "$PYTHON" -c 'import grpc, nacl.public, google.protobuf' 2>/dev/null
then
	skip "$(basename "$0"): python3-grpcio, python3-nacl or" \
	    "python3-protobuf missing"
	exit 0
fi

SERVER=$TOP/regress/fixtures/mgmt_server.py
SETUP_KEY=3F2504E0-4F89-41D3-9A0C-0305E82C3301
BAD_KEY=11111111-2222-3333-4444-555555555555
K1=Xr5VAnJmOmx6R/RhWlHvprcr0EVKe+0rwXu9Uj7m5GE=
K2=HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=

daemon_setup nbml
srvpid=
cleanup() {
	if [ "$FAILED" -ne 0 ] && [ -f "$tmp/log" ]; then
		cat "$tmp/log.old" "$tmp/log" 2>/dev/null |
		    grep -E 'mgmt|management|network map' |
		    tail -n "${NBD_LOG_LINES:-40}" | sed 's/^/# /'
	fi
	[ -n "$srvpid" ] && kill "$srvpid" 2>/dev/null && wait "$srvpid" \
	    2>/dev/null
	daemon_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# srv_start [PORT]: the server in the daemon's namespace; sets $port.
srv_start() {
	ip netns exec "$ns" "$PYTHON" "$SERVER" --control "$tmp/srv.ctl" \
	    --port "${1:-0}" --setup-key "$SETUP_KEY" \
	    >"$tmp/srv.out" 2>"$tmp/srv.err" &
	srvpid=$!
	wait_until 30 grep -q '^ready' "$tmp/srv.out" || return 1
	port=$(sed -n 's/^ready port=\([0-9]*\).*/\1/p' "$tmp/srv.out")
}

srv_stop() {
	kill "$srvpid" 2>/dev/null && wait "$srvpid" 2>/dev/null
	srvpid=
}

# srv JSON [EXPR]: one control request, one line; prints EXPR of the
# reply r.
srv() {
	"$PYTHON" -c 'import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
r = json.loads(s.makefile().readline())
if not r["ok"]:
    sys.exit("control request %s: %s" % (sys.argv[2], r["error"]))
print(eval(sys.argv[3]) if len(sys.argv) > 3 else json.dumps(r))' \
	    "$tmp/srv.ctl" "$@"
}

calls() { srv '{"cmd": "state"}' "r['calls'].get('$1', 0)"; }

# conf STATEDIR [SETUPKEY]
conf() {
	{
		echo "management \"http://127.0.0.1:$port\""
		[ -n "$2" ] && echo "setup-key \"$2\""
		echo "interface \"nbt$$\""
		echo "wireguard userspace"
		echo "state-dir \"$tmp/$1\""
	} >"$conf"
}

mstate() { ctl show status 2>/dev/null | sed -n 's/^Management: //p'; }
mstate_is() { mstate | grep -q "^$1"; }
since() { tail -n +"$(($1 + 1))" "$tmp/log"; }
lines() { wc -l <"$tmp/log"; }
nwarn() { since "$1" | grep -c "$2"; }
# Each reason of an outage is logged once: no line twice, at most 4.
whys_once() {
	test "$(since "$1" | grep -c 'retrying')" -le 4 &&
	    test -z "$(since "$1" | grep 'retrying' | sort | uniq -d)"
}
has_peer() {
	ip netns exec "$ns" wg show "nbt$$" allowed-ips | grep -q "^$1"
}

# Each start truncates $tmp/log: keep the earlier ones for a failure.
daemon_stop() {
	kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	pid=
	cat "$tmp/log" >>"$tmp/log.old"
}

if ! srv_start; then
	notok "the test management server starts"
	sed 's/^/# /' "$tmp/srv.err"
	exit 1
fi

# 1. A fresh daemon registers with the setup key.
conf state "$SETUP_KEY"
daemon_start || { notok "daemon starts"; exit 1; }
pub=$(wg pubkey <"$tmp/state/private.key")
check "a fresh daemon registers and shows Connected" \
    wait_until 30 mstate_is Connected
check "log: registered with the setup key" \
    grep -q 'mgmt: registered with the setup key as ' "$tmp/log"
check "the server knows our key, registered by Login" test \
    "$(srv '{"cmd": "state"}' \
    "[p['daemon'] for p in r['peers'] if p['key'] == '$pub']")" = "[True]"
addr=$(ctl show status | sed -n 's/^NetBird IP: //p')
check "show status: an overlay address from management ($addr)" \
    sh -c "echo '$addr' | grep -q '^100\.64\.[0-9.]*/16$'"
srv "{\"cmd\": \"add_peer\", \"key\": \"$K1\", \"name\": \"r1\"}" >/dev/null
check "a peer added on the server reaches wg show" wait_until 10 has_peer "$K1"

# 2. A restart logs in with the same key, without the setup key.
daemon_stop
daemon_start || { notok "daemon restarts"; exit 1; }
check "after a restart: Connected again" wait_until 30 mstate_is Connected
check "after a restart: logged in, not registered again" sh -c \
    "grep -q 'mgmt: logged in as ' '$tmp/log' &&
    ! grep -q 'registered with the setup key' '$tmp/log'"
check "after a restart: the same address" \
    test "$(ctl show status | sed -n 's/^NetBird IP: //p')" = "$addr"

# 3. The server restarts with a new key: GetServerKey, new shared key.
n=$(lines)
srv '{"cmd": "restart"}' >/dev/null
check "server restarted with a new key: Connected again" \
    wait_until 30 sh -c "tail -n +$((n + 1)) '$tmp/log' |
    grep -q 'connected to management'"
check "log: the server key changed" \
    sh -c "tail -n +$((n + 1)) '$tmp/log' | grep -q 'server key changed'"
srv "{\"cmd\": \"add_peer\", \"key\": \"$K2\", \"name\": \"r2\"}" >/dev/null
check "and a new peer comes through the new key" \
    wait_until 10 has_peer "$K2"

# 4. Error statuses: one log line, then backoff.
unavailable='"mode": "error", "code": 14, "message": "try later"'
srv "{\"cmd\": \"hostile\", $unavailable, \"methods\": [\"GetServerKey\"]}" \
    >/dev/null
n=$(lines)
c0=$(calls GetServerKey)
srv '{"cmd": "end_streams"}' >/dev/null
check "GetServerKey Unavailable: status Connecting, with the reason" \
    wait_until 10 sh -c "'$NETBIRDCTL' -s '$sock' show status |
    grep -q '^Management: Connecting.*Unavailable: try later'"
sleep 8
c=$(($(calls GetServerKey) - c0))
check "8 s of errors: $c attempts, with backoff (2 to 12)" \
    test "$c" -ge 2 -a "$c" -le 12
check "and one log line for them, after the stream's end ($(nwarn "$n" 'retrying'))" \
    test "$(since "$n" | grep 'retrying' | grep -c 'Unavailable: try later')" -eq 1
check "and no reason logged twice" whys_once "$n"
srv '{"cmd": "hostile", "mode": "none"}' >/dev/null
check "errors gone: Connected again" wait_until 30 mstate_is Connected

# 5. The server stops: Connecting, a line per reason, the peers stay.
n=$(lines)
srv_stop
check "server stopped: status Connecting" \
    wait_until 10 mstate_is Connecting
sleep 5
check "server stopped: one log line per reason in 5 s ($(nwarn "$n" 'retrying'))" \
    whys_once "$n"
check "server stopped: the peers stay in wg show" has_peer "$K1"
check "server stopped: both of them" has_peer "$K2"
check "server stopped: the interface keeps its address" sh -c \
    "ip -n $ns addr show nbt$$ | grep -q 'inet ${addr%/*}/'"

# 6. A new server on the same port that lost every peer: Sync says
# PermissionDenied, the daemon registers again with the setup key.  Its
# serials start again from 1: the serial rule (mgmt's and the parent's)
# ignores its maps until they pass the last one applied.
n=$(lines)
if srv_start "$port"; then
	check "a server without our peer: registered again, Connected" \
	    wait_until 40 sh -c "tail -n +$((n + 1)) '$tmp/log' |
	    grep -q 'connected to management' &&
	    tail -n +$((n + 1)) '$tmp/log' |
	    grep -q 'registered with the setup key'"
	check "its maps are older than ours: ignored, the peers stay" \
	    has_peer "$K1"
	for i in 1 2 3; do
		srv '{"cmd": "bump_serial"}' >/dev/null
	done
	check "once its serial passes ours, its map replaces the peers" \
	    wait_until 10 sh -c "! ip netns exec $ns wg show nbt$$ peers |
	    grep -q '$K1'"
	# Big maps: more DATA in one read than libcurl 7.88's default
	# receive buffer stalled the stream until some timer (grpc.c).
	srv '{"cmd": "generate_peers", "count": 3000}' >/dev/null
	check "a map of 3000 peers arrives whole" wait_until 30 sh -c \
	    "test \$(ip netns exec $ns wg show nbt$$ peers | wc -l) -eq 3000"
	srv '{"cmd": "hostile", "mode": "oversize", "size": 4000000}' >/dev/null
	s=$(srv '{"cmd": "bump_serial"}' "r['serial']")
	check "a 4 MB map arrives within 10 s" wait_until 10 \
	    grep -q "network map serial $s:" "$tmp/log"
	srv '{"cmd": "hostile", "mode": "none"}' >/dev/null
else
	notok "the server starts again on port $port"
fi

# 7. A peer whose SSO login expired: NeedsLogin, no more attempts.
srv "{\"cmd\": \"update_peer\", \"key\": \"$pub\", \"login_expired\": true}" \
    >/dev/null
n=$(lines)
srv '{"cmd": "end_streams"}' >/dev/null
check "SSO login expired: Needs login, SSO not supported" \
    wait_until 20 sh -c "'$NETBIRDCTL' -s '$sock' show status |
    grep -q '^Management: Needs login.*SSO login is not supported'"
c0=$(calls Login)
sleep 4
check "SSO login expired: no Login in 4 s" test "$(calls Login)" = "$c0"
check "SSO login expired: said once in the log" \
    test "$(nwarn "$n" 'SSO login is not supported')" -eq 1

# 8. A bad setup key on a fresh key pair: LoginFailed, no more attempts.
daemon_stop
conf state2 "$BAD_KEY"
daemon_start || { notok "daemon starts with a bad setup key"; exit 1; }
check "bad setup key: Login failed, the key is invalid" \
    wait_until 20 sh -c "'$NETBIRDCTL' -s '$sock' show status |
    grep -q '^Management: Login failed.*setup key is invalid'"
c0=$(calls Login)
sleep 4
check "bad setup key: no Login in 4 s" test "$(calls Login)" = "$c0"
check "bad setup key: one clear log line" \
    test "$(grep -c 'the setup key is invalid' "$tmp/log")" -eq 1
conf state2 "$SETUP_KEY"
ctl reload >/dev/null
check "a reload with a valid setup key registers" \
    wait_until 30 mstate_is Connected

# 9. No setup key and not registered.
daemon_stop
conf state3 ""
daemon_start || { notok "daemon starts without a setup key"; exit 1; }
check "no setup key: Needs login, add a setup-key" \
    wait_until 20 sh -c "'$NETBIRDCTL' -s '$sock' show status |
    grep -q '^Management: Needs login.*add setup-key'"

check "mgmt is still running" test -n "$(child_pid mgmt)"
daemon_stop
check "no process died or reported a sanitizer error" sh -c \
    "! grep -E 'lost child|Sanitizer|runtime error' '$tmp/log.old'"
finish
