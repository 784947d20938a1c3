#!/bin/bash
# A child killed with SIGKILL, one role at a time (mgmt, signal, ice,
# metrics, control, dns), in daemon a, Connected P2P to b:
#  - a shuts down cleanly: exit status 1, the log line "lost child: ROLE
#    terminated by signal SIGKILL", its interface and wireguard-go gone,
#    no process of it left, its control socket removed;
#  - its private key is untouched (same bytes, mode 0600);
#  - started again (as systemd's Restart=on-failure does; the unit says
#    so), it has the same public key and overlay address, and a and b
#    show each other Connected, P2P, again.  The time from the kill to
#    both Connected is printed: the recovery time, less systemd's
#    RestartSec.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
. "$(dirname "$0")/p2p.subr"
p2p_need
p2p_setup

none_left() {
	local k
	for k in "$@"; do kill -0 "$k" 2>/dev/null && return 1; done
	return 0
}
keysum() { sha256sum <"${DIROF[a]}/state/private.key"; }

check "netbirdd.service restarts the daemon on failure" \
    grep -qx 'Restart=on-failure' "$TOP/netbirdd/netbirdd.service"

p2p_new a
p2p_new b
nbd_up a b
p2p_connect_check a b P2P 30
pub=$(nbd_pub a)
addr=$(p2p_overlay_ip a)
sum=$(keysum)
echo "# a: key $pub, overlay address $addr"

for role in mgmt signal ice metrics control dns; do
	p=${PIDOF[a]}
	victim=$(child_pid "$role" "$p")
	if [ -z "$victim" ]; then
		notok "$role: a has a child 'netbirdd: $role'"
		continue
	fi
	procs=$(ps -o pid= --ppid "$p")
	lines=$(wc -l <"${DIROF[a]}/log")
	t0=$(date +%s%N)
	kill -KILL "$victim"
	if wait_until 10 sh -c "! kill -0 $p 2>/dev/null"; then
		wait "$p"
		rc=$?
	else
		rc=none
	fi
	unset "PIDOF[a]"
	check "$role killed: a exits with status 1 (got $rc)" test "$rc" = 1
	check "$role killed: the log says 'lost child: $role terminated by signal SIGKILL'" \
	    sh -c "tail -n +$((lines + 1)) '${DIROF[a]}/log' |
	    grep -q 'lost child: $role terminated by signal SIGKILL'"
	if wait_until 10 none_left $procs; then
		ok "$role killed: no process of a left"
	else
		notok "$role killed: no process of a left:" \
		    $(ps -o pid=,stat=,args= -p "$(echo $procs | tr ' ' ,)")
	fi
	check "$role killed: interface removed" sh -c \
	    "! ip -n ${NSOF[a]} link show ${IFOF[a]} 2>/dev/null"
	check "$role killed: control socket removed" test ! -e "${DIROF[a]}/sock"
	check "$role killed: private key unchanged, mode 0600" sh -c \
	    "test '$(keysum)' = '$sum' &&
	    test \$(stat -c %a '${DIROF[a]}/state/private.key') = 600"
	nbd_start a || { notok "$role killed: a starts again"; finish; }
	if wait_for 60 p2p_mesh_connected P2P a b; then
		ok "$role killed: a and b Connected, P2P, again" \
		    "($(p2p_since "$t0") s after the kill)"
	else
		notok "$role killed: a and b Connected, P2P, again within 60 s"
	fi
	check "$role killed: the same public key" test "$(nbd_pub a)" = "$pub"
	check "$role killed: the same overlay address" \
	    test "$(p2p_overlay_ip a)" = "$addr"
done
p2p_ping_check a b
nbd_stop a
check "a: SIGTERM: exit status 0" test "$nbd_rc" = 0
nbd_stop_check b
finish
