# Shared helpers for regress scripts (sourced, POSIX sh + bash).
# Each check prints one line: "ok - what", "not ok - what", "skip - what".

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
NETBIRDD=${NETBIRDD:-$TOP/netbirdd/netbirdd}
NETBIRDCTL=${NETBIRDCTL:-$TOP/netbirdctl/netbirdctl}
PYTHON=${PYTHON:-/usr/bin/python3}
FAILED=0

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; FAILED=$((FAILED + 1)); }
skip() { echo "skip - $*"; }

# check "what" command...: ok if the command succeeds.
check() {
	what=$1; shift
	if "$@"; then ok "$what"; else notok "$what"; fi
}

# wait_until SECONDS command...: poll every 0.1 s, bounded.
wait_until() {
	limit=$(($1 * 10)); shift
	i=0
	while [ $i -lt $limit ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# need_root / need_cmd: skip the whole script when impossible here.
need_root() {
	if [ "$(id -u)" != 0 ]; then
		skip "$(basename "$0"): needs root"
		exit 0
	fi
}
need_cmd() {
	for c in "$@"; do
		if ! command -v "$c" >/dev/null 2>&1; then
			skip "$(basename "$0"): $c is not installed"
			exit 0
		fi
	done
}

finish() { [ "$FAILED" -eq 0 ]; exit $?; }

# A daemon under test.  daemon_setup NAME writes $tmp/netbirdd.conf for a
# daemon in network namespace $ns, with WireGuard interface $ifname;
# daemon_start runs it in the foreground (log in $tmp/log) and waits for
# its control socket; child_pid ROLE prints the PID of its child with
# that role; if_gone says the interface is no more.
daemon_setup() {
	ns=$1$$
	tmp=$(mktemp -d)
	pid=
	conf=$tmp/netbirdd.conf
	sock=$tmp/netbirdd.sock
	ifname=nbt$$
	trap daemon_cleanup EXIT
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	cat >"$conf" <<CONF
management "http://127.0.0.1:1"
interface "$ifname"
state-dir "$tmp/state"
log level debug
CONF
	chmod 600 "$conf"
}

if_gone() { ! ip -n "$ns" link show "$ifname" >/dev/null 2>&1; }

daemon_cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}

# Ready when netbirdctl gets an answer: the interface and every child
# are up by then (the socket itself is bound before them).
daemon_start() {
	ip netns exec "$ns" "$NETBIRDD" -d -f "$conf" -s "$sock" \
	    2>"$tmp/log" &
	pid=$!
	wait_until 20 ctl show status
}

# child_pid ROLE [PARENT]: the PID of PARENT's child (default: $pid)
# with that role; a title padded with spaces matches too.
child_pid() {
	ps --ppid "${2:-$pid}" -o pid=,args= | awk -v t="netbirdd: $1" \
	    '{ p = $1; sub(/^ *[0-9]+ +/, ""); sub(/ +$/, "");
	    if ($0 == t) print p }'
}

# daemon_gone: wait for the daemon to exit by itself, set $rc.
daemon_gone() {
	if ! wait_until 10 sh -c "! kill -0 $pid"; then
		rc=
		return 1
	fi
	wait "$pid"
	rc=$?
	pid=
}

# ctl ARGS: netbirdctl against the daemon under test, bounded.
ctl() {
	timeout 10 "$NETBIRDCTL" -s "$sock" "$@"
}
