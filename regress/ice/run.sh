#!/bin/sh
# Our ICE agent against libnice's NiceAgent, an independent ICE
# implementation: two network namespaces joined by a veth pair, ice_peer
# (our agent on a raw socket of port 51820, a plain UDP socket on that
# port in WireGuard's place) in one, nice_peer in the other, wired
# line by line by wire.py.  Then a Go-style check with 0x8100 after
# FINGERPRINT from a Python sender.  Logs of the peers in $tmp, kept
# with NBD_KEEP.

cd "$(dirname "$0")" || exit 1
. ../lib.sh

need_root
need_cmd ip
if [ ! -x ./ice_peer ] || [ ! -x ./nice_peer ]; then
	notok "ice: ice_peer or nice_peer is not built"
	finish
fi

nsa=nbicea$$
nsb=nbiceb$$
tmp=$(mktemp -d /tmp/nbice.XXXXXX)
cleanup() {
	ip netns del "$nsa" 2>/dev/null
	ip netns del "$nsb" 2>/dev/null
	if [ -n "$NBD_KEEP" ]; then
		echo "# logs in $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ip netns add "$nsa" && ip netns add "$nsb" &&
ip -n "$nsa" link set lo up && ip -n "$nsb" link set lo up &&
ip -n "$nsa" link add va type veth peer name vb netns "$nsb" &&
ip -n "$nsa" addr add 10.214.0.1/24 dev va &&
ip -n "$nsb" addr add 10.214.0.2/24 dev vb &&
ip -n "$nsa" link set va up && ip -n "$nsb" link set vb up ||
    { notok "ice: set up the namespaces"; finish; }

"$PYTHON" ./wire.py interop "$nsa" "$nsb" 10.214.0.1 10.214.0.2 "$tmp" ||
    FAILED=$((FAILED + 1))
"$PYTHON" ./wire.py trailing "$nsa" "$nsb" 10.214.0.1 10.214.0.2 "$tmp" ||
    FAILED=$((FAILED + 1))
finish
