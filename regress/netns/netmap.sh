#!/bin/bash
# The parent applies network maps: the real mgmt child is made to send
# them (gdb), the parent configures the interface, and wg(8), ip(8) and
# netbirdctl show what it did.  Peers added, changed, removed; routes for
# allowed IPs outside our prefix; a map older than the applied one
# ignored; a new address; an empty map.  A real WireGuard peer (an
# independent wireguard-go in another namespace) handshakes with us;
# show peers still says Connecting, since no ICE path was made (there is
# no signal server here): the state is that of our connection.
. "$(dirname "$0")/../lib.sh"
. "$TOP/regress/imsg/netmap.subr"
need_root
need_cmd ip wg wireguard-go gdb ping

daemon_setup nbdnm
nsr=nbdnmr$$		# the remote peer's namespace
ifr=nbr$$
rpid=

cleanup() {
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null
	ip netns del "$nsr" 2>/dev/null
	rm -f "/var/run/wireguard/$ifr.sock"
	if [ "$FAILED" -ne 0 ] && [ -f "$tmp/log" ]; then
		sed 's/^/# /' "$tmp/log"
	fi
	daemon_cleanup
}
trap cleanup EXIT

# The remote peer: its own key, reaching us over a veth.
(umask 077; wg genkey >"$tmp/remote.key")
rpub=$(wg pubkey <"$tmp/remote.key")
ip netns add "$nsr"
ip -n "$nsr" link set lo up
ip link add "v$$a" netns "$ns" type veth peer name "v$$b" netns "$nsr"
ip -n "$ns" addr add 10.99.0.1/24 dev "v$$a"
ip -n "$ns" link set "v$$a" up
ip -n "$nsr" addr add 10.99.0.2/24 dev "v$$b"
ip -n "$nsr" link set "v$$b" up

daemon_start || { notok "daemon starts"; exit 1; }
ok "daemon starts"
pub=$(wg pubkey <"$tmp/state/private.key")

# rkey: gdb commands that give peer $p the remote's real key.
rkey() {
	local i=0
	for b in $(base64 -d <<<"$rpub" | od -An -tu1 -v); do
		echo "set \$p->key.key[$i] = $b"
		i=$((i + 1))
	done
}

# wgpeers: "key allowed-ips..." lines, sorted, allowed IPs sorted.
wgpeers() {
	ip netns exec "$ns" wg show "$ifname" allowed-ips |
	    while read -r k rest; do
		echo "$k $(tr ' ' '\n' <<<"$rest" | sort | xargs)"
	    done | sort
}
# key N: the base64 key of test peer N (N in every byte).
key() {
	head -c 32 /dev/zero | tr '\0' "\\$(printf %03o "$1")" | base64
}
routes() {
	ip -n "$ns" route show proto 78 | awk '{ print $1 }' | sort | xargs
}
addrs() {
	ip -n "$ns" -4 addr show dev "$ifname" | awk '/inet / { print $2 }' |
	    xargs
}
logged() { grep -c -- "$1" "$tmp/log"; }

# Map 1: three peers, one with a network, one outside our /16.
gdb_send mgmt < <(g_begin 1 3
	g_peer 2 two.netbird.selfhosted 100.64.0.10/32
	g_peer 3 three.netbird.selfhosted 100.64.0.9/32 10.9.0.0/24
	g_peer 4 four.netbird.selfhosted 100.65.0.4/32
	g_end 1 3)
check "map 1: applied, one line in the log" \
    wait_until 10 grep -q 'network map serial 1: 3 peers (+3 -0 ~0)$' \
    "$tmp/log"
check "map 1: our address 100.64.0.5/16" test "$(addrs)" = 100.64.0.5/16
want=$(printf '%s\n' "$(key 2) 100.64.0.10/32" \
    "$(key 3) 10.9.0.0/24 100.64.0.9/32" "$(key 4) 100.65.0.4/32" | sort)
check "map 1: wg show has the three peers and their allowed IPs" \
    test "$(wgpeers)" = "$want"
