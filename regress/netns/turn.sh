#!/bin/bash
# The TURN client (netbirdd/ice_turn.c) and the WireGuard proxy
# (netbirdd/ice_proxy.c), driven by turn_drive against Debian's coturn.
# Three namespaces on one bridge: coturn in the hub (10.214.0.1), the
# client (10.214.0.2), a UDP echo and sink peer (10.214.0.3).  The
# credentials are TURN REST ones made as the test management server
# makes them.  coturn runs with short lifetimes (allocation 6 s,
# permission 4 s, channel 6 s, nonce 5 s), and turn_drive is built to
# refresh permissions every 2 s and channels every 3 s, so a 14 s run
# needs every refresh and a new nonce; a build that never refreshes them
# must lose the path, which shows the server does hold to those times.
#
# Checks: allocation (relayed and server-reflexive address), Refresh
# with lifetime 0 on free, the refusal of a wrong password and of an
# expired username (failure reported once, with the reason), the Send
# indication path, the ChannelData path after ChannelBind, refreshes and
# stale nonces over 14 s, new credentials during an allocation, the
# proxy; then throughput through coturn at rising rates.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/coturn.subr"
need_root
need_cmd ip ss

DRIVE=$TOP/regress/netns/turn_drive
NOREFRESH=$TOP/regress/netns/turn_drive_norefresh
if ! make -s -C "$TOP/regress/netns" turn_drive turn_drive_norefresh; then
	notok "build turn_drive"
	finish
fi

NET=10.214.0
SRV=$NET.1
hub=nbth$$ cli=nbtc$$ peer=nbtp$$
tmp=$(mktemp -d /tmp/nbturn.XXXXXX)
pids=

