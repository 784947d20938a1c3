#!/bin/bash
# Joining a network: real daemons (userspace WireGuard) in namespaces of
# their own register with the test management server using a setup key.
# Two, then five: each must show every other in "netbirdctl show peers"
# and in "wg show" (wg(8), the real tool) with the allowed IPs of the
# map, and report its address, FQDN, serial and last sync.  Then the map
# changes under them: a peer is added, gains an allowed IP outside the
# overlay (and a route), changes address, is removed; one daemon's own
# address changes.  Everything is compared with what the server holds.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
mgmt_need
hub_setup

srv_start s 0 || { notok "management server starts"; finish; }
url="http://$HUBIP:${SRVPORT[s]}"
: >"$tmp/extras"

declare -A procs
serial() { srv s '{"cmd": "state"}' "r['serial']"; }
same() { test "$1" = "$2"; }

# all_in_sync NAMES...: every daemon's wg and peer list match the map.
all_in_sync() {
	local n
	for n in "$@"; do
		srv_knows s "$n" && wg_in_sync s "$n" &&
		    peers_in_sync s "$n" || return 1
	done
}

# check_map WHAT NAMES...: the per-daemon checks of the map as it is.
check_map() {
	local stage=$1 n
	shift
	for n in "$@"; do
		check "$stage: $n: wg show allowed-ips = the map's peers" \
		    wg_in_sync s "$n"
		check "$stage: $n: show peers lists the map's peers (JSON)" \
		    peers_in_sync s "$n"
		check "$stage: $n: show peers lists the map's peers (text)" \
		    peers_text_ok s "$n"
	done
}

# check_status WHAT NAMES...: status fields against the server's view.
check_status() {
	local stage=$1 n key ip fq sr st npeers ka
	shift
	sr=$(serial)
	npeers=$(srv s '{"cmd": "state"}' "len(r['peers'])")
	for n in "$@"; do
		key=$(nbd_pub "$n")
		ip=$(srv_peer s "$key" "['ip']")
		fq=$(srv_peer s "$key" "['fqdn']")
		st=$(nbd_ctl "$n" show status)
		check "$stage: $n: Management: Connected to $url" \
		    grep -qxF "Management: Connected to $url" <<<"$st"
		check "$stage: $n: NetBird IP: $ip/16" \
		    grep -qxF "NetBird IP: $ip/16" <<<"$st"
		check "$stage: $n: FQDN: $fq" grep -qxF "FQDN: $fq" <<<"$st"
		check "$stage: $n: last sync recent, serial $sr" \
		    grep -Eqx "Last sync: (Now|[0-9]+ seconds? ago) \(serial $sr\)" \
		    <<<"$st"
		check "$stage: $n: $((npeers - 1)) peers in the count" \
		    grep -Eqx "Peers count: [0-9]+/$((npeers - 1)) Connected" \
		    <<<"$st"
		check "$stage: $n: Signal: the server management gave" \
		    grep -Eqx "Signal: (Connected to|Disconnected from) http://$HUBIP:10000(, reason: .+)?" \
		    <<<"$st"
		check "$stage: $n: public key in the status is its key" \
		    grep -qxF "Public key: $key" <<<"$st"
		check "$stage: $n: interface address $ip/16 (ip addr)" test \
		    "$(ip -n "${NSOF[$n]}" -4 -o addr show dev "${IFOF[$n]}" |
		    awk '{ print $4 }')" = "$ip/16"
		ka=$(nbd_wg "$n" show "${IFOF[$n]}" persistent-keepalive) ||
		    ka=failed
		check "$stage: $n: keepalive off on each of its $((npeers - 1)) peers (no endpoint without ICE)" \
		    test "$(printf '%s\n' "$ka" | awk '$2 == "off"' | wc -l)" = \
		    $((npeers - 1)) -a "$(printf '%s\n' "$ka" | wc -l)" = $((npeers - 1))
	done
}

# --- two peers ---------------------------------------------------------
nbd_new a "$url"
nbd_new b "$url"
nbd_up a b
if wait_until 30 all_in_sync a b; then
	ok "two peers: both configured from the map within 30 s"
else
	notok "two peers: both configured from the map within 30 s"
fi
check "two peers: the server registered both" \
    test "$(srv s '{"cmd": "state"}' "len(r['peers'])")" = 2
for n in a b; do
	key=$(nbd_pub "$n")
	check "two peers: $n registered under its host name peer-$n" \
	    test "$(srv_peer s "$key" "['hostname']")" = "peer-$n"
	check "two peers: $n reported netbirdVersion 0.77.1" \
	    test "$(srv_peer s "$key" "['netbird_version']")" = 0.77.1
	check "two peers: $n: interface up, port 51820" sh -c \
	    "ip -n ${NSOF[$n]} link show ${IFOF[$n]} | grep -q ',UP' &&
	    test \"\$(ip netns exec ${NSOF[$n]} wg show ${IFOF[$n]} listen-port)\" = 51820"
	check "two peers: $n: wg public key is the one registered" \
	    test "$(nbd_wg "$n" show "${IFOF[$n]}" public-key)" = "$key"
