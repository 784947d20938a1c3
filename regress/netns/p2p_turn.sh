#!/bin/bash
# Both daemons behind symmetric NATs and UDP between the two NATs
# dropped: no direct path exists, and the pair must go through coturn.
# Each shows the other Connected, Relayed, with a relay candidate in the
# selected pair; the side whose local candidate is the relay has
# WireGuard's endpoint on its local proxy (127.0.0.1), the other on
# coturn's relayed address; pings cross the overlay both ways, and the
# drop rule did drop (so nothing went around it).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
. "$(dirname "$0")/p2p.subr"
p2p_need
p2p_setup

p2p_router ra symmetric
p2p_router rb symmetric
p2p_block_udp ra rb
p2p_new a ra
p2p_new b rb
nbd_up a b
p2p_connect_check a b Relayed 40
both="$(p2p_peer_state a b) $(p2p_peer_state b a)"
check "a relay candidate in the selected pair ($both)" \
    p2p_match "$both" relay
p2p_ping_check a b

# relay_endpoint_check A B: where A's WireGuard sends B's packets.
relay_endpoint_check() {
	local st
	st=$(p2p_peer_state "$1" "$2")
	set -- $st "$1" "$2"
	if [ "$3" = relay ]; then
		p2p_endpoint_check "$5" "$6" '127\.0\.0\.1:[0-9]+'
	else
		p2p_endpoint_check "$5" "$6" "${HUBIP//./\\.}:[0-9]+"
	fi
}
relay_endpoint_check a b
relay_endpoint_check b a
drops=$(ip netns exec "$hub" nft list chain bridge p2p forward |
    sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
check "UDP between the two NATs was tried and dropped ($drops packets)" \
    test "${drops:-0}" -gt 0
nbd_up a b
nbd_stop_check a
nbd_stop_check b
finish
