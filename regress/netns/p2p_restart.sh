#!/bin/bash
# A peer restarts: the other reconnects to it without anything done by
# hand.  Two daemons on the hub's LAN, Connected P2P; then the
# controlled one (the lower key) is restarted, then the controlling one.
# Each time: the other starts an agent with a session id the restarted
# daemon offered since its restart (both logs), that id is new, both
# log a new connection and show each other Connected, P2P, again, and
# pings cross.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
. "$(dirname "$0")/p2p.subr"
p2p_need
p2p_setup

p2p_new a
p2p_new b
nbd_up a b
p2p_connect_check a b P2P 30
p2p_ping_check a b
p2p_fqdn a >/dev/null
p2p_fqdn b >/dev/null

if p2p_controlling a b; then
	order="b a"
else
	order="a b"
fi
# took_new: y started an agent with a session id x sent since line lx.
took_new() {
	test -n "$(comm -12 <(p2p_sids_remote "$y" "$x" "$ly") \
	    <(p2p_sids_sent "$x" "$y" "$lx"))"
}
connected_again() {
	p2p_log "$x" "$y" "$lx" | grep -Eq "$P2P_RE_CONNECTED" &&
	    p2p_log "$y" "$x" "$ly" | grep -Eq "$P2P_RE_CONNECTED"
}

role=controlled
for x in $order; do
	[ "$x" = a ] && y=b || y=a
	old=$(p2p_sids_sent "$x" "$y")
	lx=$(p2p_loglines "$x") ly=$(p2p_loglines "$y")
	nbd_stop "$x"
	check "$x ($role) stops" test "$nbd_rc" = 0
	nbd_up "$x"
	if wait_for 45 took_new; then
		ok "$y: started an agent with $x's new session id within 45 s" \
		    "($WAITED s)"
	else
		notok "$y: started an agent with $x's new session id within 45 s"
	fi
	new=$(p2p_sids_sent "$x" "$y" "$lx")
	took=$(comm -12 <(p2p_sids_remote "$y" "$x" "$ly") <(echo "$new"))
	echo "# $x sent session ids before: $(echo $old); after: $(echo $new);" \
	    "$y took: $(echo $took)"
	check "$x ($role): its new session ids are all new" \
	    test -n "$new" -a -z "$(comm -12 <(echo "$old") <(echo "$new"))"
	if p2p_log "$y" "$x" "$ly" | grep -q 'remote ICE session changed'; then
		echo "# $y saw the remote session change while its agent ran"
	fi
	if wait_for 45 connected_again; then
		ok "both logged a new connection within 45 s ($WAITED s)"
	else
		notok "both logged a new connection within 45 s"
	fi
	p2p_connect_check a b P2P 15
	p2p_ping_check a b
	role=controlling
done
nbd_up a b
nbd_stop_check a
nbd_stop_check b
finish