check "map 1: no endpoint, so keepalive off" sh -c \
    "ip netns exec $ns wg show $ifname persistent-keepalive |
    awk '\$2 != \"off\" { exit 1 }' && ip netns exec $ns wg show $ifname \
    endpoints | awk '\$2 != \"(none)\" { exit 1 }'"
check "map 1: routes for 10.9.0.0/24 and 100.65.0.4, not inside /16" \
    test "$(routes)" = "10.9.0.0/24 100.65.0.4"
st=$(ctl show status)
check "map 1: status: address" grep -qx 'NetBird IP: 100.64.0.5/16' <<<"$st"
check "map 1: status: FQDN" \
    grep -qx 'FQDN: self.netbird.selfhosted' <<<"$st"
check "map 1: status: serial 1" grep -q '^Last sync: .*(serial 1)$' <<<"$st"
check "map 1: status: 0/3 peers connected" \
    grep -qx 'Peers count: 0/3 Connected' <<<"$st"
peers=$(ctl show peers)
check "map 1: show peers: three, by address (not key), Connecting" \
    test "$(awk 'NR > 1 { print $1, $2, $3, $4 }' <<<"$peers")" = \
    "$(printf '%s\n' \
    "three.netbird.selfhosted 100.64.0.9 $(key 3) Connecting" \
    "two.netbird.selfhosted 100.64.0.10 $(key 2) Connecting" \
    "four.netbird.selfhosted 100.65.0.4 $(key 4) Connecting")"

# Map 2: 2 leaves, 3 changes network, 4 is renamed, 5 comes.
gdb_send mgmt < <(g_begin 2 3
	g_peer 3 three.netbird.selfhosted 100.64.0.9/32 10.8.0.0/24
	g_peer 4 four-renamed.netbird.selfhosted 100.65.0.4/32
	g_peer 5 five.netbird.selfhosted 100.64.0.6/32
	g_end 2 3)
check "map 2: applied: +1 -1 ~2" wait_until 10 grep -q \
    'network map serial 2: 3 peers (+1 -1 ~2)$' "$tmp/log"
want=$(printf '%s\n' "$(key 3) 10.8.0.0/24 100.64.0.9/32" \
    "$(key 4) 100.65.0.4/32" "$(key 5) 100.64.0.6/32" | sort)
check "map 2: peer 2 gone, 3's network replaced, 5 there" \
    test "$(wgpeers)" = "$want"
check "map 2: route to 10.9.0.0/24 gone, 10.8.0.0/24 there" \
    test "$(routes)" = "10.8.0.0/24 100.65.0.4"
check "map 2: show peers has the new name" \
    grep -q "^four-renamed.netbird.selfhosted *100.65.0.4 " \
    <<<"$(ctl show peers)"

# Whether the parent would give signal or ice the shared key of peer N:
# netmap_key_allowed() called in the parent.
key_allowed() {
	timeout 30 gdb -p "$pid" -batch -nx \
	    -ex 'set $k = (unsigned char *)malloc(32)' \
	    -ex "call (void *)memset(\$k, $1, 32)" \
	    -ex 'print (int)netmap_key_allowed($k)' \
	    -ex 'call (void)free($k)' 2>/dev/null |
	    awk '/^\$[0-9]+ = / { v = $3 } END { print v }'
}
check "keys: a peer of the map may be asked for" test "$(key_allowed 3)" = 1
check "keys: one removed a moment ago too (ice may not know yet)" \
    test "$(key_allowed 2)" = 1
check "keys: one never in a map may not" test "$(key_allowed 9)" = 0
timeout 30 gdb -p "$pid" -batch -nx \
    -ex 'set var formers.tqh_first->removed = 0' >/dev/null 2>&1
check "keys: nor one removed over a minute ago" test "$(key_allowed 2)" = 0

# An older map changes nothing.
gdb_send mgmt < <(g_begin 1 0; g_end 1 0)
check "map 1 again: ignored, with a warning" wait_until 10 grep -q \
    'network map serial 1 is older than the applied 2: ignored' "$tmp/log"
