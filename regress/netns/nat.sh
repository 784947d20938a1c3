#!/bin/bash
# The network the peer-to-peer scenarios stand on (p2p.subr), checked
# without any daemon: STUN Binding requests (regress/fixtures/
# stun_probe.py) from port 51820 of hosts behind each kind of router to
# a STUN server on the hub that listens on two addresses and two ports,
# and answers from another address or port when asked (RFC 5780
# CHANGE-REQUEST).  Checked:
#  - a host on the hub is seen at its own address;
#  - behind the cone NAT: one mapping (the router's address, port 51820
#    kept) for every destination, even one that sent first; an answer
#    from another port or address is not let in;
#  - behind the symmetric NAT: a different port for every destination,
#    the same one again for the same destination;
#  - behind the full-cone NAT: port 51820 kept, and answers from
#    anywhere let in;
#  - private addresses behind one router cannot be reached from the hub
#    or from behind another router;
#  - p2p_block_udp cuts UDP between two NATs and nothing else, and
#    p2p_unblock_udp restores it; p2p_link_down/up cut and restore a
#    host's uplink;
#  - coturn (when installed) answers STUN from behind the NATs with the
#    same mappings, and relays between two allocations made from behind
#    the symmetric NAT (turnutils_uclient, coturn's own test client).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
. "$(dirname "$0")/p2p.subr"
need_root
need_cmd ip nft ping ss

p2p_topo_setup || { notok "hub namespace and its nftables"; finish; }

S1=$HUBIP:3479 S1P=$HUBIP:3480 S2=$ALTIP:3479 S2P=$ALTIP:3480
p2p_bg "$hub" "$PYTHON" "$STUNPROBE" serve --listen "$S1" --listen "$S1P" \
    --listen "$S2" --listen "$S2P" >"$tmp/stun.out" 2>"$tmp/stun.err"
if ! wait_until 10 grep -q '^ready' "$tmp/stun.out"; then
	notok "STUN server starts in the hub"
	finish
fi

p2p_router rc cone && p2p_router rs symmetric && p2p_router rf fullcone &&
    p2p_host hp && p2p_host hc rc && p2p_host hs rs && p2p_host hf rf
check "three routers and four hosts made" test $? = 0