cleanup() {
	local p
	if [ "$FAILED" -ne 0 ]; then
		for f in "$tmp"/*; do
			echo "# --- $f"
			tail -n 30 "$f" | sed 's/^/# /'
		done
		[ -n "$COTURN_LOG" ] && tail -n 30 "$COTURN_LOG" | sed 's/^/# /'
	fi
	for p in $pids; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	coturn_stop
	ip netns del "$cli" 2>/dev/null
	ip netns del "$peer" 2>/dev/null
	ip netns del "$hub" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

ip netns add "$hub" || { notok "create namespaces"; finish; }
ip -n "$hub" link set lo up
ip -n "$hub" link add br0 type bridge
ip -n "$hub" addr add "$SRV/24" dev br0
ip -n "$hub" link set br0 up
i=2
for ns in "$cli" "$peer"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip -n "$hub" link add "v$i" type veth peer name eth0 netns "$ns"
	ip -n "$hub" link set "v$i" master br0 up
	ip -n "$ns" addr add "$NET.$i/24" dev eth0
	ip -n "$ns" link set eth0 up
	i=$((i + 1))
done

COTURN_EXTRA="max-allocate-lifetime=6
permission-lifetime=4
channel-lifetime=6
stale-nonce=5"
if ! coturn_start "$hub" "$SRV"; then
	notok "coturn starts in the hub namespace"
	finish
fi
ok "coturn starts in the hub namespace"

# cred TTL: "username password" as mgmt_server.py's netbird_config()
# makes them: the expiry time, and base64 of HMAC-SHA1 with the secret.
cred() {
	"$PYTHON" - "$(coturn_default_secret)" "$1" <<'EOF'
import base64, hashlib, hmac, sys, time
user = str(int(time.time()) + int(sys.argv[2]))
key = hmac.new(sys.argv[1].encode(), user.encode(), hashlib.sha1)
print(user, base64.b64encode(key.digest()).decode())
EOF
}

# val FILE KEY: the value of a "key value" line.
val() { sed -n "s/^$2 //p" "$1" | head -n 1; }

drive() { ip netns exec "$cli" "$@"; }

read -r user pass < <(cred 43200)
out=$tmp/alloc

# Allocation; on free, a Refresh with lifetime 0 deletes it at once.
if drive "$DRIVE" alloc "$SRV:3478" "$user" "$pass" >"$out" 2>"$out.err"
then
	ok "allocate with REST credentials: relayed $(val "$out" relayed)"
else
	notok "allocate with REST credentials"
fi
case $(val "$out" relayed) in
$SRV:*) ok "the relayed address is the server's relay address" ;;
*) notok "the relayed address is the server's relay address" ;;
esac
case $(val "$out" mapped) in
$NET.2:*) ok "the server-reflexive address is the client's" ;;
*) notok "the server-reflexive address is the client's" ;;
esac
check "Refresh with lifetime 0 on free deletes the allocation" \
    wait_until 3 grep -q "refreshed.*lifetime=0" "$COTURN_LOG"

# A wrong password, then an expired username: one failure each.
out=$tmp/badpass
drive "$DRIVE" badpass "$SRV:3478" "$user" "x$pass" >"$out" 2>"$out.err"
rc=$?
if [ $rc -eq 0 ] && grep -q '^why Allocate: 401' "$out"; then
	ok "a wrong password fails once: $(val "$out" why)"
else
	notok "a wrong password fails once (failed $(val "$out" failed))"
fi
read -r old oldpass < <(cred -60)
out=$tmp/expired
if drive "$DRIVE" badpass "$SRV:3478" "$old" "$oldpass" >"$out" \
    2>"$out.err" && grep -q '^why Allocate: 401' "$out"; then
	ok "an expired REST username fails once"
else
	notok "an expired REST username fails once"
fi

# The echo peer and the relayed paths, through every refresh.
ip netns exec "$peer" "$DRIVE" echo 7000 >"$tmp/echo" 2>&1 &
pids="$pids $!"
wait_until 5 grep -q ready "$tmp/echo" || notok "the echo peer starts"
out=$tmp/relay
drive "$DRIVE" relay "$SRV:3478" "$user" "$pass" "$NET.3:7000" 14 \
    >"$out" 2>"$out.err"
rc=$?
[ "$(val "$out" indication_echoed)" = 1 ] &&
    [ "$(val "$out" tx_send)" -ge 1 ] 2>/dev/null
check "Send indication before ChannelBind, echoed back" test $? -eq 0
sent=$(val "$out" channel_sent) back=$(val "$out" channel_echoed)
if [ $rc -eq 0 ] && [ "$(val "$out" tx_chan)" -ge "$sent" ] &&
    [ "$(val "$out" rx_chan)" -ge 1 ]; then
	ok "ChannelData after ChannelBind, 14 s: $back/$sent echoed"
else
	notok "ChannelData after ChannelBind, 14 s: $back/$sent echoed"
fi
n=$(val "$out" refreshes)
check "allocation refreshed ($n times, lifetime 6 s)" test "${n:-0}" -ge 3
n=$(val "$out" permissions)
check "permission refreshed ($n times, lifetime 4 s)" test "${n:-0}" -ge 6
n=$(val "$out" channel_binds)
check "channel refreshed ($n times, lifetime 6 s)" test "${n:-0}" -ge 4
n=$(val "$out" stale_nonces)
check "stale nonces answered with the new one ($n)" test "${n:-0}" -ge 1

# New credentials from management while the allocation lives: it keeps
# the username it was made with (coturn would answer 441 to another).
read -r user2 pass2 < <(cred 86400)
out=$tmp/newcred
if drive "$DRIVE" relay "$SRV:3478" "$user" "$pass" "$NET.3:7000" 8 \
    "$user2" "$pass2" >"$out" 2>"$out.err" &&
    [ "$(val "$out" refreshes)" -ge 2 ]; then
	ok "new credentials leave the live allocation alone"
else
	notok "new credentials leave the live allocation alone"
fi

out=$tmp/norefresh
drive "$NOREFRESH" relay "$SRV:3478" "$user" "$pass" "$NET.3:7000" 12 \
    >"$out" 2>"$out.err"
lost=$(val "$out" first_lost)
if [ "${lost%.*}" -ge 3 ] 2>/dev/null; then
	ok "control: without those refreshes the path dies (at ${lost} s)"
else
	notok "control: without those refreshes the path dies (${lost:-?})"
fi

out=$tmp/proxy
if drive "$DRIVE" proxy >"$out" 2>"$out.err"; then
	ok "proxy: WireGuard's datagrams to the callback, ours to WireGuard," \
	    "strangers kept out, drops counted"
else
	notok "proxy"
fi

# Throughput: 1200-byte datagrams (a WireGuard packet at MTU 1280)
# through coturn to a sink, at rising rates, TURN_BENCH_SECONDS each
# (default 3; 0 skips it); coturn's CPU from /proc.  The figure is the
# best rate received with less than 1% lost; every step is shown.
# bench RATE: one step (MB/s, 0: unpaced); sets $mbps, $loss.
bench() {
	local b s p n c cpu0 cpu1 hz sinkpid
	ip netns exec "$peer" "$DRIVE" sink 7001 >"$tmp/sink" 2>&1 &
	sinkpid=$!
	wait_until 5 grep -q ready "$tmp/sink"
	cpu0=$(awk '{ print $14 + $15 }' "/proc/$COTURN_PID/stat")
	drive "$DRIVE" bench "$SRV:3478" "$user" "$pass" "$NET.3:7001" \
	    "$secs" 1200 "$1" >"$tmp/bench" 2>"$tmp/bench.err"
	cpu1=$(awk '{ print $14 + $15 }' "/proc/$COTURN_PID/stat")
	wait "$sinkpid"
	b=$(val "$tmp/sink" bytes) s=$(val "$tmp/sink" seconds)
	p=$(val "$tmp/sink" packets) n=$(val "$tmp/bench" sent)
	c=$(val "$tmp/bench" cpu_s) hz=$(getconf CLK_TCK)
	[ "${b:-0}" -gt 0 ] || return 1
	read -r mbps loss < <(awk -v b="$b" -v s="$s" -v p="$p" -v n="$n" \
	    'BEGIN { printf "%.1f %.1f\n", b / s / 1e6, 100 * (n - p) / n }')
	awk -v r="$1" -v m="$mbps" -v l="$loss" -v c="$c" -v d="$secs" \
	    -v t=$((cpu1 - cpu0)) -v hz="$hz" 'BEGIN {
		printf "# offered %s MB/s: received %s MB/s, %s%% lost, " \
		    "client CPU %.0f%%, coturn CPU %.0f%%\n", r ? r : "max",
		    m, l, 100 * c / d, 100 * t / hz / d }'
}
secs=${TURN_BENCH_SECONDS:-3}
if [ "$secs" -gt 0 ]; then
	best=
	for r in 10 20 40 80 0; do
		if ! bench "$r"; then
			notok "throughput through coturn: nothing arrived"
			break
		fi
		awk -v l="$loss" 'BEGIN { exit !(l < 1) }' &&
		    best="$mbps MB/s (offered $r, $loss% lost)"
	done
	ok "throughput through coturn, 1200-byte datagrams:" \
	    "${best:-none} without loss"
fi
finish