check "map 1 again: peers as they were" test "$(wgpeers)" = "$want"
check "map 1 again: status still serial 2" \
    grep -q '^Last sync: .*(serial 2)$' <<<"$(ctl show status)"

# Map 3: a new address; the remote peer in place of 3; 5 stays.
gdb_send mgmt < <(g_begin 3 3 'set $b->address.addr[1] = 66'
	g_peer 4 four.netbird.selfhosted 100.65.0.4/32 10.8.0.0/24
	g_peer 5 five.netbird.selfhosted 100.64.0.6/32
	g_peer 1 remote.netbird.selfhosted 100.66.0.7/32 "$(rkey)"
	g_end 3 3)
check "map 3: applied: +1 -1 ~1" wait_until 10 grep -q \
    'network map serial 3: 3 peers (+1 -1 ~1)$' "$tmp/log"
check "map 3: the new address alone" test "$(addrs)" = 100.66.0.5/16
check "map 3: address change logged" \
    grep -q "$ifname: address 100.66.0.5/16" "$tmp/log"
check "map 3: every route done again for the new prefix" \
    test "$(routes)" = "10.8.0.0/24 100.64.0.6 100.65.0.4"

# The remote peer knows us and starts a handshake: we learn its endpoint.
WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 ip netns exec "$nsr" \
    wireguard-go -f "$ifr" >"$tmp/remote.log" 2>&1 &
rpid=$!
wait_until 5 test -S "/var/run/wireguard/$ifr.sock"
port=$(ip netns exec "$ns" wg show "$ifname" listen-port)
ip netns exec "$nsr" wg set "$ifr" private-key "$tmp/remote.key" \
    peer "$pub" endpoint "10.99.0.1:$port" allowed-ips 100.66.0.0/16
ip -n "$nsr" addr add 100.66.0.7/16 dev "$ifr"
ip -n "$nsr" link set "$ifr" up
check "remote peer pings us through the tunnel" sh -c \
    "ip netns exec $nsr ping -c 3 -i 0.3 -W 2 100.66.0.5 >/dev/null"
peers=$(ctl show peers)
check "show peers: the remote peer Connecting: WireGuard alone is no path" \
    grep -q "^remote.netbird.selfhosted *100.66.0.7 *$rpub *Connecting " \
    <<<"$peers"
check "show peers: the others Connecting too" \
    test "$(grep -c ' Connecting ' <<<"$peers")" = 3
check "show peers -j: no connection type, no counters for the remote" sh -c \
    "timeout 10 '$NETBIRDCTL' -s '$sock' -j show peers | $PYTHON -c '
import json, sys
peers = json.load(sys.stdin)[\"peers\"][\"details\"]
p = [p for p in peers if p[\"publicKey\"] == \"$rpub\"][0]
assert p[\"status\"] == \"Connecting\" and p[\"connectionType\"] == \"-\", p
assert p[\"transferReceived\"] == 0, p'"

# Several show peers at once all get their answer.
for i in 1 2 3 4 5 6; do
	ctl show peers >"$tmp/peers.$i" 2>&1 &
done
wait_peers() { for i in 1 2 3 4 5 6; do
	grep -q "^remote.netbird.selfhosted" "$tmp/peers.$i" || return 1
done; }
check "six show peers at once: six full answers" wait_until 10 wait_peers

# Map 4: nobody left.
gdb_send mgmt < <(g_begin 4 0 'set $b->address.addr[1] = 66'; g_end 4 0)
check "map 4: applied: -3" wait_until 10 grep -q \
    'network map serial 4: 0 peers (+0 -3 ~0)$' "$tmp/log"
check "map 4: no peer on the interface" test -z "$(wgpeers)"
check "map 4: no route left" test -z "$(routes)"
check "map 4: show peers is empty" \
    test "$(ctl show peers | wc -l)" = 1
check "map 4: the address stays" test "$(addrs)" = 100.66.0.5/16
check "no process died" kill -0 "$pid"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "SIGTERM: exit status 0" test "$rc" -eq 0
check "nothing fatal, no sanitizer report in the log" \
    sh -c "! grep -Eq 'fatal|Sanitizer|runtime error' '$tmp/log'"
finish
