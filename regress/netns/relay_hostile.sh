#!/bin/bash
# A hostile relay server: after our Auth it sends, mode by mode, a bad
# version, an unknown type, an oversized message, a truncated Transport,
# a text frame, a malformed frame, an immediate close, an empty
# AuthResponse, no AuthResponse, no health checks.  Each time the ice
# process of daemon a says what was wrong in one line, stays up (same
# PID), backs off instead of flooding, and its P2P path to b carries
# pings throughout.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
. "$(dirname "$0")/p2p.subr"
p2p_need_relay
R=rel://$HUBIP:$RELAYPORT
P2P_RELAYS=$R
p2p_setup
p2p_new a
p2p_new b
nbd_up b
ice_pid() { nbd_procs a | awk '/netbirdd: ice/ { print $1 }'; }

# hostile MODE PATTERN SECS: the relay misbehaves in MODE from the start
# of daemon a, which connects P2P with b meanwhile; a's log gets a line
# "relay R: ..." matching PATTERN within SECS, its ice process stays,
# and so does its path to b.  A fresh daemon each time: the relay's
# backoff grows with every failure (2 s doubling to 60 s).
hostile() {
	local mode=$1 pat=$2 secs=$3 line icepid n
	line=$(p2p_loglines a 2>/dev/null || echo 0)
	p2p_relay_start relay "$HUBIP" --misbehave "$mode" ||
	    { notok "relay server starts ($mode)"; return; }
	nbd_up a
	if ! p2p_wait_connected a b P2P 30; then
		notok "$mode: a shows b Connected, P2P"
	fi
	icepid=$(ice_pid)
	if wait_until "$secs" sh -c "tail -n +$((line + 1)) ${DIROF[a]}/log |
	    grep -Eq 'relay $R: ($pat)'"; then
		ok "$mode: a says so: $(tail -n +$((line + 1)) "${DIROF[a]}/log" |
		    grep -E "relay $R: ($pat)" | head -n 1 | sed 's/.*relay /relay /')"
	else
		notok "$mode: a logs 'relay $R: $pat' within $secs s"
	fi
	check "$mode: a's ice process is the same (${icepid:-none})" \
	    test -n "$icepid" -a "$(ice_pid)" = "$icepid"
	check "$mode: a still shows b Connected, P2P" p2p_is a b P2P
	check "$mode: ping a -> b" p2p_ping a b
	n=$(tail -n +$((line + 1)) "${DIROF[a]}/log" | grep -c "relay $R: ")
	check "$mode: a few relay lines, no flood ($n)" test "$n" -lt 10
	nbd_stop_check a
	p2p_relay_stop relay
}

hostile badversion 'bad message: unsupported version' 15
hostile badtype 'bad message: unknown type' 15
hostile oversize 'message larger than the maximum' 15
hostile truncated 'bad message: transport shorter' 15
hostile text 'a text message' 15
hostile badframe 'WebSocket protocol error' 15
hostile close 'connection closed by the server' 15
hostile badauthresp 'bad message: empty instance URL' 15
hostile noauthresp 'no AuthResponse within 8 s' 20
hostile nohealth 'no health check for 35 s' 50

# A relay with another secret refuses our token and closes without a
# word: the line says what that probably means.
line=$(p2p_loglines a)
p2p_relay_start relay "$HUBIP" --secret not-managements ||
    notok "relay server with another secret starts"
nbd_up a
check "another secret: a says its token is probably refused" \
    wait_until 15 sh -c "tail -n +$((line + 1)) ${DIROF[a]}/log |
    grep -q 'relay $R: .*before answering our Auth: is the relay token from management refused?'"
nbd_stop_check a
p2p_relay_stop relay
nbd_stop_check b
finish
