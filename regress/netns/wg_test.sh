#!/bin/bash
# The WireGuard layer (netbirdd/wg*.c, netlink.c) driven by wg_drive in
# fresh network namespaces, checked with ip(8), wg(8) and ping(8):
# backend selection and the kernel fallback, port fallback, key, MTU,
# addresses, peers, allowed IPs, keepalive, endpoint (set, and removed
# as protocol.md 5.4 says: the peer removed and added again), preshared key,
# routes, refusal of bad input, stale state, clean close, death with the
# parent; then two namespaces joined by veth ping through the tunnel and
# read statistics back.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd ip wg wireguard-go ping ss

DRIVE=$TOP/regress/netns/wg_drive
if [ ! -x "$DRIVE" ] && ! make -s -C "$TOP/regress/netns" wg_drive; then
	notok "build wg_drive"
	finish
fi

nsa=nbdwga$$ nsb=nbdwgb$$
ifa=nbwa$$ ifb=nbwb$$
tmp=$(mktemp -d)
declare -A dpid
holder=

cleanup() {
	if [ "$FAILED" -ne 0 ]; then
		for f in "$tmp"/*.log; do sed 's/^/# /' "$f"; done
	fi
	for d in "${!dpid[@]}"; do
		kill -KILL "${dpid[$d]}" 2>/dev/null
	done
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$nsa" 2>/dev/null
	ip netns del "$nsb" 2>/dev/null
	rm -f "/var/run/wireguard/$ifa.sock" "/var/run/wireguard/$ifb.sock"
	rm -rf "$tmp"
}
trap cleanup EXIT

# start NAME NS: a driver in NS on fds (in, out) named after NAME.
start() {
	mkfifo "$tmp/$1.in" "$tmp/$1.out"
	ip netns exec "$2" "$DRIVE" <"$tmp/$1.in" >"$tmp/$1.out" \
	    2>>"$tmp/$1.log" &
	dpid[$1]=$!
	case $1 in
	a) exec 3>"$tmp/a.in" 4<"$tmp/a.out" ;;
	b) exec 5>"$tmp/b.in" 6<"$tmp/b.out" ;;
	c) exec 7>"$tmp/c.in" 8<"$tmp/c.out" ;;
	esac
}

# stop NAME: quit the driver, bounded; it must exit 0 (ASan builds too).
stop() {
	local p=${dpid[$1]}
	case $1 in
	a) echo quit >&3; exec 3>&- 4<&- ;;
	b) echo quit >&5; exec 5>&- 6<&- ;;
	c) echo quit >&7; exec 7>&- 8<&- ;;
	esac
	wait_until 10 sh -c "! kill -0 $p" || kill -KILL "$p"
	wait "$p" 2>/dev/null
	check "driver $1 exited cleanly (no leak or error report)" test $? = 0
	unset "dpid[$1]"
	rm -f "$tmp/$1.in" "$tmp/$1.out"
}

# drive NAME command...: answer lines in $reply, the time a command
# took in $elapsed; status 0 = "done 0".
drive() {
	local in out line
	case $1 in a) in=3 out=4 ;; b) in=5 out=6 ;; c) in=7 out=8 ;; esac
	shift
	reply=
	echo "$*" >&"$in" || return 2
	while IFS= read -r -t 60 -u "$out" line; do
		case $line in
		"done 0") return 0 ;;
		"done "*) return 1 ;;
		"elapsed_ms "*) elapsed=${line#elapsed_ms } ;;
		*) reply+="$line"$'\n' ;;
		esac
	done
	return 2
}

# logged NAME pattern: the driver's log has a line matching pattern.
logged() { grep -Eq "$2" "$tmp/$1.log"; }
# count_logged NAME pattern
count_logged() { grep -Ec "$2" "$tmp/$1.log"; }

wga() { ip netns exec "$nsa" wg "$@"; }
link_gone() { ! ip -n "$1" link show "$2" >/dev/null 2>&1; }

ka=$(wg genkey) kb=$(wg genkey) kc=$(wg genkey)
pa=$(echo "$ka" | wg pubkey) pb=$(echo "$kb" | wg pubkey)
pc=$(echo "$kc" | wg pubkey) psk=$(wg genpsk)
zero=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=

ip netns add "$nsa" && ip netns add "$nsb" || { notok "netns"; finish; }
ip -n "$nsa" link set lo up
ip -n "$nsb" link set lo up

# --- one namespace --------------------------------------------------
start a "$nsa"

if drive a open "$ifa" kernel 51820 1280 "$ka"; then
	notok "backend kernel refused without the module"
else
	ok "backend kernel refused without the module"
fi
check "backend kernel: one clear line" \
    test "$(count_logged a "cannot create a kernel WireGuard interface: Operation not supported")" = 1
check "backend kernel: nothing left behind" link_gone "$nsa" "$ifa"

ip netns exec "$nsa" /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 51820))
time.sleep(600)' &
holder=$!
wait_until 10 sh -c "ip netns exec $nsa ss -Huln sport = :51820 | grep -q ." ||
    notok "port 51820 occupied"

check "auto: open" drive a open "$ifa" auto 51820 1400 "$ka"
drive a backend
check "auto: fell back to userspace" test "$reply" = $'backend userspace\n'
check "auto: fallback said in one line" \
    test "$(count_logged a "kernel WireGuard not available, using /usr/bin/wireguard-go")" = 1
drive a port
port=${reply#port }; port=${port%$'\n'}
check "port taken: fell back to another port ($port)" \
    test -n "$port" -a "$port" != 51820 -a "$port" != 0
check "port taken: wg show agrees" test "$(wga show "$ifa" listen-port)" = "$port"
check "port taken: logged once" \
    test "$(count_logged a "UDP port 51820 is in use, listening on port $port")" = 1
kill "$holder"; wait "$holder" 2>/dev/null; holder=

check "link exists and is up" \
    sh -c "ip -n $nsa link show $ifa | grep -q '<.*UP.*>'"
check "MTU 1400 from open" \
    sh -c "ip -n $nsa link show $ifa | grep -q 'mtu 1400 '"
check "public key is ours" test "$(wga show "$ifa" public-key)" = "$pa"
check "private key is ours" test "$(wga show "$ifa" private-key)" = "$ka"
check "no private key in the log" sh -c "! grep -qF '$ka' $tmp/a.log"
drive a pid
wgpid=${reply#pid }; wgpid=${wgpid%$'\n'}
check "wireguard-go running as our child ($wgpid)" \
    sh -c "test -n '$wgpid' && test \"\$(ps -o ppid= -p '$wgpid' | tr -d ' ')\" = ${dpid[a]}"
check "UAPI socket exists" test -S "/var/run/wireguard/$ifa.sock"

check "mtu 1280" drive a mtu 1280
check "ip link: mtu 1280" sh -c "ip -n $nsa link show $ifa | grep -q 'mtu 1280 '"
if drive a mtu 100; then notok "mtu 100 refused"; else ok "mtu 100 refused"; fi
check "mtu 100: says why" logged a "wg_set_mtu: $ifa: MTU out of range"

check "address 100.64.0.1/16" drive a addr 100.64.0.1/16
check "ip addr: 100.64.0.1/16" \
    sh -c "ip -n $nsa -4 addr show dev $ifa | grep -q 'inet 100.64.0.1/16 '"
check "address replaced by 100.64.0.9/16" drive a addr 100.64.0.9/16
check "ip addr: only 100.64.0.9/16" \
    test "$(ip -n "$nsa" -4 -o addr show dev "$ifa" | awk '{print $4}')" = 100.64.0.9/16
check "IPv6 address fd00:100::1/64" drive a addr fd00:100::1/64
check "ip addr: fd00:100::1/64, IPv4 kept" \
    sh -c "ip -n $nsa addr show dev $ifa | grep -q 'inet6 fd00:100::1/64 ' &&
    ip -n $nsa addr show dev $ifa | grep -q 'inet 100.64.0.9/16 '"
check "clear IPv6 addresses" drive a clearaddr 6
check "ip addr: no global IPv6 left" \
    sh -c "! ip -n $nsa -6 addr show dev $ifa scope global | grep -q inet6"

check "peer B: endpoint, keepalive 25, two allowed IPs" \
    drive a peer "$pb" 25 10.99.0.2:51820 replace 100.64.0.2/32,10.200.0.0/24
check "wg show: endpoint 10.99.0.2:51820" \
    test "$(wga show "$ifa" endpoints)" = "$pb	10.99.0.2:51820"
check "wg show: keepalive 25" \
    test "$(wga show "$ifa" persistent-keepalive)" = "$pb	25"
check "wg show: allowed IPs" \
    test "$(wga show "$ifa" allowed-ips)" = "$pb	100.64.0.2/32 10.200.0.0/24"
check "peer B updated without replace: allowed IPs added" \
    drive a peer "$pb" 25 - add 10.201.0.0/24
check "wg show: three allowed IPs" test "$(wga show "$ifa" allowed-ips)" = \
    "$pb	100.64.0.2/32 10.200.0.0/24 10.201.0.0/24"
check "wg show: endpoint kept" \
    test "$(wga show "$ifa" endpoints)" = "$pb	10.99.0.2:51820"
check "peer B replaced allowed IPs" \
    drive a peer "$pb" 25 10.99.0.2:51820 replace 100.64.0.2/32
check "wg show: one allowed IP" \
    test "$(wga show "$ifa" allowed-ips)" = "$pb	100.64.0.2/32"
check "endpoint of B set to 203.0.113.9:4000" \
    drive a endpoint "$pb" 203.0.113.9:4000 10.9.9.0/24
check "wg show: endpoint 203.0.113.9:4000, allowed IPs and keepalive kept" \
    test "$(wga show "$ifa" endpoints)" = "$pb	203.0.113.9:4000" -a \
    "$(wga show "$ifa" allowed-ips)" = "$pb	100.64.0.2/32" -a \
    "$(wga show "$ifa" persistent-keepalive)" = "$pb	25"
check "endpoint of B removed" \
    drive a endpoint "$pb" - 100.64.0.2/32,10.200.0.0/24
check "wg show: B without endpoint, allowed IPs from the request" \
    test "$(wga show "$ifa" endpoints)" = "$pb	(none)" -a \
    "$(wga show "$ifa" allowed-ips)" = "$pb	100.64.0.2/32 10.200.0.0/24"
check "wg show: B's keepalive off without an endpoint, still one peer" \
    test "$(wga show "$ifa" persistent-keepalive)" = "$pb	off" -a \
    "$(wga show "$ifa" peers)" = "$pb"
for bad in 0.0.0.0:1 224.0.0.1:1 255.255.255.255:1 "[ff02::1]:1" \
    198.51.100.1:0; do
	if drive a endpoint "$pb" "$bad" -; then
		notok "endpoint $bad refused"
	else
		ok "endpoint $bad refused"
	fi
done
check "refused endpoints changed nothing" \
    test "$(wga show "$ifa" endpoints)" = "$pb	(none)"
check "peer B as before: endpoint and one allowed IP" \
    drive a peer "$pb" 25 10.99.0.2:51820 replace 100.64.0.2/32
check "peer C: IPv6 endpoint, preshared key, no keepalive" \
    drive a peer "$pc" 0 "[fd00::5]:123" replace fd00:1::/64 "$psk"
check "wg show: peer C endpoint [fd00::5]:123" \
    sh -c "ip netns exec $nsa wg show $ifa endpoints | grep -qxF '$pc	[fd00::5]:123'"
check "wg show: peer C preshared key" \
    sh -c "ip netns exec $nsa wg show $ifa preshared-keys | grep -qxF '$pc	$psk'"
check "wg show: peer C keepalive off" \
    sh -c "ip netns exec $nsa wg show $ifa persistent-keepalive | grep -qxF '$pc	off'"
check "no preshared key in the log" sh -c "! grep -qF '$psk' $tmp/a.log"

if drive a peer "$zero" 25 - replace 100.64.0.3/32; then
	notok "all-zero peer key refused"
else
	ok "all-zero peer key refused"
fi
if drive a peer "$pc" 25 1.2.3.4:0 replace 100.64.0.3/32; then
	notok "endpoint port 0 refused"
else
	ok "endpoint port 0 refused"
fi
if drive a peer "$pc" 25 - replace 100.64.0.3/24; then
	notok "allowed IP with host bits refused"
else
	ok "allowed IP with host bits refused"
fi
check "refusals say why" sh -c "grep -q 'peer $pc: endpoint port 0' $tmp/a.log &&
    grep -q 'peer $pc: bad allowed IP' $tmp/a.log &&
    grep -q 'all-zero key' $tmp/a.log"
check "refused peers changed nothing" \
    sh -c "ip netns exec $nsa wg show $ifa allowed-ips | grep -qxF '$pc	fd00:1::/64'"

check "route add 10.200.0.0/24" drive a route add 10.200.0.0/24
check "route add fd00:2::/64" drive a route add fd00:2::/64
check "ip route: 10.200.0.0/24 dev $ifa proto 78" \
    sh -c "ip -n $nsa route show proto 78 | grep -q '^10.200.0.0/24 dev $ifa '"
check "ip -6 route: fd00:2::/64 dev $ifa proto 78" \
    sh -c "ip -n $nsa -6 route show proto 78 | grep -q '^fd00:2::/64 dev $ifa '"
check "route add again (idempotent)" drive a route add 10.200.0.0/24
check "route del 10.200.0.0/24" drive a route del 10.200.0.0/24
check "ip route: 10.200.0.0/24 gone" \
    sh -c "! ip -n $nsa route show proto 78 | grep -q '^10.200.0.0/24'"
check "route del again (not an error)" drive a route del 10.200.0.0/24
if drive a route add 10.200.0.1/24; then
	notok "route with host bits refused"
else
	ok "route with host bits refused"
fi
check "route refusal says why" logged a "wg_route_add: $ifa: host bits set"

check "remove peer C" drive a remove "$pc"
check "wg show: peer C gone, B kept" test "$(wga show "$ifa" peers)" = "$pb"
check "stats: one peer" drive a stats
check "stats: peer B, endpoint, no handshake yet" \
    test "$reply" = "stat $pb 0 0 0 10.99.0.2:51820"$'\n'

start c "$nsa"
if drive c open "$ifa" userspace 51820 1280 "$kc"; then
	notok "second open of the same name refused"
else
	ok "second open of the same name refused"
fi
check "refusal names the existing link" logged c "interface $ifa exists \(kind tun\)"
check "the first interface is untouched" test "$(wga show "$ifa" public-key)" = "$pa"
stop c

check "1000 peers in one call" drive a peers 1000 2
ms1000=$elapsed
check "wg show: 1001 peers" test "$(wga show "$ifa" peers | wc -l)" = 1001
check "stats of 1001 peers" drive a stats
check "stats: 1001 lines" test "$(printf %s "$reply" | grep -c '^stat ')" = 1001
echo "# 1000 peers (2 allowed IPs each) set through UAPI in $ms1000 ms," \
    "statistics of 1001 peers read in $elapsed ms"

check "close" drive a close
check "close: link gone" link_gone "$nsa" "$ifa"
check "close: UAPI socket gone" test ! -e "/var/run/wireguard/$ifa.sock"
check "close: wireguard-go gone" sh -c "! kill -0 $wgpid 2>/dev/null"
check "close: our routes gone" \
    test -z "$(ip -n "$nsa" route show proto 78; ip -n "$nsa" -6 route show proto 78)"

# Stale state: a dead socket is removed; a foreign link is refused.
/usr/bin/python3 -c "
import socket
s = socket.socket(socket.AF_UNIX)
s.bind('/var/run/wireguard/$ifa.sock')"
check "stale UAPI socket: open" drive a open "$ifa" userspace 0 1280 "$ka"
check "stale UAPI socket: removed and said" \
    logged a "removed a stale UAPI socket /var/run/wireguard/$ifa.sock"
drive a port
check "port 0: the system chose one" test "$reply" != $'port 0\n'
check "close" drive a close
ip -n "$nsa" link add "$ifa" type veth peer nbdy$$
if drive a open "$ifa" auto 51820 1280 "$ka"; then
	notok "foreign link of our name refused"
else
	ok "foreign link of our name refused"
fi
check "foreign link: says so" logged a "interface $ifa exists \(kind veth\), not ours"
check "foreign link: left alone" \
    sh -c "ip -n $nsa link show $ifa type veth >/dev/null"
ip -n "$nsa" link del "$ifa"
ip -n "$nsa" link add nbdx$$ type veth peer nbdz$$
ip -n "$nsa" link set nbdx$$ up
ip -n "$nsa" link set nbdz$$ up
ip -n "$nsa" route add 10.251.0.0/24 dev nbdx$$ proto 78
check "old routes of ours: open" drive a open "$ifa" userspace 51820 1280 "$ka"
check "old routes of ours: flushed at open" \
    test -z "$(ip -n "$nsa" route show proto 78)"
ip -n "$nsa" link del nbdx$$

check "close" drive a close
stop a

# The parent dies: wireguard-go and the interface go with it.
start a "$nsa"
check "open again" drive a open "$ifa" userspace 51820 1280 "$ka"
drive a pid
wgpid=${reply#pid }; wgpid=${wgpid%$'\n'}
{ kill -KILL "${dpid[a]}"; wait "${dpid[a]}"; } 2>/dev/null
exec 3>&- 4<&-
unset "dpid[a]"
rm -f "$tmp/a.in" "$tmp/a.out"
check "parent killed: wireguard-go exits" \
    wait_until 10 sh -c "! kill -0 $wgpid"
check "parent killed: link gone" wait_until 10 link_gone "$nsa" "$ifa"
check "parent killed: socket gone" \
    wait_until 10 test ! -e "/var/run/wireguard/$ifa.sock"

# --- two namespaces through veth -------------------------------------
ip link add "va$$" netns "$nsa" type veth peer "vb$$" netns "$nsb"
ip -n "$nsa" addr add 10.99.0.1/24 dev "va$$"
ip -n "$nsb" addr add 10.99.0.2/24 dev "vb$$"
ip -n "$nsa" link set "va$$" up
ip -n "$nsb" link set "vb$$" up
ip -n "$nsb" addr add 10.210.0.1/32 dev lo

start a "$nsa"
start b "$nsb"
check "A: open" drive a open "$ifa" userspace 51820 1280 "$ka"
check "B: open" drive b open "$ifb" userspace 51820 1280 "$kb"
check "A: address" drive a addr 100.64.0.1/16
check "B: address" drive b addr 100.64.0.2/16
check "A: peer B" \
    drive a peer "$pb" 25 10.99.0.2:51820 replace 100.64.0.2/32,10.210.0.0/24
check "B: peer A" drive b peer "$pa" 25 10.99.0.1:51820 replace 100.64.0.1/32
check "A: route to B's network 10.210.0.0/24" drive a route add 10.210.0.0/24
# Both sides set the other with a keepalive and initiate at once; when
# the two handshakes cross, wireguard-go retries after 5 s (REKEY_TIMEOUT).
check "ping A -> B through the tunnel" wait_until 12 \
    sh -c "ip netns exec $nsa ping -c 1 -W 1 100.64.0.2 >/dev/null"
check "ping B -> A through the tunnel" \
    sh -c "ip netns exec $nsb ping -c 3 -i 0.2 -W 2 100.64.0.1 >/dev/null"
check "ping A -> B's routed network through the tunnel" \
    sh -c "ip netns exec $nsa ping -c 3 -i 0.2 -W 2 10.210.0.1 >/dev/null"
check "A: stats" drive a stats
read -r _ key hs rx tx ep <<<"$reply"
check "A stats: peer B" test "$key" = "$pb"
check "A stats: handshake time within a minute" \
    test "$hs" -gt $(($(date +%s) - 60)) -a "$hs" -le $(($(date +%s) + 1))
check "A stats: received $rx bytes" test "$rx" -gt 0
check "A stats: sent $tx bytes" test "$tx" -gt 0
check "A stats: endpoint $ep" test "$ep" = 10.99.0.2:51820
check "B: stats" drive b stats
read -r _ key hs rx tx ep <<<"$reply"
check "B stats: peer A, traffic and handshake" \
    test "$key" = "$pa" -a "$hs" -gt 0 -a "$rx" -gt 0 -a "$tx" -gt 0
check "A: endpoint of B removed" \
    drive a endpoint "$pb" - 100.64.0.2/32,10.210.0.0/24
check "B: endpoint of A removed" drive b endpoint "$pa" - 100.64.0.1/32
check "A: B has no endpoint, its allowed IPs, keepalive off" \
    test "$(wga show "$ifa" endpoints)" = "$pb	(none)" -a \
    "$(wga show "$ifa" allowed-ips)" = "$pb	100.64.0.2/32 10.210.0.0/24" -a \
    "$(wga show "$ifa" persistent-keepalive)" = "$pb	off"
check "A: the handshake with B is forgotten (peer added again)" \
    test "$(wga show "$ifa" latest-handshakes)" = "$pb	0"
check "ping A -> B fails: neither side has an endpoint" \
    sh -c "! ip netns exec $nsa ping -c 1 -W 1 100.64.0.2 >/dev/null"
check "A: endpoint of B set to 10.99.0.2:51820" \
    drive a endpoint "$pb" 10.99.0.2:51820 -
# wireguard-go waits 5 s (REKEY_TIMEOUT) after the initiation it could
# not send for want of an endpoint.
check "ping A -> B through the tunnel again" \
    wait_until 15 ip netns exec "$nsa" ping -c 1 -W 1 100.64.0.2
check "B learned A's endpoint from the handshake" \
    test "$(ip netns exec "$nsb" wg show "$ifb" endpoints)" = \
    "$pa	10.99.0.1:51820"
check "ping A -> B's routed network: allowed IPs came back" \
    sh -c "ip netns exec $nsa ping -c 1 -W 2 10.210.0.1 >/dev/null"
check "B: remove peer A" drive b remove "$pa"
check "ping A -> B fails without the peer" \
    sh -c "! ip netns exec $nsa ping -c 1 -W 1 100.64.0.2 >/dev/null"
check "A: close" drive a close
check "B: close" drive b close
check "both links gone" \
    sh -c "! ip -n $nsa link show $ifa 2>/dev/null && ! ip -n $nsb link show $ifb 2>/dev/null"
check "both sockets gone" \
    test ! -e "/var/run/wireguard/$ifa.sock" -a ! -e "/var/run/wireguard/$ifb.sock"
stop a
stop b
check "no wireguard-go of ours left" \
    sh -c "! pgrep -f 'wireguard-go -f ($ifa|$ifb)\$' >/dev/null"

finish
