#!/bin/bash
# The wall clock jumps, and nothing the daemon does depends on it.  Each
# daemon here loads regress/netns/clockskew.so (LD_PRELOAD), which moves
# the wall clock of all its processes by the seconds written in a file;
# the monotonic clock and wireguard-go's clock stay true, so WireGuard's
# handshake stamps are an hour off the daemon's own wall clock.
#  - c's clock is set back an hour while management holds its Login
#    call for 6 s: c logs in, and its metrics process takes the Login
#    sample (a duration measured on the wall clock would be negative,
#    which the metrics process refuses as a bug and dies of);
#  - a (clock an hour ahead from the start), b (true clock) and c (an
#    hour behind) connect P2P; then a's clock goes two more hours ahead
#    and c's two more back.  Past the handshake watcher's first check
#    (30 s after connecting) no connection is torn down ("WireGuard
#    handshake timeout"), none is made again, every pair stays
#    Connected, P2P, and pings cross.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
. "$(dirname "$0")/p2p.subr"
p2p_need
SHIM=$TOP/regress/netns/clockskew.so
if [ ! -f "$SHIM" ]; then
	notok "clock_jump.sh: $SHIM is not built"
	exit 1
fi
p2p_setup

# skew_set NAME SECONDS: NAME's wall clock, SECONDS from the true one.
# The file is rewritten in place: the processes map it.
skew_set() {
	printf '%-31s\n' "$2" | dd of="$tmp/skew.$1" bs=32 count=1 \
	    conv=notrunc status=none
}

# skew_start NAME SECONDS: start daemon NAME with the library loaded.
skew_start() {
	skew_set "$1" "$2"
	LD_PRELOAD=$SHIM NBD_CLOCK_SKEW=$tmp/skew.$1 \
	    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    nbd_up "$1"
}

ice_has_skew() {
	local p
	p=$(child_pid ice "${PIDOF[$1]}")
	[ -n "$p" ] && grep -q "skew\\.$1\$" "/proc/$p/maps"
}
timeouts() { grep -c 'handshake timeout' "${DIROF[$1]}/log"; }
has_login_sample() {
	nbd_ctl "$1" show metrics | grep -q '^netbird_login,'
}

# --- c: the clock set back during a Login call ----------------------
srv s '{"cmd": "hostile", "mode": "delay", "seconds": 6, "methods": ["Login"]}' \
    >/dev/null
p2p_new c
skew_start c 0
check "c: the library is loaded in its ice process" \
    wait_until 10 ice_has_skew c
sleep 2
now=$(date +%s)
skew_set c -3600
check "c: the library sets its clock back an hour" sh -c \
    "test \$(LD_PRELOAD=$SHIM NBD_CLOCK_SKEW=$tmp/skew.c date +%s) -lt \
    $((now - 3500))"
check "c: Connected to management once the Login answer comes" \
    wait_for 30 nbd_connected c
srv s '{"cmd": "hostile", "mode": "none"}' >/dev/null
check "c: its metrics process took the Login sample" \
    wait_for 10 has_login_sample c
check "c: every process still runs, nothing fatal" nbd_log_clean c

# --- a, b, c connect; then the clocks jump further ------------------
p2p_new a
p2p_new b
skew_start a 3600
nbd_up b
p2p_connect_check a b P2P 30
p2p_connect_check a c P2P 30
p2p_connect_check b c P2P 30
skew_set a 10800
skew_set c -10800
ok "a's clock jumps to 3 h ahead, c's to 3 h behind"
declare -A before
for n in a b c; do before[$n]=$(p2p_connects "$n"); done
# The watcher's first check is 30 s after connecting; wait past it,
# pinging meanwhile.
for i in 1 2 3 4; do
	sleep 10
	p2p_ping a b >/dev/null 2>&1
	p2p_ping b c >/dev/null 2>&1
done
for n in a b c; do
	check "$n: no connection torn down by a handshake timeout" \
	    test "$(timeouts "$n")" = 0
	check "$n: no connection made again (${before[$n]} -> $(p2p_connects "$n"))" \
	    test "$(p2p_connects "$n")" = "${before[$n]}"
done
check "a still shows b Connected, P2P" p2p_is a b P2P
check "a still shows c Connected, P2P" p2p_is a c P2P
check "c still shows b Connected, P2P" p2p_is c b P2P
p2p_ping_check a b
p2p_ping_check a c
p2p_ping_check b c
check "a: show status answers, management Connected" nbd_connected a
check "c: show status answers, management Connected" nbd_connected c
nbd_up a b c
for n in a b c; do
	nbd_stop_check "$n"
done
finish
