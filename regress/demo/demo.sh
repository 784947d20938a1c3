#!/bin/sh
# make demo / make demo-stop: a netbirdd in its own network namespace,
# with its state under /run/netbirdd-demo.  Everything it makes is removed
# by "stop".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
dir=/run/netbirdd-demo
ns=nbdemo

stop() {
	if [ -f "$dir/pid" ]; then
		pid=$(cat "$dir/pid")
		kill -TERM "$pid" 2>/dev/null
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
	fi
	ip netns del "$ns" 2>/dev/null
	rm -rf "$dir"
	echo "demo stopped; nothing left behind"
}

start() {
	[ -e "$dir" ] && stop >/dev/null
	mkdir -p "$dir" && chmod 700 "$dir"
	ip netns add "$ns" && ip -n "$ns" link set lo up || exit 1
	cat >"$dir/netbirdd.conf" <<CONF
# The demo's configuration; see netbirdd.conf(5).
management "http://127.0.0.1:33073"
interface "wt0"
state-dir "$dir/state"
log level info
CONF
	chmod 600 "$dir/netbirdd.conf"
	ip netns exec "$ns" "$TOP/netbirdd/netbirdd" -d \
	    -f "$dir/netbirdd.conf" -s "$dir/netbirdd.sock" \
	    >"$dir/log" 2>&1 &
	echo $! >"$dir/pid"
	i=0
	while [ ! -S "$dir/netbirdd.sock" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	if [ ! -S "$dir/netbirdd.sock" ]; then
		cat "$dir/log"; stop; exit 1
	fi
	ctl="$TOP/netbirdctl/netbirdctl -s $dir/netbirdd.sock"
	echo "netbirdd is running in network namespace $ns (log: $dir/log)."
	echo
	echo "Its processes:"
	ps --ppid "$(cat "$dir/pid")" -o pid,user,args
	echo
	echo "\$ netbirdctl show status"
	$ctl show status
	echo
	echo "Try:"
	echo "  $ctl show status"
	echo "  $ctl show peers"
	echo "  $ctl -j show status"
	echo "Stop it with: make demo-stop"
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
*) echo "usage: demo.sh [start|stop]" >&2; exit 1 ;;
esac
