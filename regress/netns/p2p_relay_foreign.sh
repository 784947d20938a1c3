#!/bin/bash
# Two relay servers, both named by management: rel://10.213.0.1 (plain)
# and rels://relay2.test, TLS with a certificate made here for that
# name, which the daemons' /etc/hosts puts at 10.213.0.2 and their CA
# bundle holds alone.  Two daemons behind symmetric NATs with UDP
# between them dropped and no TURN.  While they start, a reaches only the first
# relay and b only the second, so their home relays differ.  They meet
# on the controller's home: the other side connects to it as a foreign
# relay, from the address in the controller's offer, and both are
# Connected, Relayed, through the same relay.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
. "$(dirname "$0")/p2p.subr"
p2p_need_relay
P2P_NO_TURN=1
need_cmd openssl
R1=rel://$HUBIP:$RELAYPORT R2=rels://relay2.test:$RELAYPORT
P2P_RELAYS="$R1 $R2"
p2p_setup
p2p_relay_start relay1 "$HUBIP" || { notok "relay server 1 starts"; finish; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -nodes -days 1 -subj /CN=relay2.test \
    -addext subjectAltName=DNS:relay2.test -keyout "$tmp/key.pem" \
    -out "$tmp/cert.pem" 2>/dev/null
p2p_relay_start relay2 "$ALTIP" --tls-cert "$tmp/cert.pem" \
    --tls-key "$tmp/key.pem" --instance-url "$R2" ||
    { notok "relay server 2 (TLS) starts"; finish; }

p2p_router ra symmetric
p2p_router rb symmetric
p2p_new a ra
p2p_new b rb
for n in a b; do
	nbd_etc "$n" "$tmp/cert.pem"
	echo "$ALTIP relay2.test" >>"/etc/netns/${NSOF[$n]}/hosts"
done
p2p_block_udp ra rb
# TCP from a's router to relay 2 and from b's to relay 1 refused.
ip netns exec "$hub" nft -f - <<EOF || { notok "hub: relay filter"; finish; }
table inet relayblock {
	chain input {
		type filter hook input priority filter; policy accept;
		ip saddr ${RWAN[ra]} ip daddr $ALTIP tcp dport $RELAYPORT reject with tcp reset
		ip saddr ${RWAN[rb]} ip daddr $HUBIP tcp dport $RELAYPORT reject with tcp reset
	}
}
EOF
nbd_up a b
check "a: home relay is $R1" wait_until 30 \
    grep -q "relay: home is $R1" "${DIROF[a]}/log"
check "b: home relay is $R2" wait_until 30 \
    grep -q "relay: home is $R2" "${DIROF[b]}/log"
ip netns exec "$hub" nft delete table inet relayblock

if p2p_controlling a b; then
	ctl=a other=b home=$R1
else
	ctl=b other=a home=$R2
fi
echo "# $ctl controls; they meet on its home relay $home"
p2p_connect_check a b Relayed 90
check "$other: $home is a foreign relay for $ctl" grep -q \
    "relay $home: foreign, for peer" "${DIROF[$other]}/log"
for x in "a b" "b a"; do
	set -- $x
	key=$(nbd_pub "$2")
	addr=$(nbd_ctl "$1" -j show peers | "$PYTHON" "$QUERY" json \
	    "next(p['relayAddress'] for p in s['peers']['details'] if p['publicKey'] == '$key')")
	check "$1 shows $2 relayed by $home (shows $addr)" test "$addr" = "$home"
done
p2p_ping_check a b

for n in a b; do
	nbd_stop_check "$n"
done
finish
