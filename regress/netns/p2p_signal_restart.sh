#!/bin/bash
# The signal server goes away and comes back.  Two daemons on the hub's
# LAN, Connected P2P.  With the signal server stopped: both say signal
# is disconnected, and the tunnel stays (Connected, pings cross).  With
# it started again on the same address: both reconnect to it, the
# connection between them was never torn down (no new "connected" line
# in their logs), and a third daemon that joins then connects to both.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
. "$(dirname "$0")/p2p.subr"
p2p_need
p2p_setup

sig_is() { test "$(nbd_js "$1" 's["signal"]["connected"]')" = "$2"; }

p2p_new a
p2p_new b
nbd_up a b
p2p_connect_check a b P2P 30
for n in a b; do
	check "$n: signal connected" wait_for 15 sig_is "$n" true
done
ca=$(p2p_connects a) cb=$(p2p_connects b)

p2p_signal_stop
ok "signal server stopped"
for n in a b; do
	check "$n: says signal is disconnected within 30 s" \
	    wait_for 30 sig_is "$n" false
done
sleep 5
check "signal down: a still shows b Connected, P2P" p2p_is a b P2P
check "signal down: b still shows a Connected, P2P" p2p_is b a P2P
p2p_ping_check a b

p2p_signal_start || { notok "signal server starts again"; finish; }
ok "signal server started again on $HUBIP:$SIGPORT"
for n in a b; do
	check "$n: signal connected again within 30 s" \
	    wait_for 30 sig_is "$n" true
done
check "a still shows b Connected, P2P" p2p_is a b P2P
check "b still shows a Connected, P2P" p2p_is b a P2P
check "a: the connection to b was not made again ($ca -> $(p2p_connects a))" \
    test "$(p2p_connects a)" = "$ca"
check "b: the connection to a was not made again ($cb -> $(p2p_connects b))" \
    test "$(p2p_connects b)" = "$cb"
p2p_ping_check a b

p2p_join_check c a b
nbd_up a b c
for n in a b c; do
	nbd_stop_check "$n"
done
finish
