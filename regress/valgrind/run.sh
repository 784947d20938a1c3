#!/bin/bash
# valgrind (memcheck) over a whole daemon: start, registration with a
# setup key, a Sync whose map holds two other peers (the parent
# configures WireGuard, ice offers each a connection through signal),
# an OFFER from one of them that ice answers with an agent, then
# SIGTERM.  Every process, the parent and its six re-executed children,
# must leave a valgrind log that ends with its summary, no error, and
# no byte definitely or indirectly lost; the daemon must exit 0.
#
# The daemon is netbirdd_vg, built here: no sanitizers (the tree may be
# built with SANITIZE=1, and ASan and valgrind do not mix), the children
# re-executed by path (vg_exec.c), and the seccomp rules valgrind needs
# (NBD_VALGRIND in netbirdd/sandbox.c).  The management and signal
# servers are the test servers of regress/fixtures, in the daemon's own
# network namespace.  valgrind makes everything 20 to 50 times slower:
# the waits are long, and all of them together are bounded
# (VG_BUDGET seconds up to SIGTERM, VG_STOP_WAIT for the exit).
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd valgrind ip wg wireguard-go protoc
if ! "$PYTHON" -c 'import grpc, nacl.public, google.protobuf' 2>/dev/null
then
	skip "$(basename "$0"): python3-grpcio, python3-nacl or" \
	    "python3-protobuf missing"
	exit 0
fi
VGD=${VGD:-$TOP/regress/valgrind/netbirdd_vg}
if [ ! -x "$VGD" ]; then
	notok "$(basename "$0"): $VGD is not built (make -C regress/valgrind)"
	exit 1
fi

MGMT=$TOP/regress/fixtures/mgmt_server.py
SIGNAL=$TOP/regress/fixtures/signal_server.py
SIGCLIENT=$TOP/regress/fixtures/signal_client.py
SETUP_KEY=0B5AC2D1-6F3E-4A7B-9C8D-2E1F0A9B8C7D
CHILDREN="mgmt signal ice metrics control dns"
BUDGET=${VG_BUDGET:-150}
STOP_WAIT=${VG_STOP_WAIT:-60}

daemon_setup nbvg
# Nine characters, whatever the PID: its attribute in a netlink request
# is then padded (libmnl leaves the padding as it finds it).
ifname=nbvg$(printf %05d $(($$ % 100000)))
vg=$tmp/vg
mkdir -p "$vg"
spids=
t0=$(date +%s)
deadline=$((t0 + BUDGET))