# probe HOST [--change X] [--timeout S] SERVER...: "server mapped ip:port"
# lines, from HOST's address, port 51820.
probe() {
	local h=$1
	shift
	ip netns exec "${NSOF[$h]}" "$PYTHON" "$STUNPROBE" probe \
	    --bind "${ADDROF[$h]}:$WGPORT" "$@"
}
# mapped LINES N: the mapped address on line N.
mapped() { printf '%s\n' "$1" | awk -v n="$2" 'NR == n { print $3 }'; }
same() { test -n "$1" && test "$1" = "$2"; }
distinct() { test "$(printf '%s\n' "$@" | sort -u | grep -c .)" = $#; }

# --- no NAT ---------------------------------------------------------------
out=$(probe hp "$S1")
check "hub host: seen at its own address ${ADDROF[hp]}:$WGPORT" \
    same "$(mapped "$out" 1)" "${ADDROF[hp]}:$WGPORT"

# --- cone -----------------------------------------------------------------
# Filtering first: an answer from an address and port the host has sent
# to (here or earlier, while conntrack remembers it) is a reply.  These
# unsolicited answers must leave no state on the router: the mapping to
# their sender, made afterwards, is still port 51820 (see p2p_nat_rules).
check "cone: an answer from another port is not let in" \
    test "$(probe hc --change port --timeout 1 "$S1")" = "$S1 timeout"
check "cone: an answer from another address is not let in" \
    test "$(probe hc --change both --timeout 1 "$S1")" = "$S1 timeout"
out=$(probe hc "$S1" "$S2" "$S1P")
echo "# cone: $(echo $out)"
check "cone: $S1 answers through the NAT" \
    same "${out%%$'\n'*}" "$S1 mapped $(mapped "$out" 1)"
check "cone: mapped to the router's address, port $WGPORT kept" \
    same "$(mapped "$out" 1)" "${RWAN[rc]}:$WGPORT"
check "cone: the same mapping for another server address" \
    same "$(mapped "$out" 2)" "$(mapped "$out" 1)"
check "cone: the same mapping for a server port that had sent first" \
    same "$(mapped "$out" 3)" "$(mapped "$out" 1)"
check "cone: now that it sent there, an answer from that port is a reply" \
    same "$(mapped "$(probe hc --change port "$S1")" 1)" "${RWAN[rc]}:$WGPORT"

# --- symmetric ------------------------------------------------------------
out=$(probe hs "$S1" "$S2" "$S1P" "$S1")
echo "# symmetric: $(echo $out)"
m1=$(mapped "$out" 1) m2=$(mapped "$out" 2) m3=$(mapped "$out" 3)
check "symmetric: all four requests answered through the NAT" \
    test "$(printf '%s\n' "$out" | grep -c ' mapped ')" = 4
check "symmetric: mapped to the router's address" \
    test "${m1%:*}" = "${RWAN[rs]}" -a "${m2%:*}" = "${RWAN[rs]}" \
    -a "${m3%:*}" = "${RWAN[rs]}"
check "symmetric: three destinations, three different ports" \
    distinct "$m1" "$m2" "$m3"
check "symmetric: the same destination again, the same port" \
    same "$(mapped "$out" 4)" "$m1"

# --- full cone --------------------------------------------------------------
out=$(probe hf "$S1" "$S2")
echo "# full cone: $(echo $out)"
check "full cone: mapped to the router's address, port $WGPORT kept" \
    same "$(mapped "$out" 1)" "${RWAN[rf]}:$WGPORT"
check "full cone: the same mapping for another server address" \
    same "$(mapped "$out" 2)" "$(mapped "$out" 1)"
out=$(probe hf --change both "$S1")
check "full cone: an answer from another address and port is let in" \
    same "$(mapped "$out" 1)" "${RWAN[rf]}:$WGPORT"

# --- private addresses stay private ---------------------------------------
nopath() { ! ip netns exec "${NSOF[$1]}" ping -q -n -c 1 -W 1 "$2" >/dev/null 2>&1; }
check "the hub cannot reach a host behind a NAT (${ADDROF[hc]})" \
    nopath hp "${ADDROF[hc]}"
check "behind one NAT, a host behind another cannot be reached" \
    nopath hc "${ADDROF[hs]}"
haspath() { ip netns exec "${NSOF[$1]}" ping -q -n -c 1 -W 2 "$2" >/dev/null 2>&1; }
check "behind a NAT, the hub host is reachable" haspath hc "${ADDROF[hp]}"

# --- blocking UDP between two NATs ----------------------------------------
# A STUN server on the full-cone host's port 51820, which its router
# forwards: the cone host reaches it at the router's address.
p2p_bg "${NSOF[hf]}" "$PYTHON" "$STUNPROBE" serve \
    --listen "${ADDROF[hf]}:$WGPORT" >"$tmp/stunf.out" 2>"$tmp/stunf.err"
wait_until 10 grep -q '^ready' "$tmp/stunf.out"
F=${RWAN[rf]}:$WGPORT
out=$(probe hc "$F")
check "cone host -> full-cone host through both NATs" \
    same "$(mapped "$out" 1)" "${RWAN[rc]}:$WGPORT"
check "p2p_block_udp between the two routers" p2p_block_udp rc rf
check "blocked: UDP between the two NATs is dropped" \
    test "$(probe hc --timeout 1 "$F")" = "$F timeout"
check "blocked: the way to the hub's servers stays open" \
    same "$(mapped "$(probe hc "$S1")" 1)" "${RWAN[rc]}:$WGPORT"
check "blocked: the way between the full-cone NAT and the hub too" \
    same "$(mapped "$(probe hf "$S2")" 1)" "${RWAN[rf]}:$WGPORT"
check "p2p_unblock_udp" p2p_unblock_udp rc rf
check "unblocked: UDP between the two NATs flows again" \
    same "$(mapped "$(probe hc "$F")" 1)" "${RWAN[rc]}:$WGPORT"

# --- link down and up -----------------------------------------------------
check "p2p_link_down of the cone host" p2p_link_down hc
check "link down: no answer" \
    test "$(probe hc --timeout 1 "$S1")" = "$S1 timeout"
check "p2p_link_up of the cone host" p2p_link_up hc
check "link up: answered again, same mapping" \
    same "$(mapped "$(probe hc "$S1")" 1)" "${RWAN[rc]}:$WGPORT"
check "p2p_link_down of a router" p2p_link_down rs
check "router link down: no answer behind it" \
    test "$(probe hs --timeout 1 "$S2")" = "$S2 timeout"
check "p2p_link_up of the router" p2p_link_up rs
check "router link up: answered again" \
    test "$(mapped "$(probe hs "$S2")" 1 | cut -d: -f1)" = "${RWAN[rs]}"

# --- coturn ---------------------------------------------------------------
if [ -f "$TOP/regress/netns/coturn.subr" ] &&
    command -v turnserver >/dev/null 2>&1; then
	. "$TOP/regress/netns/coturn.subr"
	if coturn_start "$hub" "$HUBIP" "$TURNPORT" 2>"$tmp/coturn.err"; then
		ok "coturn starts on $HUBIP:$TURNPORT"
		T=$HUBIP:$TURNPORT
		check "coturn: seen from behind the cone NAT at its mapping" \
		    same "$(mapped "$(probe hc "$T")" 1)" "${RWAN[rc]}:$WGPORT"
		out=$(probe hs "$T" "$S1")
		check "coturn: behind the symmetric NAT, a port of its own" \
		    distinct "$(mapped "$out" 1)" "$(mapped "$out" 2)"
		# Two allocations relaying to each other (REST credentials
		# from the secret the management server's are made with).
		out=$(ip netns exec "${NSOF[hs]}" timeout 30 \
		    turnutils_uclient -y -c -n 20 -l 200 -u test \
		    -W "${COTURN_SECRET:-$(coturn_default_secret)}" \
		    -e "$HUBIP" -X "$HUBIP" 2>&1)
		echo "# turnutils_uclient:$(printf '%s\n' "$out" |
		    grep -E 'tot_(send|recv)_msgs=[0-9]+$|lost packets' |
		    sed 's/^[0-9]*: : / /' | tr -d '\n')"
		check "coturn: relays between two allocations made behind the symmetric NAT" \
		    p2p_match "$out" 'tot_send_msgs=40, tot_recv_msgs=40$'
	else
		sed 's/^/# /' "$tmp/coturn.err"
		notok "coturn starts on $HUBIP:$TURNPORT"
	fi
else
	skip "coturn checks: coturn or regress/netns/coturn.subr missing"
fi
finish
