#!/bin/bash
# The parent treats a malformed message from a child as fatal: one line
# "fatal in parent: <function>: ...", exit status 1, control socket
# removed, children gone.  gdb makes a real child send the message.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/netmap.subr"
need_root
need_cmd ip gdb

daemon_setup nbdimsg

kids_gone() {
	for k in $kids; do kill -0 "$k" 2>/dev/null && return 1; done
	return 0
}

# expect_fatal WHAT ROLE TYPE '"payload", len' PATTERN: one message.
expect_fatal() {
	expect_fatal_gdb "$1" "$2" "$5" < <(g_msg "$3" "$4")
}

# expect_fatal_gdb WHAT ROLE PATTERN: what the gdb commands on stdin send.
# (check() sets $what: the label has another name.)
expect_fatal_gdb() {
	label=$1 role=$2 pattern=$3
	cat >"$tmp/cmds.in"
	if ! daemon_start; then
		notok "$label: daemon starts"
		return
	fi
	kids=$(ps --ppid "$pid" -o pid=)
	gdb_send "$role" <"$tmp/cmds.in"
	if ! daemon_gone; then
		notok "$label: daemon stopped"
		cat "$tmp/gdb"
		kill "$pid"
		wait "$pid"
		pid=
		return
	fi
	line=$(grep 'fatal in' "$tmp/log" | head -1)
	if [ "$rc" -eq 1 ] && grep -Eq "$pattern" <<<"$line"; then
		ok "$label: $line"
	else
		notok "$label: status $rc, log: $(tail -3 "$tmp/log")"
	fi
	check "$label: control socket removed" test ! -e "$sock"
	check "$label: every child exits" wait_until 10 kids_gone
}

F='fatal in parent: parent_dispatch_control:'
expect_fatal "SHOW_STATUS with a payload" control \
    IMSG_CTL_SHOW_STATUS '"x", 1' \
    "$F CTL_SHOW_STATUS: payload of 1 bytes, want none"
expect_fatal "LOG_VERBOSE of the wrong size" control \
    IMSG_CTL_LOG_VERBOSE '"ab", 2' \
    "$F CTL_LOG_VERBOSE: payload of 2 bytes, want 4"
expect_fatal "LOG_VERBOSE out of range" control \
    IMSG_CTL_LOG_VERBOSE '"\011\0\0\0", 4' \
    'fatal in parent: parent_log_verbose: bad log level 9'
expect_fatal "RELOAD with a payload" control \
    IMSG_CTL_RELOAD '"abc", 3' \
    "$F CTL_RELOAD: payload of 3 bytes, want none"
expect_fatal "a type control never sends" control \
    IMSG_PEER_ADD '"", 0' \
    "$F unexpected PEER_ADD"
expect_fatal "a message from a child with nothing to say" metrics \
    IMSG_KEY_SHARED_REQ '"", 0' \
    'fatal in parent: parent_dispatch: unexpected KEY_SHARED_REQ from metrics'

# mgmt: everything it says is checked before anything is kept or applied.
M='fatal in parent: parent_dispatch_mgmt:'
expect_fatal "MGMT_STATE of the wrong size" mgmt \
    IMSG_MGMT_STATE '"", 0' \
    "$M MGMT_STATE: payload of 0 bytes, want 260"
expect_fatal_gdb "MGMT_STATE out of range" mgmt "$M bad management state" <<'EOF'
set $s = (struct nbd_mgmt_state *)calloc(1, sizeof(struct nbd_mgmt_state))
set $s->state = 6
call (int)imsgev_compose(penv.iev[PROC_PARENT], IMSG_MGMT_STATE, 0, 0, -1, $s, sizeof(*$s))
EOF
expect_fatal_gdb "MGMT_STATE with an unterminated error" mgmt \
    "$M bad management state" <<'EOF'
