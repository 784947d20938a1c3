#!/bin/bash
# Two daemons on one LAN (the hub's bridge, no NAT between them), with
# the test management and signal servers and coturn: each shows the
# other Connected, P2P, through a host/host pair; WireGuard's endpoint
# is the other's LAN address and port 51820 (no proxy); handshakes
# happen and pings cross the overlay both ways; both stop cleanly.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
. "$(dirname "$0")/p2p.subr"
p2p_need
p2p_setup

p2p_new a
p2p_new b
nbd_up a b
p2p_connect_check a b P2P 30
p2p_types_check a b host host
p2p_types_check b a host host
p2p_ping_check a b
p2p_endpoint_check a b "${ADDROF[b]}:$WGPORT"
p2p_endpoint_check b a "${ADDROF[a]}:$WGPORT"
check "a: a WireGuard handshake with b" test "$(p2p_handshake a b)" -gt 0
check "b: a WireGuard handshake with a" test "$(p2p_handshake b a)" -gt 0
# Keepalive comes with the endpoint (the other side sets it after 5 s).
keepalive_is() {
	test "$(nbd_wg "$1" show "${IFOF[$1]}" persistent-keepalive |
	    awk '{ print $2 }')" = "$2"
}
check "a: keepalive 25 s for b, now that it has an endpoint" \
    wait_until 10 keepalive_is a 25
check "b: keepalive 25 s for a, now that it has an endpoint" \
    wait_until 10 keepalive_is b 25
check "a: the log says connected, P2P" \
    grep -Eq "$P2P_RE_CONNECTED"'P2P' "${DIROF[a]}/log"
nbd_up a b
nbd_stop_check a
nbd_stop_check b
finish
