#!/bin/bash
# The raw socket of the WireGuard port (netbirdd/rawsock.c, ice_raw.c,
# protocol.md 4.8) beside wireguard-go, which owns the UDP port: in
# namespace A, wireguard-go on port 51820 and raw_drive with the raw
# socket on that port; from namespace B, over veth, a Python client
# sends what may and may not come through.  Checked: the filter is
# locked; a STUN Binding request reaches the raw socket and decodes with
# the right addresses; a WireGuard-looking datagram, a datagram that is
# not STUN, STUN to another port and a broadcast do not; the answers
# come back from port 51820, with a valid UDP checksum when the source
# is pinned (the receiving kernel drops a bad one, as the control with
# a wrong checksum shows) and with none otherwise; and a WireGuard
# handshake between two wireguard-go still completes.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd ip wg wireguard-go ping ss

DRIVE=$TOP/regress/netns/raw_drive
if [ ! -x "$DRIVE" ] && ! make -s -C "$TOP/regress/netns" raw_drive; then
	notok "build raw_drive"
	finish
fi

PORT=51820
nsa=nbdrawa$$ nsb=nbdrawb$$
ifa=nbra$$ ifb=nbrb$$
ipa=10.77.0.1 ipb=10.77.0.2
tmp=$(mktemp -d)
wgpids= dpid=