done
nbd_up a b
check_map "two peers" a b
check_status "two peers" a b

# --- five peers --------------------------------------------------------
for n in c d e; do
	nbd_new "$n" "$url"
done
nbd_up a b c d e
if wait_until 40 all_in_sync a b c d e; then
	ok "five peers: all five configured from the map within 40 s"
else
	notok "five peers: all five configured from the map within 40 s"
fi
check "five peers: the server registered five" \
    test "$(srv s '{"cmd": "state"}' "len(r['peers'])")" = 5
check "five peers: five distinct overlay addresses" test "$(srv s \
    '{"cmd": "state"}' "len(set(p['ip'] for p in r['peers']))")" = 5
nbd_up a b c d e
for n in a b c d e; do
	procs[$n]=$(nbd_procs "$n")
done
check_map "five peers" a b c d e
check_status "five peers" a b c d e

# --- the map changes ---------------------------------------------------
rkey=$(newkey)
srv s "{\"cmd\": \"add_peer\", \"key\": \"$rkey\", \"name\": \"remote-r\"}" \
    >/dev/null
check "peer added: every daemon has it within 15 s" \
    wait_until 15 all_in_sync a b c d e
check_map "peer added" a b c d e

echo "$rkey 10.50.0.0/24" >"$tmp/extras"
srv s "{\"cmd\": \"update_peer\", \"key\": \"$rkey\", \"extra_ips\": [\"10.50.0.0/24\"]}" \
    >/dev/null
check "allowed IP added: every daemon has it within 15 s" \
    wait_until 15 all_in_sync a b c d e
check_map "allowed IP added" a b c d e
for n in a b c d e; do
	check "allowed IP added: $n: route 10.50.0.0/24 via the interface" \
	    sh -c "ip -n ${NSOF[$n]} route show 10.50.0.0/24 |
	    grep -q 'dev ${IFOF[$n]}'"
done

srv s "{\"cmd\": \"update_peer\", \"key\": \"$rkey\", \"ip\": \"100.64.200.7\"}" \
    >/dev/null
check "peer address changed: every daemon has 100.64.200.7/32 within 15 s" \
    wait_until 15 all_in_sync a b c d e
check "peer address changed: a: wg show has 100.64.200.7/32 for it" sh -c \
    "ip netns exec ${NSOF[a]} wg show ${IFOF[a]} allowed-ips |
    grep -q '^$rkey.*100.64.200.7/32'"

srv s "{\"cmd\": \"update_peer\", \"key\": \"$rkey\", \"name\": \"renamed-r\"}" \
    >/dev/null
check "peer renamed: every daemon shows renamed-r.netbird.selfhosted within 15 s" \
    wait_until 15 all_in_sync a b c d e
check "peer renamed: a: show peers has the new name" sh -c \
    "timeout 10 '$NETBIRDCTL' -s ${DIROF[a]}/sock show peers |
    grep -q '^renamed-r.netbird.selfhosted '"

: >"$tmp/extras"
srv s "{\"cmd\": \"remove_peer\", \"key\": \"$rkey\"}" >/dev/null
check "peer removed: gone from every daemon within 15 s" \
    wait_until 15 all_in_sync a b c d e
for n in a b c d e; do
	check "peer removed: $n: not in wg show" sh -c \
	    "! ip netns exec ${NSOF[$n]} wg show ${IFOF[$n]} peers | grep -qxF '$rkey'"
	check "peer removed: $n: not in show peers" sh -c \
	    "! timeout 10 '$NETBIRDCTL' -s ${DIROF[$n]}/sock show peers | grep -qF '$rkey'"
	check "peer removed: $n: its route 10.50.0.0/24 is gone" \
	    test -z "$(ip -n "${NSOF[$n]}" route show 10.50.0.0/24)"
done
check_status "peer removed" a b c d e

akey=$(nbd_pub a)
srv s "{\"cmd\": \"update_peer\", \"key\": \"$akey\", \"ip\": \"100.64.9.9\"}" \
    >/dev/null
check "own address changed: a's interface has 100.64.9.9/16 within 15 s" \
    wait_until 15 sh -c "test \"\$(ip -n ${NSOF[a]} -4 -o addr show dev ${IFOF[a]} |
    awk '{ print \$4 }')\" = 100.64.9.9/16"
check "own address changed: the others have 100.64.9.9/32 for a" \
    wait_until 15 all_in_sync a b c d e
check_status "own address changed" a b c d e

nbd_up a b c d e

# --- clean stop --------------------------------------------------------
for n in a b c d e; do
	check "$n: same processes as at the start" \
	    same "$(nbd_procs "$n")" "${procs[$n]}"
	nbd_stop_check "$n"
done
finish
