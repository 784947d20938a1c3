#!/bin/sh
# make demo / make demo-stop: a small NetBird network on this machine,
# built from network namespaces.
#
#   "internet" (namespace nbdemo-hub, a bridge, 10.99.0.0/24)
#     10.99.0.1   the test management server   (regress/fixtures/mgmt_server.py)
#                 the test signal server       (regress/fixtures/signal_server.py)
#                 coturn, for STUN and TURN
#     10.99.0.11  alice   (netbirdd, namespace nbdemo-alice)
#     10.99.0.12  bob     (netbirdd, namespace nbdemo-bob)
#     10.99.0.20  a home router (namespace nbdemo-nat) doing NAT for
#       192.168.10.0/24:
#         192.168.10.2  carol  (netbirdd, namespace nbdemo-carol)
#
# alice and bob reach each other directly on their LAN; carol is behind
# the NAT, so she and the others find their way through it with ICE
# (STUN tells carol her public address and port).  Everything the demo
# makes lives in /run/netbirdd-demo and in namespaces named nbdemo-*;
# "demo.sh stop" (make demo-stop) stops what it started, by PID, and
# removes the rest.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
NETBIRDD=$TOP/netbirdd/netbirdd
NETBIRDCTL=$TOP/netbirdctl/netbirdctl
PYTHON=/usr/bin/python3
dir=/run/netbirdd-demo
hub=nbdemo-hub
nat=nbdemo-nat
HUBIP=10.99.0.1
SETUP_KEY=DE30DE30-0000-4000-8000-000000000001
PEERS="alice bob carol"
# What it needs to run, besides what "make deps" installs to build.
PKGS="iproute2 nftables iputils-ping procps wireguard-go wireguard-tools
    coturn python3 python3-grpcio python3-protobuf python3-nacl
    protobuf-compiler"

say() { printf '%s\n' "$*"; }

