#!/bin/bash
# Two daemons, each behind a cone NAT of its own (nftables masquerade:
# one mapping per source, port 51820 kept; only replies let in), so
# neither can reach the other's host candidate: each shows the other
# Connected, P2P, through server-reflexive candidates (a remote srflx,
# or prflx when the check came before the candidate), WireGuard's
# endpoint is the other router's public address and port 51820, and
# pings cross the overlay both ways.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
. "$(dirname "$0")/p2p.subr"
p2p_need
p2p_setup

p2p_router ra cone
p2p_router rb cone
p2p_new a ra
p2p_new b rb
nbd_up a b
p2p_connect_check a b P2P 30
p2p_types_check a b 'host|srflx' 'srflx|prflx'
p2p_types_check b a 'host|srflx' 'srflx|prflx'
both="$(p2p_peer_state a b) $(p2p_peer_state b a)"
check "a server-reflexive candidate in the selected pair ($both)" \
    p2p_match "$both" srflx
p2p_ping_check a b
p2p_endpoint_check a b "${RWAN[rb]}:$WGPORT"
p2p_endpoint_check b a "${RWAN[ra]}:$WGPORT"
nbd_up a b
nbd_stop_check a
nbd_stop_check b
finish