set $s = (struct nbd_mgmt_state *)calloc(1, sizeof(struct nbd_mgmt_state))
call (void *)memset($s->error, 'e', sizeof($s->error))
call (int)imsgev_compose(penv.iev[PROC_PARENT], IMSG_MGMT_STATE, 0, 0, -1, $s, sizeof(*$s))
EOF
expect_fatal_gdb "MGMT_CONFIG with 9 relays" mgmt \
    'fatal in parent: parent_mgmt_config: too many servers' <<'EOF'
set $c = (struct nbd_netbird_config *)calloc(1, sizeof(struct nbd_netbird_config))
set $c->nrelay = 9
call (int)imsgev_compose(penv.iev[PROC_PARENT], IMSG_MGMT_CONFIG, 0, 0, -1, $c, sizeof(*$c))
EOF
expect_fatal "MGMT_NETMAP_BEGIN of the wrong size" mgmt \
    IMSG_MGMT_NETMAP_BEGIN '"abc", 3' \
    "$M MGMT_NETMAP_BEGIN: payload of 3 bytes, want 296"
expect_fatal "a type mgmt never sends" mgmt \
    IMSG_PEER_ADD '"", 0' "$M unexpected PEER_ADD"

# Network maps out of order, miscounted, or with bad fields.
B='fatal in parent: netmap_begin:'
P='fatal in parent: netmap_peer:'
E='fatal in parent: netmap_end:'
expect_fatal_gdb "PEER without BEGIN" mgmt "$P PEER outside a map" \
    < <(g_peer 2 a 100.64.0.2/32)
expect_fatal_gdb "END without BEGIN" mgmt "$E END outside a map" \
    < <(g_end 1 0)
expect_fatal_gdb "BEGIN inside a map" mgmt "$B BEGIN inside a map" \
    < <(g_begin 1 1; g_begin 1 1)
expect_fatal_gdb "more PEERs than BEGIN says" mgmt \
    "$P more peers than BEGIN announced" \
    < <(g_begin 1 1; g_peer 2 a 100.64.0.2/32; g_peer 3 b 100.64.0.3/32)
expect_fatal_gdb "END with npeers other than BEGIN's" mgmt \
    "$E peer count differs from BEGIN" \
    < <(g_begin 1 1; g_peer 2 a 100.64.0.2/32; g_end 1 2)
expect_fatal_gdb "END before every PEER came" mgmt \
    "$E fewer peers than BEGIN announced" \
    < <(g_begin 1 2; g_peer 2 a 100.64.0.2/32; g_end 1 2)
expect_fatal_gdb "END with a serial other than BEGIN's" mgmt \
    "$E serial differs from BEGIN" \
    < <(g_begin 4 0; g_end 5 0)
expect_fatal_gdb "our address with prefix length 33" mgmt \
    "$B IPv4 prefix length over 32" \
    < <(g_begin 1 0 'set $b->address.plen = 33')
expect_fatal_gdb "our address IPv6" mgmt "$B our address is not IPv4" \
    < <(g_begin 1 0 'set $b->address.af = 10')
expect_fatal_gdb "BEGIN with an unterminated FQDN" mgmt \
    "$B unterminated FQDN" \
    < <(g_begin 1 0 "call (void *)memset(\$b->fqdn, 'f', 256)")
expect_fatal_gdb "more peers than a map may have" mgmt \
    "$B too many peers" < <(g_begin 1 10001)
expect_fatal_gdb "an allowed IP with prefix length 33" mgmt \
    "$P IPv4 prefix length over 32" \
    < <(g_begin 1 1; g_peer 2 a 100.64.0.2/33)
expect_fatal_gdb "an allowed IP with host bits" mgmt \
    "$P host bits set in network" \
    < <(g_begin 1 1; g_peer 2 a 100.64.0.2/24)
expect_fatal_gdb "a default route for allowed IP" mgmt \
    "$P allowed IP with prefix length 0" \
    < <(g_begin 1 1; g_peer 2 a 0.0.0.0/0)
