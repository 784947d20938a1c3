#!/bin/bash
# A daemon behind a symmetric NAT (masquerade random: a new port for
# every destination, so its server-reflexive candidate is useless to its
# peers) and two that are not: b on the hub with a public address, and
# c behind a full-cone NAT (WireGuard's port forwarded).  a reaches both
# directly: its checks open a mapping the other side learns as a
# peer-reflexive candidate.  So every pair is Connected, P2P; b and c
# see a through a prflx candidate at a's router, on a port other than
# the one a's srflx candidate names; a sees b's host and c's srflx
# candidate; pings cross the overlay every way.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
. "$(dirname "$0")/p2p.subr"
p2p_need
p2p_setup

p2p_router ra symmetric
p2p_router rc fullcone
p2p_new a ra
p2p_new b
p2p_new c rc
nbd_up a b c
p2p_connect_check a b P2P 30
p2p_connect_check a c P2P 30
p2p_connect_check b c P2P 30
p2p_types_check b a 'host' 'prflx'
p2p_types_check c a 'host|srflx' 'prflx'
p2p_types_check a b 'host|srflx|prflx' 'host'
p2p_types_check a c 'host|srflx|prflx' 'srflx'
p2p_ping_check a b
p2p_ping_check a c
p2p_ping_check b c
p2p_endpoint_check a b "${ADDROF[b]}:$WGPORT"
p2p_endpoint_check a c "${RWAN[rc]}:$WGPORT"
p2p_endpoint_check b a "${RWAN[ra]}:[0-9]+"
p2p_endpoint_check c a "${RWAN[ra]}:[0-9]+"
eb=$(p2p_endpoint b a) ec=$(p2p_endpoint c a)
check "b and c reach a's router on two different ports ($eb, $ec)" \
    test -n "$eb" -a "$eb" != "$ec"
nbd_up a b c
for n in a b c; do
	nbd_stop_check "$n"
done
finish