cleanup() {
	local p
	if [ -n "$pid" ]; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		pid=
	fi
	for p in $spids; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	# What is left in the namespace was started here: wireguard-go,
	# or a child of a daemon that was killed.
	for p in $(ip netns pids "$ns" 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null
	done
	rm -f "/var/run/wireguard/$ifname.sock"
	if [ "$FAILED" -ne 0 ] && [ -f "$tmp/log" ]; then
		echo "# --- the daemon's log, last lines"
		tail -n "${NBD_LOG_LINES:-40}" "$tmp/log" | sed 's/^/# /'
	fi
	if [ -n "${NBD_KEEP:-}" ]; then
		echo "# kept $tmp"
		tmp=
	fi
	daemon_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

# server NAME SCRIPT ARGS...: a test server in the namespace; sets
# $port.
server() {
	local name=$1 script=$2
	shift 2
	ip netns exec "$ns" "$PYTHON" "$script" "$@" \
	    >"$tmp/$name.out" 2>"$tmp/$name.err" &
	spids="$spids $!"
	wait_until 30 grep -q '^ready' "$tmp/$name.out" || return 1
	port=$(sed -n 's/^ready port=\([0-9]*\).*/\1/p' "$tmp/$name.out")
}

# req SOCKET JSON [EXPR]: one control request to a test server; prints
# EXPR of reply r (regress/fixtures/mgmt_query.py, as mgmt.subr's).
req() { "$PYTHON" "$TOP/regress/fixtures/mgmt_query.py" req "$@"; }

# alive_until SECONDS command...: wait_until, but give up at once when
# the daemon is gone or the budget is spent.
alive_until() {
	local end=$(($(date +%s) + $1))
	shift
	[ "$end" -gt "$deadline" ] && end=$deadline
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.5
	done
}

# A veth pair with an address, for ice's host candidates.
ip -n "$ns" link add eth0 type veth peer name eth1
ip -n "$ns" addr add 10.213.9.1/24 dev eth0
ip -n "$ns" link set eth0 up
ip -n "$ns" link set eth1 up

server signal "$SIGNAL" --control "$tmp/sig.ctl" ||
    { notok "signal server starts"; exit 1; }
sport=$port
server mgmt "$MGMT" --control "$tmp/srv.ctl" --setup-key "$SETUP_KEY" \
    --signal "127.0.0.1:$sport,http" --stun "stun:127.0.0.1:3478" ||
    { notok "management server starts"; exit 1; }
mport=$port

# Two other peers in the map: r1 only there, r2 also on signal, from
# where it offers us a connection.
for r in r1 r2; do
	(umask 077; wg genkey >"$tmp/$r.key")
	wg pubkey <"$tmp/$r.key" >"$tmp/$r.pub"
	req "$tmp/srv.ctl" "{\"cmd\": \"add_peer\", \"key\": \
\"$(cat "$tmp/$r.pub")\", \"name\": \"$r\"}" >/dev/null ||
	    { notok "management server takes peer $r"; exit 1; }
done
r1=$(cat "$tmp/r1.pub")
r2=$(cat "$tmp/r2.pub")

cat >"$conf" <<CONF
management "http://127.0.0.1:$mport"
setup-key "$SETUP_KEY"
interface "$ifname"
wireguard userspace
state-dir "$tmp/state"
log level debug
CONF
chmod 600 "$conf"

# wireguard-go, which the parent starts, is not ours: not traced.
# --vgdb=no: no gdbserver FIFOs in /tmp, which valgrind would unlink at
# exit, inside the chroot and the seccomp filter.
dmesg_start=$(dmesg 2>/dev/null | wc -l)
ip netns exec "$ns" valgrind --tool=memcheck --trace-children=yes \
    --trace-children-skip='*/wireguard-go' --vgdb=no \
    --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --num-callers=30 \
    --log-file="$vg/vg.%p" \
    "$VGD" -d -v -f "$conf" -s "$sock" 2>"$tmp/log" &
pid=$!

# --- start, registration, Sync, signal, ice -----------------------------
status_is() { ctl show status | grep -Eq -- "$1"; }
wgpeers() { ip netns exec "$ns" wg show "$ifname" peers | sort | xargs; }
check "under valgrind, the daemon answers netbirdctl" \
    alive_until 60 ctl show status
check "registered and synced: management Connected" \
    alive_until 60 status_is '^Management: Connected'
check "the map's two peers are on the WireGuard interface" \
    alive_until 30 test "$(wgpeers)" = "$(printf '%s\n' "$r1" "$r2" |
    sort | xargs)"
check "signal Connected" alive_until 60 status_is '^Signal: Connected'
pub=$(wg pubkey <"$tmp/state/private.key")

# sent FROM TO: Sends the signal server had from FROM to TO.
sent() {
	req "$tmp/sig.ctl" '{"cmd": "stats"}' "next((p['sends']
	    for p in r['pairs'] if p['from'] == '$1' and p['to'] == '$2'), 0)"
}
sent_some() { test "$(sent "$1" "$2")" -ge 1; }
check "ice offers r1 a connection through signal" \
    alive_until 60 sent_some "$pub" "$r1"

ip netns exec "$ns" "$PYTHON" "$SIGCLIENT" --server "127.0.0.1:$sport" \
    --key "$(cat "$tmp/r2.key")" --to "$pub" --listen 60 \
    >"$tmp/r2.out" 2>"$tmp/r2.err" &
spids="$spids $!"
check "r2's OFFER reaches ice" \
    alive_until 60 grep -qF "OFFER from $r2, to ice" "$tmp/log"