# wait_for SECONDS command...: try every 0.2 s, at most SECONDS.
wait_for() {
	n=$(($1 * 5))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

# spawn NAME NETNS command...: a background process in namespace NETNS,
# in a session of its own (it outlives this script and the terminal),
# output in $dir/NAME.log, PID in $dir/NAME.pid.
spawn() {
	name=$1 ns=$2
	shift 2
	ip netns exec "$ns" setsid "$@" >"$dir/$name.log" 2>&1 </dev/null &
	echo $! >"$dir/$name.pid"
}

# --- stop -----------------------------------------------------------------

stop_one() {
	[ -f "$dir/$1.pid" ] || return 0
	pid=$(cat "$dir/$1.pid")
	kill -TERM "$pid" 2>/dev/null
	wait_for 10 sh -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null
	rm -f "$dir/$1.pid"
}

stop() {
	for p in $PEERS; do
		stop_one "$p"
		rm -f "/var/run/wireguard/wt-$p.sock"
	done
	for s in signal mgmt coturn; do
		stop_one "$s"
	done
	for ns in $hub $nat $(for p in $PEERS; do echo "nbdemo-$p"; done); do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$dir"
	say "demo stopped; nothing left behind"
}

# --- the network ----------------------------------------------------------

# link NS DEV ADDR: a veth from the hub's bridge to DEV in NS.
link() {
	ip -n "$hub" link add "v-$1" type veth peer name "$2" netns "$1"
	ip -n "$hub" link set "v-$1" master br0 up
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$1" link set "$2" up
}

network() {
	for ns in $hub $nat nbdemo-alice nbdemo-bob nbdemo-carol; do
		ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
	done
	ip -n $hub link add br0 type bridge
	ip -n $hub addr add $HUBIP/24 dev br0
	ip -n $hub link set br0 up
	# Like any server, coturn needs a default route: without one, a
	# check towards a private candidate fails with "network
	# unreachable" and coturn drops the whole allocation.
	ip -n $hub route add default via 10.99.0.254 dev br0
	link nbdemo-alice eth0 10.99.0.11
	link nbdemo-bob eth0 10.99.0.12
	link $nat wan 10.99.0.20

	# The home router: carol's LAN behind it, masquerade to the hub.
	ip -n $nat link add lan type veth peer name eth0 netns nbdemo-carol
	ip -n $nat addr add 192.168.10.1/24 dev lan
	ip -n $nat link set lan up
	ip -n nbdemo-carol addr add 192.168.10.2/24 dev eth0
	ip -n nbdemo-carol link set eth0 up
	ip -n nbdemo-carol route add default via 192.168.10.1
	ip netns exec $nat sysctl -qw net.ipv4.ip_forward=1
	ip netns exec $nat nft -f - <<EOF
table ip nat {
	chain postrouting {
		type nat hook postrouting priority srcnat;
		oifname "wan" masquerade
	}
}
table ip filter {
	# Nothing comes in from the hub but replies, as on a home router.
	chain input {
		type filter hook input priority filter; policy drop;
		iifname { "lo", "lan" } accept
		ct state established,related accept
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		iifname "lan" accept
		ct state established,related accept
	}
}
EOF
}

# --- the servers ----------------------------------------------------------

servers() {
	cat >"$dir/turnserver.conf" <<EOF
listening-ip=$HUBIP
relay-ip=$HUBIP
listening-port=3478
realm=netbird.demo
use-auth-secret
static-auth-secret=demo-turn-secret
fingerprint
no-tls
no-dtls
no-cli
simple-log
log-file=$dir/turnserver.log
pidfile=$dir/turnserver.pid
userdb=$dir/turndb
EOF
	spawn coturn $hub turnserver -c "$dir/turnserver.conf"
	spawn signal $hub "$PYTHON" "$TOP/regress/fixtures/signal_server.py" \
	    --listen $HUBIP --port 10000 --control "$dir/signal.ctl"
	spawn mgmt $hub "$PYTHON" "$TOP/regress/fixtures/mgmt_server.py" \
	    --listen $HUBIP --port 33073 --control "$dir/mgmt.ctl" \
	    --setup-key $SETUP_KEY --signal "$HUBIP:10000,http" \
	    --stun "stun:$HUBIP:3478" --turn "turn:$HUBIP:3478" \
	    --turn-secret demo-turn-secret
	wait_for 30 grep -q '^ready' "$dir/signal.log" ||
	    fail "the signal server did not start" signal
	wait_for 30 grep -q '^ready' "$dir/mgmt.log" ||
	    fail "the management server did not start" mgmt
	wait_for 10 sh -c "ip netns exec $hub ss -Hlun src $HUBIP:3478 | grep -q ." ||
	    fail "coturn did not start" coturn
}

# --- the peers ------------------------------------------------------------

# peer NAME: its configuration (netbirdd.conf(5)) and the daemon, in the
# foreground (-d) with its log in $dir/NAME.log, under the host name
# NAME (a UTS namespace of its own), which becomes its peer name.
peer() {
	mkdir -p "$dir/$1"
	cat >"$dir/$1/netbirdd.conf" <<EOF
# $1's configuration; see netbirdd.conf(5).
management "http://$HUBIP:33073"
setup-key "$SETUP_KEY"
interface "wt-$1"
wireguard userspace
state-dir "$dir/$1/state"
log level info
EOF
	chmod 600 "$dir/$1/netbirdd.conf"
	spawn "$1" "nbdemo-$1" unshare --uts sh -c \
	    'hostname "$1" && exec "$2" -d -f "$3" -s "$4"' sh \
	    "$1" "$NETBIRDD" "$dir/$1/netbirdd.conf" "$dir/$1/sock"
}


# connected NAME: NAME shows its two peers Connected.
connected() {
	test "$("$NETBIRDCTL" -s "$dir/$1/sock" -j show peers |
	    "$PYTHON" -c 'import json, sys
print(json.load(sys.stdin)["peers"]["connected"])')" = 2
}

overlay_ip() {
	"$NETBIRDCTL" -s "$dir/$1/sock" -j show status | "$PYTHON" -c \
	    'import json, sys; print(json.load(sys.stdin)["netbirdIp"].split("/")[0])'
}

fail() {
	say "demo: $1; the end of its log:"
	tail -n 20 "$dir/$2.log"
	stop >/dev/null
	exit 1
}

start() {
	[ -e "$dir" ] && stop >/dev/null
	say "installing what the demo needs (only what is missing)"
	make -s -C "$TOP" apt-install PKGS="$(echo $PKGS)" || exit 1
	mkdir -p "$dir" && chmod 700 "$dir"
	network || { stop >/dev/null; say "demo: could not make the namespaces"; exit 1; }
	servers
	for p in $PEERS; do
		peer "$p"
	done
	for p in $PEERS; do
		# Up when its control socket is there; failed if it exited.
		wait_for 20 sh -c "test -S $dir/$p/sock ||
		    ! kill -0 $(cat "$dir/$p.pid")"
		test -S "$dir/$p/sock" || fail "$p did not start" "$p"
	done
	say "waiting for the peers to connect to each other (at most 60 s)"
	all=yes
	for p in $PEERS; do
		wait_for 60 connected "$p" || all=no
	done
	for p in $PEERS; do
		say ""
		say "\$ ip netns exec nbdemo-$p $NETBIRDCTL -s $dir/$p/sock show peers"
		ip netns exec "nbdemo-$p" "$NETBIRDCTL" -s "$dir/$p/sock" show peers
	done
	say ""
	[ $all = no ] && say "Not every peer is Connected yet; see the logs in $dir/*.log." &&
	    say ""
	ia=$(overlay_ip alice) ic=$(overlay_ip carol)
	cat <<EOF
A NetBird network with three peers runs in network namespaces:
alice and bob on one LAN, carol behind a NAT router; the management and
signal servers and coturn on the hub.  Logs and state: $dir.

Each peer's view (add -d for every detail, -j for JSON):
  ip netns exec nbdemo-alice $NETBIRDCTL -s $dir/alice/sock show peers
  ip netns exec nbdemo-bob   $NETBIRDCTL -s $dir/bob/sock show peers
  ip netns exec nbdemo-carol $NETBIRDCTL -s $dir/carol/sock show peers

Across the tunnel (WireGuard, overlay addresses):
  ip netns exec nbdemo-alice ping -c 3 $ic    # alice -> carol, through the NAT
  ip netns exec nbdemo-carol ping -c 3 $ia    # carol -> alice
  ip netns exec nbdemo-alice wg show          # WireGuard's own view

Stop it and remove everything: make demo-stop
EOF
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
*) echo "usage: demo.sh [start|stop]" >&2; exit 1 ;;
esac
