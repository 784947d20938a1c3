#!/bin/bash
# Name resolution failing.  Daemon a knows management as mgmt.test,
# which its namespace's /etc/hosts (ip-netns(8)'s bind mount of
# /etc/netns/NS/hosts, rewritten in place) names or not; its
# resolv.conf points at a resolver that does not answer (nothing
# listens on 127.0.0.1:53 there), so a name missing from hosts fails at
# once.  b knows management by address.
#  - a starts with the name missing: show status says Connecting with
#    the resolver's reason, the log says "cannot resolve mgmt.test" once
#    (not per attempt), the interface is up;
#  - the name appears: a registers and is Connected; a and b connect
#    P2P;
#  - the name goes again and management restarts (every connection cut,
#    a new server key): a says Connecting with the reason again, the
#    tunnel to b stays (Connected, pings cross);
#  - the name comes back: a is Connected again, its peer list in sync.
# The time from the name's return to Connected is printed.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
. "$(dirname "$0")/p2p.subr"
p2p_need
p2p_setup

hosts_named() {
	printf '127.0.0.1 localhost\n%s mgmt.test\n' "$HUBIP" >"$etc/hosts"
}
hosts_unnamed() { printf '127.0.0.1 localhost\n' >"$etc/hosts"; }
mgmt_error() { nbd_js a 's["management"]["error"]'; }
# The warning, not the debug line of each attempt.
resolve_lines() {
	grep -c "^mgmt: management http://mgmt.test:$MGMTPORT: cannot resolve mgmt.test" \
	    "${DIROF[a]}/log"
}
connecting_why() {
	test "$(nbd_js a 's["management"]["connected"]')" = false &&
	    mgmt_error | grep -q 'mgmt.test'
}

p2p_new a
nbd_conf a "http://mgmt.test:$MGMTPORT"
etc=/etc/netns/${NSOF[a]}
[ -d /etc/netns ] || made_etc_netns=1
mkdir -p "$etc"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' \
    >"$etc/resolv.conf"
hosts_unnamed

nbd_up a
check "no name: status Connecting with the resolver's reason within 15 s" \
    wait_for 15 connecting_why
echo "# reason given: $(mgmt_error)"
check "no name: the interface is up meanwhile" \
    sh -c "ip -n ${NSOF[a]} link show ${IFOF[a]} | grep -q ',UP'"
sleep 6
n=$(resolve_lines)
check "no name: the log says 'cannot resolve mgmt.test' once in 6 s ($n)" \
    test "$n" = 1

hosts_named
check_within 60 "name back: a Connected" nbd_connected a
p2p_new b
nbd_up b
p2p_connect_check a b P2P 30

hosts_unnamed
lines=$(wc -l <"${DIROF[a]}/log")
srv s '{"cmd": "restart"}' >/dev/null
check "name gone, management restarted: a says Connecting with the reason" \
    wait_for 30 connecting_why
check "name gone: the log says so once more" sh -c \
    "tail -n +$((lines + 1)) '${DIROF[a]}/log' |
    grep -q '^mgmt: management .*: cannot resolve mgmt.test'"
sleep 3
check "name gone: a still shows b Connected, P2P" p2p_is a b P2P
check "name gone: b still shows a Connected, P2P" p2p_is b a P2P
p2p_ping_check a b

hosts_named
check_within 60 "name back again: a Connected" nbd_connected a
check "name back again: a still shows b Connected, P2P" p2p_is a b P2P
p2p_ping_check a b
nbd_up a b
nbd_stop_check a
nbd_stop_check b
finish
