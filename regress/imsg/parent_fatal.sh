#!/bin/bash
# The parent treats a malformed message from a child as fatal: one line
# "fatal in parent: <function>: ...", exit status 1, control socket
# removed, children gone.  gdb makes a real child send the message.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd ip gdb

daemon_setup nbdimsg

# inject ROLE TYPE '"payload", len': queue one imsg from ROLE to the parent
# and write it out.
inject() {
	c=$(child_pid "$1")
	timeout 30 gdb -p "$c" -batch -nx \
	    -ex "call (int)imsgev_compose(penv.iev[PROC_PARENT], $2, 0, 0, -1, $3)" \
	    -ex "call (int)imsgbuf_write(&penv.iev[PROC_PARENT]->ibuf)" \
	    >"$tmp/gdb" 2>&1
}

kids_gone() {
	for k in $kids; do kill -0 "$k" 2>/dev/null && return 1; done
	return 0
}

expect_fatal() {
	what=$1 role=$2 type=$3 payload=$4 pattern=$5
	if ! daemon_start; then
		notok "$what: daemon starts"
		return
	fi
	kids=$(ps --ppid "$pid" -o pid=)
	inject "$role" "$type" "$payload"
	if ! daemon_gone; then
		notok "$what: daemon stopped"
		cat "$tmp/gdb"
		kill "$pid"
		wait "$pid"
		pid=
		return
	fi
	line=$(grep 'fatal in' "$tmp/log" | head -1)
	if [ "$rc" -eq 1 ] && grep -Eq "$pattern" <<<"$line"; then
		ok "$what: $line"
	else
		notok "$what: status $rc, log: $(tail -3 "$tmp/log")"
	fi
	check "$what: control socket removed" test ! -e "$sock"
	check "$what: every child exits" wait_until 10 kids_gone
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
expect_fatal "a message from mgmt" mgmt \
    IMSG_MGMT_STATE '"", 0' \
    'fatal in parent: parent_dispatch: unexpected MGMT_STATE from mgmt'
finish
