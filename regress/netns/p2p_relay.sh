#!/bin/bash
# Two daemons behind symmetric NATs, UDP between their routers dropped,
# no TURN: only the NetBird relay (regress/fixtures/relay_server.py on
# the hub) joins them.  Then, with pings every 0.2 s throughout:
# - the NATs become cone and UDP flows: ICE connects, WireGuard moves
#   to the direct path with no gap longer than one handshake (5 s);
# - UDP is dropped again: ICE is lost, WireGuard is back on the relay;
# - the relay server restarts: both reconnect and are relayed again.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
. "$(dirname "$0")/p2p.subr"
p2p_need_relay
P2P_NO_TURN=1
P2P_RELAYS="rel://$HUBIP:$RELAYPORT"
p2p_setup
p2p_relay_start relay "$HUBIP" || { notok "relay server starts"; finish; }

# ping_start A B SECS: pings from A to B every 0.2 s for at most SECS,
# timestamped, into $tmp/ping.A.B; ping_stop ends them.
ping_start() {
	local ip
	ip=$(p2p_overlay_ip "$2")
	PINGFILE=$tmp/ping.$1.$2
	ip netns exec "${NSOF[$1]}" ping -D -n -i 0.2 -W 1 -w "$3" "$ip" \
	    >"$PINGFILE" 2>&1 &
	PINGPID=$!
	P2P_PIDS="$P2P_PIDS $PINGPID"
}
ping_stop() { kill "$PINGPID" 2>/dev/null; wait "$PINGPID" 2>/dev/null; }
# max_gap: the longest run of pings not answered within 1 s (one that
# waited in WireGuard for a path counts as lost), from the first sent
# to the last answered, as time: the run and one interval, 0.2 s.
max_gap() {
	awk '/bytes from/ {
		r = $(NF - 1); sub(/time=/, "", r)
		q = $(NF - 3); sub(/icmp_seq=/, "", q)
		if (r + 0 < 1000) ok[q + 0] = 1
		if (q + 0 > last && r + 0 < 1000) last = q + 0
	} END {
		for (i = 1; i <= last; i++) {
			if (ok[i]) { run = 0; continue }
			if (++run > m) m = run
		}
		printf "%.1f\n", (m + 1) * 0.2
	}' "$PINGFILE"
}
answered() { grep -c 'bytes from' "$PINGFILE"; }
relay_addr() {
	local key
	key=$(nbd_pub "$2")
	nbd_ctl "$1" -j show peers | "$PYTHON" "$QUERY" json \
	    "next(p['relayAddress'] for p in s['peers']['details'] if p['publicKey'] == '$key')"
}

p2p_router ra symmetric
p2p_router rb symmetric
p2p_new a ra
p2p_new b rb
p2p_block_udp ra rb
nbd_up a b
for n in a b; do
	check "$n: home relay is rel://$HUBIP:$RELAYPORT" wait_until 30 \
	    grep -q "relay: home is rel://$HUBIP:$RELAYPORT" "${DIROF[$n]}/log"
done
p2p_connect_check a b Relayed 60
check "a shows b through rel://$HUBIP:$RELAYPORT" \
    test "$(relay_addr a b)" = "rel://$HUBIP:$RELAYPORT"
check "b shows a through rel://$HUBIP:$RELAYPORT" \
    test "$(relay_addr b a)" = "rel://$HUBIP:$RELAYPORT"
# The responder sets it 5 s after the relay is up, unless the first
# handshake through the proxy came sooner.
has_endpoint() { local e; e=$(p2p_endpoint a b); [ -n "$e" ] && [ "$e" != "(none)" ]; }
wait_for 10 has_endpoint
p2p_endpoint_check a b '127\.0\.0\.1:[0-9]+'
p2p_ping_check a b

# ICE becomes possible: relayed to P2P.
ping_start a b 120
p2p_router_mode ra cone
p2p_router_mode rb cone
p2p_unblock_udp ra rb
if p2p_wait_connected a b P2P 90 && p2p_wait_connected b a P2P 30; then
	ok "ICE possible: both move to P2P (${WAITED} s)"
else
	notok "ICE possible: both move to P2P" \
	    "(a: $(p2p_peer_state a b), b: $(p2p_peer_state b a))"
fi
sleep 6
ping_stop
gap=$(max_gap)
check "relayed to P2P: no gap over 5 s in the pings (longest $gap s, $(answered) answered)" \
    awk -v g="$gap" 'BEGIN { exit !(g <= 5.0) }'
p2p_endpoint_check a b "${RWAN[rb]}:[0-9]+"
check "a: the relay stays a standby" grep -Eq \
    "relay rel://$HUBIP:$RELAYPORT (now|ready as) a standby" \
    "${DIROF[a]}/log"

# ICE breaks: back to the relay.
ping_start a b 120
p2p_block_udp ra rb
if p2p_wait_connected a b Relayed 60 && p2p_wait_connected b a Relayed 30
then
	ok "ICE lost: both back on the relay (${WAITED} s)"
else
	notok "ICE lost: both back on the relay" \
	    "(a: $(p2p_peer_state a b), b: $(p2p_peer_state b a))"
fi
check "ping a -> b after the move back" p2p_ping a b
ping_stop
echo "# ICE lost to relayed: longest gap in the pings $(max_gap) s"
p2p_endpoint_check a b '127\.0\.0\.1:[0-9]+'

# The relay server restarts.
p2p_relay_stop relay
check "relay gone: a no longer shows b Connected" \
    wait_for 20 p2p_not_connected a b
p2p_relay_start relay "$HUBIP" || { notok "relay server restarts"; finish; }
p2p_connect_check a b Relayed 90
p2p_ping_check a b

for n in a b; do
	check "$n: no relay protocol error in the log" sh -c \
	    "! grep -q 'relay .*: bad message' ${DIROF[$n]}/log"
	nbd_stop_check "$n"
done
finish
