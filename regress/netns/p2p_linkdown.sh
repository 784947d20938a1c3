#!/bin/bash
# A path that dies and comes back.  a on the hub's LAN, b behind a cone
# NAT; Connected P2P.  Then the NAT router's uplink goes down for 25 s:
# within 30 s both stop showing each other Connected (ICE checks fail,
# the handshake watcher gives up).  Once the link is up, both show each
# other Connected, P2P, again within 60 s (guard backoff at most 30-45 s,
# plus ICE), without anything done by hand, and pings cross.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
. "$(dirname "$0")/p2p.subr"
p2p_need
p2p_setup

p2p_router rb cone
p2p_new a
p2p_new b rb
nbd_up a b
p2p_connect_check a b P2P 30
p2p_ping_check a b

t0=$(date +%s%N)
check "the link of b's router goes down" p2p_link_down rb
for x in "a b" "b a"; do
	set -- $x
	if wait_for 30 p2p_not_connected "$1" "$2"; then
		ok "link down: $1 no longer shows $2 Connected (after $WAITED s)"
	else
		notok "link down: $1 no longer shows $2 Connected within 30 s"
	fi
	p2p_show "$1" "$2"
done
noping() { ! p2p_ping "$1" "$2"; }
check "link down: no ping gets across" noping a b
left=$((25 - $(p2p_since "$t0" | cut -d. -f1)))
[ "$left" -gt 0 ] && sleep "$left"
check "the link of b's router comes up after $(p2p_since "$t0") s" \
    p2p_link_up rb
p2p_connect_check a b P2P 60
p2p_ping_check a b
nbd_up a b
nbd_stop_check a
nbd_stop_check b
finish