expect_fatal_gdb "a peer with no allowed IP" mgmt "$P no allowed IPs" \
    < <(g_begin 1 1; g_peer 2 a)
expect_fatal_gdb "a peer with 65 allowed IPs" mgmt "$P too many allowed IPs" \
    < <(g_begin 1 1; g_peer 2 a 100.64.0.2/32 'set $p->nallowed = 65')
expect_fatal_gdb "a PEER with an unterminated FQDN" mgmt \
    "$P unterminated FQDN" < <(g_begin 1 1;
    g_peer 2 a 100.64.0.2/32 "call (void *)memset(\$p->fqdn, 'f', 256)")
expect_fatal_gdb "a PEER with our own key" mgmt "$P our own key" \
    < <(g_begin 1 1; g_peer 2 a 100.64.0.2/32 \
    'call (void *)memcpy($p->key.key, penv.pubkey.key, 32)')
expect_fatal_gdb "a PEER with an all-zero key" mgmt "$P all-zero key" \
    < <(g_begin 1 1; g_peer 0 a 100.64.0.2/32)
expect_fatal_gdb "the same peer twice" mgmt "$P duplicate peer" \
    < <(g_begin 1 2; g_peer 2 a 100.64.0.2/32; g_peer 2 b 100.64.0.3/32)

# signal: its state is checked before status shows it.
G='fatal in parent: parent_dispatch_signal:'
expect_fatal "SIGNAL_STATE of the wrong size" signal \
    IMSG_SIGNAL_STATE '"", 0' \
    "$G SIGNAL_STATE: payload of 0 bytes, want 268"
expect_fatal_gdb "SIGNAL_STATE neither connected nor not" signal \
    "$G bad signal state" <<'EOF'
set $s = (struct nbd_signal_state *)calloc(1, sizeof(struct nbd_signal_state))
set $s->connected = 2
call (int)imsgev_compose(penv.iev[PROC_PARENT], IMSG_SIGNAL_STATE, 0, 0, -1, $s, sizeof(*$s))
EOF
expect_fatal_gdb "SIGNAL_STATE with an unterminated error" signal \
    "$G bad signal state" <<'EOF'
set $s = (struct nbd_signal_state *)calloc(1, sizeof(struct nbd_signal_state))
call (void *)memset($s->error, 'x', sizeof($s->error))
call (int)imsgev_compose(penv.iev[PROC_PARENT], IMSG_SIGNAL_STATE, 0, 0, -1, $s, sizeof(*$s))
EOF

# Shared keys: signal and ice only for peers of the network map.
K='fatal in parent: keys_shared_answer:'
expect_fatal "KEY_SHARED_REQ of the wrong size" ice \
    IMSG_KEY_SHARED_REQ '"abc", 3' \
    "$K KEY_SHARED_REQ: payload of 3 bytes, want 32"
expect_fatal "ice asking for a key outside the map" ice \
    IMSG_KEY_SHARED_REQ '"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", 32' \
    "$K ice asked for the key of QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU=, not a peer"
expect_fatal "signal asking for a key outside the map" signal \
    IMSG_KEY_SHARED_REQ '"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", 32' \
    "$K signal asked for the key of .*, not a peer"
# Our own key: signal's heartbeat needs it, ice has no business with it.
expect_fatal_gdb "ice asking for our own key" ice \
    "$K ice asked for the key of .*, not a peer" <<'EOF'
call (int)imsgev_compose(penv.iev[PROC_PARENT], IMSG_KEY_SHARED_REQ, 0, 0, -1, penv.pubkey.key, 32)
EOF
expect_fatal "WG_STATS_REQ with a payload" ice \
    IMSG_WG_STATS_REQ '"x", 1' \
    'fatal in parent: parent_dispatch_ice: WG_STATS_REQ: payload of 1 bytes, want none'
finish