cleanup() {
	if [ "$FAILED" -ne 0 ]; then
		for f in "$tmp"/*.log "$tmp"/*.out; do
			[ -f "$f" ] && sed "s|^|# $(basename "$f"): |" "$f"
		done
	fi
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null
	for p in $wgpids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$nsa" 2>/dev/null
	ip netns del "$nsb" 2>/dev/null
	rm -f "/var/run/wireguard/$ifa.sock" "/var/run/wireguard/$ifb.sock"
	rm -rf "$tmp"
}
trap cleanup EXIT

# wgup NS IF KEY ADDR PEERKEY PEERIP PEERADDR: wireguard-go on PORT.
wgup() {
	ip netns exec "$1" env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 \
	    WG_PROCESS_FOREGROUND=1 LOG_LEVEL=error wireguard-go -f "$2" >>"$tmp/wg-$2.log" 2>&1 &
	wgpids="$wgpids $!"
	wait_until 10 test -S "/var/run/wireguard/$2.sock" || return 1
	echo "$3" >"$tmp/$2.key"
	ip netns exec "$1" wg set "$2" private-key "$tmp/$2.key" \
	    listen-port "$PORT" peer "$5" allowed-ips "$6/32" \
	    endpoint "$7:$PORT" &&
	ip -n "$1" addr add "$4/24" dev "$2" &&
	ip -n "$1" link set "$2" up
}

ip netns add "$nsa" && ip netns add "$nsb" || { notok "netns"; finish; }
ip -n "$nsa" link set lo up
ip -n "$nsb" link set lo up
ip link add "ra$$" netns "$nsa" type veth peer "rb$$" netns "$nsb"
ip -n "$nsa" addr add "$ipa/24" brd + dev "ra$$"
ip -n "$nsb" addr add "$ipb/24" brd + dev "rb$$"
ip -n "$nsa" link set "ra$$" up
ip -n "$nsb" link set "rb$$" up

ka=$(wg genkey) kb=$(wg genkey)
pa=$(echo "$ka" | wg pubkey) pb=$(echo "$kb" | wg pubkey)
check "wireguard-go A on port $PORT" \
    wgup "$nsa" "$ifa" "$ka" 100.65.0.1 "$pb" 100.65.0.2 "$ipb"
check "wireguard-go B on port $PORT" \
    wgup "$nsb" "$ifb" "$kb" 100.65.0.2 "$pa" 100.65.0.1 "$ipa"
check "A: wireguard-go owns UDP port $PORT" \
    sh -c "ip netns exec $nsa ss -Hulnp sport = :$PORT | grep -q wireguard-go"

mkfifo "$tmp/drive.in"
ip netns exec "$nsa" "$DRIVE" "$PORT" <"$tmp/drive.in" >"$tmp/drive.out" \
    2>"$tmp/drive.log" &
dpid=$!
exec 3>"$tmp/drive.in"
check "raw socket open" wait_until 10 grep -qx ready "$tmp/drive.out"
check "raw socket: the filter is locked (SO_DETACH_FILTER: EPERM)" \
    grep -qx locked "$tmp/drive.out"

# From B: what must not pass, then a STUN Binding request.  The client
# reads the answers on its socket and, with a raw socket of its own,
# their UDP headers as they arrived.
ip netns exec "$nsb" "$PYTHON" - "$ipa" "$PORT" >"$tmp/client.out" \
    2>"$tmp/client.log" <<'EOF'
import socket, struct, sys, time

a, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 0))
me = s.getsockname()[1]
print("port", me)
cap = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
cap.settimeout(0.2)

stun = (bytes([0, 1, 0, 8, 0x21, 0x12, 0xa4, 0x42]) + bytes(range(1, 13)) +
        b"\x80\x22\x00\x04nbd!")
# A handshake initiation's first bytes: type 1, then a sender index.
wg = bytes([1, 0, 0, 0]) + b"\x21\x12\xa4\x43" + bytes(140)
s.sendto(wg, (a, port))
s.sendto(b"hello, not STUN at all", (a, port))
s.sendto(stun, (a, port + 1))
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
b.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
b.sendto(stun, ("10.77.0.255", port))
time.sleep(0.5)
s.sendto(stun, (a, port))

def csum(src, dst, udp):
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + \
        struct.pack("!BBH", 0, 17, len(udp))
    data = pseudo + udp[:6] + b"\0\0" + udp[8:]
    if len(data) % 2:
        data += b"\0"
    t = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    t = ~t & 0xffff
    return t or 0xffff

s.settimeout(0.2)
end = time.time() + 3
while time.time() < end:
    try:
        data, src = s.recvfrom(2048)
        print("udp", src[0], src[1], data.decode())
    except socket.timeout:
        pass
    while True:
        try:
            pkt = cap.recv(2048)
        except socket.timeout:
            break
        ihl = (pkt[0] & 15) * 4
        udp = pkt[ihl:]
        sport, dport, ulen, sent = struct.unpack("!HHHH", udp[:8])
        if dport != me or sport != port:
            continue
        src = socket.inet_ntoa(pkt[12:16])
        dst = socket.inet_ntoa(pkt[16:20])
        good = sent != 0 and sent == csum(src, dst, udp[:ulen])
        print("raw", udp[8:ulen].decode(), src, "sum",
              "none" if sent == 0 else "good" if good else "bad")
EOF
sport=$(sed -n 's/^port //p' "$tmp/client.out")

check "STUN request from B:$sport reached the raw socket" \
    wait_until 5 grep -q '^got ' "$tmp/drive.out"
check "decoded: from $ipb:$sport to $ipa:$PORT, 28 bytes of STUN" \
    grep -qx "got $ipb:$sport $ipa:$PORT 28" "$tmp/drive.out"
check "nothing else came through: WireGuard-looking, not STUN, other port, broadcast" \
    test "$(grep -c -e '^got ' -e '^undecodable ' "$tmp/drive.out")" = 1
check "answer from $ipa:$PORT, source pinned, received by B's UDP socket" \
    grep -qx "udp $ipa $PORT pinned" "$tmp/client.out"
check "its UDP checksum is right" \
    grep -qx "raw pinned $ipa sum good" "$tmp/client.out"
check "answer from $ipa:$PORT without a source: received, checksum 0" \
    sh -c "grep -qx 'udp $ipa $PORT any' $tmp/client.out &&
    grep -qx 'raw any $ipa sum none' $tmp/client.out"
check "control: a wrong checksum arrives but B's UDP socket never sees it" \
    sh -c "grep -qx 'raw badsum $ipa sum bad' $tmp/client.out &&
    ! grep -q '^udp .* badsum' $tmp/client.out"

check "WireGuard: ping A -> B through wireguard-go" \
    wait_until 10 ip netns exec "$nsa" ping -c 1 -W 1 100.65.0.2
check "WireGuard: handshake completed on both sides" \
    sh -c "ip netns exec $nsa wg show $ifa latest-handshakes |
    awk '{ exit !(\$2 > 0) }' && ip netns exec $nsb wg show $ifb \
    latest-handshakes | awk '{ exit !(\$2 > 0) }'"
check "WireGuard traffic never reached the raw socket" \
    test "$(grep -c -e '^got ' -e '^undecodable ' "$tmp/drive.out")" = 1

exec 3>&-
wait_until 5 sh -c "! kill -0 $dpid"
wait "$dpid"
check "raw_drive exited cleanly" test $? = 0
dpid=
check "raw_drive logged no error" test ! -s "$tmp/drive.log"
finish
