#!/bin/bash
# Five daemons in one network converge to a full mesh: three on the
# hub's LAN, two behind cone NATs of their own.  Every one shows every
# other Connected, P2P, within 60 s; the ten pairs ping both ways; every
# daemon has a WireGuard handshake with each of its four peers.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
. "$(dirname "$0")/p2p.subr"
p2p_need
p2p_setup

all="a b c d e"
p2p_router rd cone
p2p_router re cone
p2p_new a
p2p_new b
p2p_new c
p2p_new d rd
p2p_new e re
nbd_up $all

# A line per daemon: what it shows of each other.
matrix() {
	local x y
	for x in $all; do
		for y in $all; do
			[ "$x" = "$y" ] && continue
			echo "# $x -> $y: $(p2p_peer_state "$x" "$y" 2>/dev/null)"
		done
	done
}

if wait_for 60 p2p_mesh_connected P2P $all; then
	ok "all 20 views Connected, P2P, within 60 s ($WAITED s)"
	matrix
else
	notok "all 20 views Connected, P2P, within 60 s"
	matrix
	finish
fi
set -- $all
while [ $# -gt 1 ]; do
	x=$1
	shift
	for y in "$@"; do
		p2p_ping_check "$x" "$y"
	done
done
hs_all() {
	local y
	for y in $all; do
		[ "$y" = "$1" ] && continue
		test "$(p2p_handshake "$1" "$y")" -gt 0 || return 1
	done
}
for x in $all; do
	check "$x: a WireGuard handshake with each of its 4 peers" hs_all "$x"
done
nbd_up $all
for x in $all; do
	nbd_stop_check "$x"
done
finish
