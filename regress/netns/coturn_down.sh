#!/bin/bash
# coturn (STUN and TURN) goes away and comes back.  a and b on the hub's
# LAN, Connected P2P, with coturn up: "Relays: 2/2 Available".  Then:
#  - coturn stops: within 60 s show status says "Relays: 0/2 Available"
#    and -d names both Unavailable with a reason; the log says "STUN
#    server ...: no answer" once; the P2P tunnel stays and pings cross;
#  - a third daemon c joins meanwhile: it connects P2P to a and b over
#    host candidates, its agents not held up by the servers that do not
#    answer;
#  - coturn starts again: within 60 s "Relays: 2/2 Available" again.
# The times are printed.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
. "$(dirname "$0")/p2p.subr"
p2p_need
p2p_setup

relays_are() {
	nbd_ctl "$1" show status | grep -qx "Relays: $2 Available"
}
relays_say() { nbd_ctl "$1" show status | grep '^Relays' | sed "s/^/# $1: /"; }
both_unavailable() {
	local d
	d=$(nbd_ctl "$1" show status -d) || return 1
	printf '%s\n' "$d" | grep -Eq "\[stun:$HUBIP:$TURNPORT\] is Unavailable, reason: .+" &&
	    printf '%s\n' "$d" | grep -Eq "\[turn:$HUBIP:$TURNPORT[^]]*\] is Unavailable, reason: .+"
}
stun_lines() { grep -c "STUN server $HUBIP: no answer" "${DIROF[$1]}/log"; }

p2p_new a
p2p_new b
nbd_up a b
p2p_connect_check a b P2P 30
check "coturn up: a says Relays: 2/2 Available" \
    wait_for 30 relays_are a 2/2

coturn_stop
ok "coturn stopped"
for n in a b; do
	check_within 60 "$n: Relays: 0/2 Available" relays_are "$n" 0/2
	relays_say "$n"
done
check "a: show status -d names STUN and TURN Unavailable, with reasons" \
    both_unavailable a
nbd_ctl a show status -d | grep 'is Unavailable' | sed 's/^/# /'
check "a: the log says the STUN server does not answer, once" \
    test "$(stun_lines a)" = 1
check "coturn down: a still shows b Connected, P2P" p2p_is a b P2P
check "coturn down: b still shows a Connected, P2P" p2p_is b a P2P
p2p_ping_check a b

p2p_join_check c a b

coturn_start "$hub" "$HUBIP" "$TURNPORT" 2>"$tmp/coturn.err" || {
	notok "coturn starts again"
	finish
}
ok "coturn started again"
for n in a c; do
	check_within 60 "$n: Relays: 2/2 Available again" \
	    relays_are "$n" 2/2
	relays_say "$n"
done
check "a still shows b Connected, P2P" p2p_is a b P2P
check "a still shows c Connected, P2P" p2p_is a c P2P
nbd_up a b c
for n in a b c; do
	nbd_stop_check "$n"
done
finish
