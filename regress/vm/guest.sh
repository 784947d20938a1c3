#!/bin/bash
# Inside the VM of kernel_wg.sh: the kernel WireGuard backend driven by
# wg_drive (as regress/netns/wg_test.sh does for wireguard-go) and the
# real daemon, checked with wg(8) and ip(8), which read the kernel's
# state on their own.  One namespace: backend selection, key, port and
# port fallback, MTU, addresses, peers, allowed IPs, keepalive,
# endpoints, preshared key, routes, statistics, peer sets split over
# several netlink messages, stale and foreign links, close.  Two
# namespaces joined by veth ping through the tunnel.  Then netbirdd -d
# with "wireguard kernel" and "auto" creates the interface and removes it
# on SIGTERM.
TOP=/
. /lib.sh

DRIVE=/bin/wg_drive
nsa=nbdwga nsb=nbdwgb
ifa=nbwa ifb=nbwb ifc=nbwc
tmp=$(mktemp -d)
declare -A dpid

# start NAME NS: a driver in NS on fds (in, out) named after NAME.
start() {
	mkfifo "$tmp/$1.in" "$tmp/$1.out"
	ip netns exec "$2" "$DRIVE" <"$tmp/$1.in" >"$tmp/$1.out" \
	    2>>"$tmp/$1.log" &
	dpid[$1]=$!
	case $1 in
	a) exec 3>"$tmp/a.in" 4<"$tmp/a.out" ;;
	b) exec 5>"$tmp/b.in" 6<"$tmp/b.out" ;;
	c) exec 7>"$tmp/c.in" 8<"$tmp/c.out" ;;
	esac
}

# stop NAME: quit the driver, bounded; it must exit 0.
stop() {
	local p=${dpid[$1]}
	case $1 in
	a) echo quit >&3; exec 3>&- 4<&- ;;
	b) echo quit >&5; exec 5>&- 6<&- ;;
	c) echo quit >&7; exec 7>&- 8<&- ;;
	esac
	wait_until 10 sh -c "! kill -0 $p" || kill -KILL "$p"
	wait "$p" 2>/dev/null
	check "driver $1 exited cleanly" test $? = 0
	unset "dpid[$1]"
	rm -f "$tmp/$1.in" "$tmp/$1.out"
}

# drive NAME command...: answer lines in $reply, the time a command
# took in $elapsed; status 0 = "done 0".
drive() {
	local in out line
	case $1 in a) in=3 out=4 ;; b) in=5 out=6 ;; c) in=7 out=8 ;; esac
	shift
	reply=
	echo "$*" >&"$in" || return 2
	while IFS= read -r -t 120 -u "$out" line; do
		case $line in
		"done 0") return 0 ;;
		"done "*) return 1 ;;
		"elapsed_ms "*) elapsed=${line#elapsed_ms } ;;
		*) reply+="$line"$'\n' ;;
		esac
	done
	return 2
}

# refused "what" NAME command...: ok if the driver answers "done 1".
refused() {
	local what=$1
	shift
	if drive "$@"; then notok "$what"; else ok "$what"; fi
}