check "ice answers r2 through signal" alive_until 60 sent_some "$pub" "$r2"
check "ice starts an agent for r2" \
    alive_until 60 grep -q 'peer r2[.].*: ICE agent starts' "$tmp/log"
echo "# running for $(($(date +%s) - t0)) s before SIGTERM"

# --- stop ---------------------------------------------------------------
dpid=$pid
kill -TERM "$pid"
t1=$(date +%s)
if wait_until "$STOP_WAIT" sh -c "! kill -0 $pid"; then
	wait "$pid"
	rc=$?
else
	rc="none within $STOP_WAIT s"
fi
pid=
echo "# stopped in $(($(date +%s) - t1)) s"
check "SIGTERM: exit status 0 ($rc)" test "$rc" = 0
check "nothing fatal in the log, no child lost" \
    sh -c "! grep -Eq 'fatal|lost child' '$tmp/log'"

# bytes FILE WHAT: N of the last "WHAT: N bytes" line of the summary.
bytes() {
	sed -n "s/^==[0-9]*== *$2: \([0-9,]*\) bytes.*/\1/p" "$1" |
	    tail -n 1 | tr -d ,
}

# --- the valgrind logs --------------------------------------------------
# The parent's log is vg.PID; each child's says "-P name" on its
# Command line.  The parent's fork for wireguard-go, which valgrind does
# not follow into its execve, leaves a log with the parent's Command line
# and no summary.
declare -A VGOF
pids=
other=0
for f in "$vg"/vg.*; do
	[ -f "$f" ] || continue
	p=${f##*.}
	pids="$pids $p"
	cmd=$(sed -n 's/^==[0-9]*== Command: //p' "$f" | head -n 1)
	case $cmd in
	*"netbirdd_vg -P "*)
		r=${cmd#*netbirdd_vg -P }
		r=${r%% *}
		[ -n "${VGOF[$r]}" ] && other=$((other + 1))
		VGOF[$r]=$f
		;;
	*"netbirdd_vg -d "*)
		if [ "$p" = "$dpid" ]; then
			VGOF[parent]=$f
		elif grep -q '== ERROR SUMMARY: ' "$f"; then
			other=$((other + 1))
		fi
		;;
	*)
		other=$((other + 1))
		;;
	esac
done
check "a valgrind log for the parent and each child, and no other run" \
    test "${#VGOF[@]}" = 7 -a "$other" = 0

# The kernel logs each seccomp kill (audit type 1326) with the PID.
if dmesg >/dev/null 2>&1; then
	kills=$(dmesg | tail -n +"$((dmesg_start + 1))" | grep 'type=1326' |
	    grep -E "pid=($(echo $pids | tr ' ' '|')) ")
	[ -n "$kills" ] && printf '%s\n' "$kills" | sed 's/^/# /'
	check "no seccomp kill of any of them" test -z "$kills"
fi

for r in parent $CHILDREN; do
	f=${VGOF[$r]}
	if [ -z "$f" ]; then
		notok "$r: a valgrind log"
		continue
	fi
	inuse=$(bytes "$f" "in use at exit")
	def=$(bytes "$f" "definitely lost")
	ind=$(bytes "$f" "indirectly lost")
	err=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' \
	    "$f")
	echo "# $r: ${inuse:-?} bytes in use at exit, definitely lost" \
	    "${def:-0}, indirectly lost ${ind:-0}, ${err:-?} errors"
	check "$r: its log ends with valgrind's summary" \
	    grep -q '== ERROR SUMMARY: ' "$f"
	check "$r: ERROR SUMMARY: 0 errors" test "$err" = 0
	check "$r: nothing definitely lost" test "${def:-0}" = 0
	check "$r: nothing indirectly lost" test "${ind:-0}" = 0
	if [ "${err:-1}" != 0 ]; then
		head -n "${NBD_LOG_LINES:-150}" "$f" | sed "s/^/# $r: /"
	fi
done
echo "# run time $(($(date +%s) - t0)) s"
finish