logged() { grep -Eq "$2" "$tmp/$1.log"; }
count_logged() { grep -Ec "$2" "$tmp/$1.log"; }
wga() { ip netns exec "$nsa" wg "$@"; }
# kind_of NS IFNAME: the link's kind (wireguard or veth), or nothing.
kind_of() {
	ip -n "$1" -d -o link show "$2" 2>/dev/null |
	    grep -Eo ' (wireguard|veth) ' | tr -d ' '
}
# wg_has WHAT LINE: "wg show $ifa WHAT" in $nsa has this exact line.
wg_has() { wga show "$ifa" "$1" | grep -qxF "$2"; }
# link_has REGEX: "ip link show $ifa" in $nsa matches.
link_has() { ip -n "$nsa" link show "$ifa" | grep -Eq "$1"; }
link_gone() { ! ip -n "$1" link show "$2" >/dev/null 2>&1; }
drive_value() { reply=${reply#* }; reply=${reply%$'\n'}; }

# ping_within SECONDS NS ADDRESS: a reply within that time.
ping_within() {
	local end=$(($(date +%s) + $1))
	while [ "$(date +%s)" -lt "$end" ]; do
		ip netns exec "$2" ping -c 1 -W 1 "$3" >/dev/null && return 0
	done
	return 1
}

dump_logs() {
	for f in "$tmp"/*.log; do
		[ -s "$f" ] && sed "s|^|# $(basename "$f"): |" "$f"
	done
	dmesg | tail -n 20 | sed 's/^/# dmesg: /'
}

if [ ! -d /sys/module/wireguard ]; then
	notok "wireguard module loaded"
	exit 1
fi
ok "wireguard module loaded (version $(cat /sys/module/wireguard/version))"

ka=$(wg genkey) kb=$(wg genkey) kc=$(wg genkey)
pa=$(echo "$ka" | wg pubkey) pb=$(echo "$kb" | wg pubkey)
pc=$(echo "$kc" | wg pubkey) psk=$(wg genpsk)

ip netns add "$nsa" && ip netns add "$nsb" || { notok "netns"; exit 1; }
ip -n "$nsa" link set lo up
ip -n "$nsb" link set lo up

# --- one namespace --------------------------------------------------
start a "$nsa"
check "kernel: open" drive a open "$ifa" kernel 51820 1280 "$ka"
drive a backend
check "kernel: backend is kernel" test "$reply" = $'backend kernel\n'
check "kernel: link of kind wireguard" \
    test "$(kind_of "$nsa" "$ifa")" = wireguard
check "kernel: said in one line" \
    test "$(count_logged a "$ifa: WireGuard up, kernel backend, port 51820")" \
    = 1
check "link is up" link_has '<.*UP.*>'
check "MTU 1280 from open" link_has 'mtu 1280 '
check "wg show: public key is ours" test "$(wga show "$ifa" public-key)" = "$pa"
check "wg show: private key is ours" wg_has private-key "$ka"
check "wg show: listen port 51820" test "$(wga show "$ifa" listen-port)" = 51820
drive a port
check "port read back: 51820" test "$reply" = $'port 51820\n'
check "no private key in the log" sh -c "! grep -qF '$ka' $tmp/a.log"

check "mtu 1400" drive a mtu 1400
check "ip link: mtu 1400" link_has 'mtu 1400 '

check "address 100.64.0.1/16" drive a addr 100.64.0.1/16
check "ip addr: 100.64.0.1/16" \
    sh -c "ip -n $nsa -4 addr show dev $ifa | grep -q 'inet 100.64.0.1/16 '"
check "address replaced by 100.64.0.9/16" drive a addr 100.64.0.9/16
check "ip addr: only 100.64.0.9/16" \
    test "$(ip -n "$nsa" -4 -o addr show dev "$ifa" | awk '{print $4}')" = \
    100.64.0.9/16
check "IPv6 address fd00:100::1/64" drive a addr fd00:100::1/64
check "ip addr: fd00:100::1/64, IPv4 kept" \
    sh -c "ip -n $nsa addr show dev $ifa | grep -q 'inet6 fd00:100::1/64 ' &&
    ip -n $nsa addr show dev $ifa | grep -q 'inet 100.64.0.9/16 '"
check "clear IPv6 addresses" drive a clearaddr 6
check "ip addr: no global IPv6 left" \
    sh -c "! ip -n $nsa -6 addr show dev $ifa scope global | grep -q inet6"

check "peer B: endpoint, keepalive 25, two allowed IPs" \
    drive a peer "$pb" 25 10.99.0.2:51820 replace 100.64.0.2/32,10.200.0.0/24
check "wg show: endpoint 10.99.0.2:51820" \
    test "$(wga show "$ifa" endpoints)" = "$pb	10.99.0.2:51820"
check "wg show: keepalive 25" \
    test "$(wga show "$ifa" persistent-keepalive)" = "$pb	25"
check "wg show: allowed IPs" \
    test "$(wga show "$ifa" allowed-ips)" = "$pb	100.64.0.2/32 10.200.0.0/24"
check "peer B updated without replace: allowed IPs added" \
    drive a peer "$pb" 25 - add 10.201.0.0/24
check "wg show: three allowed IPs" test "$(wga show "$ifa" allowed-ips)" = \
    "$pb	100.64.0.2/32 10.200.0.0/24 10.201.0.0/24"
check "wg show: endpoint kept" \
    test "$(wga show "$ifa" endpoints)" = "$pb	10.99.0.2:51820"
check "peer B replaced allowed IPs" \
    drive a peer "$pb" 25 10.99.0.2:51820 replace 100.64.0.2/32
check "wg show: one allowed IP" \
    test "$(wga show "$ifa" allowed-ips)" = "$pb	100.64.0.2/32"
check "peer C: IPv6 endpoint, preshared key, no keepalive" \
    drive a peer "$pc" 0 "[fd00::5]:123" replace fd00:1::/64 "$psk"
check "wg show: peer C endpoint [fd00::5]:123" \
    wg_has endpoints "$pc	[fd00::5]:123"
check "wg show: peer C preshared key" \
    wg_has preshared-keys "$pc	$psk"
check "wg show: peer C keepalive off" \
    wg_has persistent-keepalive "$pc	off"
check "wg show: peer B has no preshared key" \
    wg_has preshared-keys "$pb	(none)"
check "no preshared key in the log" sh -c "! grep -qF '$psk' $tmp/a.log"
refused "endpoint port 0 refused" \
    a peer "$pc" 25 1.2.3.4:0 replace 100.64.0.3/32
check "refused peer changed nothing" \
    wg_has allowed-ips "$pc	fd00:1::/64"

check "route add 10.200.0.0/24" drive a route add 10.200.0.0/24
check "route add fd00:2::/64" drive a route add fd00:2::/64
check "ip route: 10.200.0.0/24 dev $ifa proto 78" \
    sh -c "ip -n $nsa route show proto 78 | grep -q '^10.200.0.0/24 dev $ifa '"
check "ip -6 route: fd00:2::/64 dev $ifa proto 78" \
    sh -c "ip -n $nsa -6 route show proto 78 | grep -q '^fd00:2::/64 dev $ifa '"
check "route add again (idempotent)" drive a route add 10.200.0.0/24
check "route del 10.200.0.0/24" drive a route del 10.200.0.0/24
check "ip route: 10.200.0.0/24 gone" \
    sh -c "! ip -n $nsa route show proto 78 | grep -q '^10.200.0.0/24'"
check "route del again (not an error)" drive a route del 10.200.0.0/24

check "remove peer C" drive a remove "$pc"
check "wg show: peer C gone, B kept" test "$(wga show "$ifa" peers)" = "$pb"
check "remove peer C again (not an error)" drive a remove "$pc"
check "stats: one peer" drive a stats
check "stats: peer B, endpoint, no handshake yet" \
    test "$reply" = "stat $pb 0 0 0 10.99.0.2:51820"$'\n'

# One peer with the most allowed IPs: cut over several messages.
check "one peer with 4096 allowed IPs" drive a peers 1 4096
big=$(wga show "$ifa" allowed-ips | awk 'NF == 4097 { print $1 }')
check "wg show: one peer with all 4096 allowed IPs" test -n "$big"
check "wg show: its first and last allowed IP" sh -c "ip netns exec $nsa \
    wg show $ifa allowed-ips | grep -F '$big' |
    grep -q '10.128.0.0/32 .* 10.128.15.255/32\$'"
check "stats: two peers" drive a stats
check "stats: two lines" test "$(printf %s "$reply" | grep -c '^stat ')" = 2
check "remove it" drive a remove "$big"
check "wg show: B alone again" test "$(wga show "$ifa" peers)" = "$pb"

# Many peers: the set is split over several messages (about 70 each).
check "300 peers in one call" drive a peers 300 2
ms300=$elapsed
check "wg show: 301 peers" test "$(wga show "$ifa" peers | wc -l)" = 301
check "wg show: 601 allowed IPs" \
    test "$(wga show "$ifa" allowed-ips |
    awk '{ n += NF - 1 } END { print n }')" = 601
check "wg show: every new peer has keepalive 25" \
    test "$(wga show "$ifa" persistent-keepalive | grep -c '	25$')" = 301
check "stats of 301 peers" drive a stats
check "stats: 301 lines" test "$(printf %s "$reply" | grep -c '^stat ')" = 301
echo "# kernel: 300 peers (2 allowed IPs each) set in $ms300 ms," \
    "statistics of 301 peers read in $elapsed ms (in the VM)"

# The port is taken (by the first interface): the kernel picks one.
start c "$nsa"
check "second interface: open on the taken port 51820" \
    drive c open "$ifc" kernel 51820 1280 "$kc"
drive c port
drive_value
port=$reply
check "port taken: fell back to another port ($port)" \
    test -n "$port" -a "$port" != 51820 -a "$port" != 0
check "port taken: wg show agrees" \
    test "$(wga show "$ifc" listen-port)" = "$port"
check "port taken: logged once" \
    test "$(count_logged c \
    "UDP port 51820 is in use, listening on port $port")" = 1
check "second interface: close" drive c close
check "second interface: link gone" link_gone "$nsa" "$ifc"
check "first interface untouched" test "$(wga show "$ifa" public-key)" = "$pa"
stop c

check "close" drive a close
check "close: link gone" link_gone "$nsa" "$ifa"
check "close: our routes gone" \
    test -z "$(ip -n "$nsa" route show proto 78;
    ip -n "$nsa" -6 route show proto 78)"
check "close: said so" logged a "$ifa: WireGuard interface removed"

check "auto: open" drive a open "$ifa" auto 0 0 "$ka"
drive a backend
check "auto: picked the kernel" test "$reply" = $'backend kernel\n'
check "auto: no fallback" sh -c "! grep -q 'not available' $tmp/a.log"
drive a port
drive_value
check "port 0: the kernel chose one ($reply)" test "$reply" != 0
check "MTU 0: the kernel's default (1420)" \
    sh -c "ip -n $nsa link show $ifa | grep -q 'mtu 1420 '"
check "close" drive a close

# Leftovers: a wireguard link of our name is removed, a foreign one kept.
ip -n "$nsa" link add "$ifa" type wireguard
check "stale wireguard link: open" drive a open "$ifa" kernel 51820 1280 "$ka"
check "stale wireguard link: removed and said" \
    logged a "$ifa: removed a stale WireGuard interface of that name"
check "stale wireguard link: now ours" wg_has public-key "$pa"
check "close" drive a close
if [ -d /sys/module/veth ]; then
	ip -n "$nsa" link add "$ifa" type veth peer nbdy
	refused "foreign link of our name refused" \
	    a open "$ifa" auto 51820 1280 "$ka"
	check "foreign link: says so" \
	    logged a "interface $ifa exists \(kind veth\), not ours"
	check "foreign link: left alone" test "$(kind_of "$nsa" "$ifa")" = veth
	ip -n "$nsa" link del "$ifa"
	ip -n "$nsa" link add nbdx type veth peer nbdz
	ip -n "$nsa" link set nbdx up
	ip -n "$nsa" link set nbdz up
	ip -n "$nsa" route add 10.251.0.0/24 dev nbdx proto 78
	check "old routes of ours: open" drive a open "$ifa" kernel 51820 1280 "$ka"
	check "old routes of ours: flushed at open" \
	    test -z "$(ip -n "$nsa" route show proto 78)"
	ip -n "$nsa" link del nbdx
	check "close" drive a close
else
	skip "foreign link and old routes: no veth module"
fi
stop a

# The driver dies: a kernel link outlives it; the next open removes it.
start a "$nsa"
check "open again" drive a open "$ifa" kernel 51820 1280 "$ka"
{ kill -KILL "${dpid[a]}"; wait "${dpid[a]}"; } 2>/dev/null
exec 3>&- 4<&-
unset "dpid[a]"
rm -f "$tmp/a.in" "$tmp/a.out"
check "driver killed: the kernel link stays" \
    test "$(kind_of "$nsa" "$ifa")" = wireguard
start a "$nsa"
check "driver restarted: open" drive a open "$ifa" kernel 51820 1280 "$ka"
check "driver restarted: the leftover removed" \
    logged a "$ifa: removed a stale WireGuard interface of that name"
check "close" drive a close
stop a

# --- two namespaces through veth -------------------------------------
if [ -d /sys/module/veth ]; then
	ip link add va netns "$nsa" type veth peer vb netns "$nsb"
	ip -n "$nsa" addr add 10.99.0.1/24 dev va
	ip -n "$nsb" addr add 10.99.0.2/24 dev vb
	ip -n "$nsa" link set va up
	ip -n "$nsb" link set vb up
	ip -n "$nsb" addr add 10.210.0.1/32 dev lo

	start a "$nsa"
	start b "$nsb"
	check "A: open (kernel)" drive a open "$ifa" kernel 51820 1280 "$ka"
	check "B: open (kernel)" drive b open "$ifb" kernel 51820 1280 "$kb"
	check "A: address" drive a addr 100.64.0.1/16
	check "B: address" drive b addr 100.64.0.2/16
	check "A: peer B" drive a peer "$pb" 25 10.99.0.2:51820 replace \
	    100.64.0.2/32,10.210.0.0/24
	check "B: peer A" drive b peer "$pa" 25 10.99.0.1:51820 replace \
	    100.64.0.1/32
	check "A: route to B's network 10.210.0.0/24" \
	    drive a route add 10.210.0.0/24
	# Both sides start a handshake at once (keepalive set on both):
	# the initiations can cross, each side then rejects the other's
	# response and WireGuard retries after 5 s, so allow some time.
	t0=$(date +%s)
	check "tunnel up: A reaches B within 30 s" ping_within 30 "$nsa" \
	    100.64.0.2
	echo "# tunnel up after $(($(date +%s) - t0)) s"
	check "ping A -> B through the tunnel" \
	    sh -c "ip netns exec $nsa ping -c 3 -W 5 100.64.0.2 >/dev/null"
	check "ping B -> A through the tunnel" \
	    sh -c "ip netns exec $nsb ping -c 3 -W 5 100.64.0.1 >/dev/null"
	check "ping A -> B's routed network through the tunnel" \
	    sh -c "ip netns exec $nsa ping -c 3 -W 5 10.210.0.1 >/dev/null"
	check "A: stats" drive a stats
	read -r _ key hs rx tx ep <<<"$reply"
	now=$(date +%s)
	check "A stats: peer B" test "$key" = "$pb"
	check "A stats: handshake time within a minute ($((now - hs)) s ago)" \
	    test "$hs" -gt $((now - 60)) -a "$hs" -le $((now + 1))
	check "A stats: received $rx bytes" test "$rx" -gt 0
	check "A stats: sent $tx bytes" test "$tx" -gt 0
	check "A stats: endpoint $ep" test "$ep" = 10.99.0.2:51820
	check "A stats agree with wg show transfer" sh -c "ip netns exec $nsa \
	    wg show $ifa transfer | grep -qxF '$pb	$rx	$tx'"
	check "B: stats" drive b stats
	read -r _ key hs rx tx ep <<<"$reply"
	check "B stats: peer A, traffic and handshake" \
	    test "$key" = "$pa" -a "$hs" -gt 0 -a "$rx" -gt 0 -a "$tx" -gt 0
	check "B: remove peer A" drive b remove "$pa"
	check "ping A -> B fails without the peer" \
	    sh -c "! ip netns exec $nsa ping -c 1 -W 1 100.64.0.2 >/dev/null"
	check "A: close" drive a close
	check "B: close" drive b close
	check "both links gone" sh -c "! ip -n $nsa link show $ifa 2>/dev/null &&
	    ! ip -n $nsb link show $ifb 2>/dev/null"
	stop a
	stop b
else
	skip "two namespaces: no veth module"
fi

# --- the daemon ------------------------------------------------------
sock=/run/netbirdd.sock
pid= runs=0

# children_started: every child of the daemon has said "started" (-v),
# so each has its SIGTERM handler: a SIGTERM earlier kills a child
# outright and the daemon exits with status 1.
children_started() {
	local n
	n=$(grep -l "^PPid:[[:space:]]*$pid\$" /proc/[0-9]*/status 2>/dev/null |
	    wc -l)
	[ "$n" -gt 0 ] && [ "$(grep -c ': started$' "$dlog")" -ge "$n" ]
}

# daemon_run BACKEND: netbirdd -d -v in $nsa with "wireguard BACKEND",
# its log in $dlog (a new file each time: children of a killed daemon
# may still write to the old one).  The control socket is bound before
# the interface is made: wait for the startup line, for every child and
# for netbirdctl.
daemon_run() {
	runs=$((runs + 1))
	dlog=$tmp/daemon$runs.log
	cat >"$tmp/netbirdd.conf" <<CONF
management "http://127.0.0.1:1"
interface "nbk0"
wireguard $1
state-dir "/var/lib/netbirdd"
log level debug
CONF
	chmod 600 "$tmp/netbirdd.conf"
	ip netns exec "$nsa" netbirdd -d -v -f "$tmp/netbirdd.conf" \
	    -s "$sock" 2>"$dlog" &
	pid=$!
	wait_until 60 grep -q 'startup: netbirdd' "$dlog" &&
	    wait_until 60 children_started &&
	    wait_until 30 timeout 10 netbirdctl -s "$sock" show status
}

# daemon_stop: SIGTERM; status in $rc.
daemon_stop() {
	kill -TERM "$pid"
	if wait_until 20 sh -c "! kill -0 $pid"; then
		wait "$pid"
		rc=$?
	else
		kill -KILL "$pid"
		wait "$pid"
		rc=timeout
	fi
	pid=
}

for backend in kernel auto; do
	if ! daemon_run "$backend"; then
		notok "daemon ($backend): starts"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		continue
	fi
	ok "daemon ($backend): starts"
	pub=$(wg pubkey </var/lib/netbirdd/private.key)
	check "daemon ($backend): nbk0 is a wireguard link" \
	    test "$(kind_of "$nsa" nbk0)" = wireguard
	check "daemon ($backend): nbk0 is up, MTU 1280" \
	    sh -c "ip -n $nsa link show nbk0 | grep -q '<.*UP.*> mtu 1280 '"
	check "daemon ($backend): wg show: our key and port 51820" sh -c \
	    "test \"\$(ip netns exec $nsa wg show nbk0 public-key)\" = '$pub' &&
	    test \"\$(ip netns exec $nsa wg show nbk0 listen-port)\" = 51820"
	check "daemon ($backend): logged the kernel backend" \
	    grep -q 'nbk0: WireGuard up, kernel backend, port 51820' "$dlog"
	check "daemon ($backend): netbirdctl says Kernel" sh -c \
	    "timeout 10 netbirdctl -s $sock show status |
	    grep -qx 'Interface: nbk0 (Kernel), port 51820, MTU 1280'"
	daemon_stop
	check "daemon ($backend): SIGTERM, exit status 0" test "$rc" = 0
	check "daemon ($backend): interface removed" link_gone "$nsa" nbk0
	check "daemon ($backend): socket removed" test ! -e "$sock"
done

# Killed outright, the daemon leaves the kernel link; it cleans up at start.
if daemon_run kernel; then
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	pid=
	check "daemon killed: the kernel link stays" \
	    test "$(kind_of "$nsa" nbk0)" = wireguard
	rm -f "$sock"
	check "daemon restarted" daemon_run kernel
	check "daemon restarted: the leftover removed" \
	    grep -q 'nbk0: removed a stale WireGuard interface' "$dlog"
	check "daemon restarted: nbk0 up with our key" test \
	    "$(ip netns exec "$nsa" wg show nbk0 public-key)" = "$pub"
	daemon_stop
	check "daemon restarted: SIGTERM, interface removed" \
	    sh -c "test '$rc' = 0 && ! ip -n $nsa link show nbk0 2>/dev/null"
else
	notok "daemon (kill): starts"
fi

[ "$FAILED" -eq 0 ] || dump_logs
finish
