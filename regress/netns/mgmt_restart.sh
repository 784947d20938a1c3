#!/bin/bash
# Losing and finding management, restarts and bad credentials, with real
# daemons (userspace WireGuard) in namespaces against the test server:
#  - management down when the daemon starts: status Connecting with a
#    reason, said once in the log, then Connected when it comes up;
#  - management restarts with a new server key: peers and interface stay
#    through the outage, status goes Connecting then Connected, the
#    serial goes on, and updates flow again under the new key;
#  - a daemon restarted with the setup key removed from its config logs
#    in again with the same key and keeps its overlay address;
#  - an unknown setup key: the server's clear error in the log and in
#    show status, and no process exits;
#  - a peer whose login expired (SSO): NeedsLogin, said plainly.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
mgmt_need
hub_setup

port=33073
url="http://$HUBIP:$port"
: >"$tmp/extras"

daemon_status() { nbd_js "$1" 's["daemonStatus"]'; }
mgmt_error() { nbd_js "$1" 's["management"]["error"]'; }
serial() { srv s '{"cmd": "state"}' "r['serial']"; }
calls() { srv s '{"cmd": "state"}' "r['calls'].get('$1', 0)"; }
status_serial() { nbd_js "$1" 's["networkSerial"]'; }
# same NOW BEFORE: equal, or the difference shown as comment lines.
same() {
	[ "$1" = "$2" ] && return 0
	diff <(printf '%s\n' "$2") <(printf '%s\n' "$1") | sed 's/^/# /'
	return 1
}
is_state() { test "$(daemon_status "$1")" = "$2"; }
status_says() { nbd_ctl "$1" show status | grep -Eq "$2"; }
in_sync() {
	nbd_connected "$1" && srv_knows s "$1" && wg_in_sync s "$1" &&
	    peers_in_sync s "$1" && test "$(status_serial "$1")" = "$(serial)"
}

# connecting_then_connected NAME LINE: after LINE of the log, a line
# says it is connecting (or retrying), a later one that it is connected.
connecting_then_connected() {
	tail -n +"$(($2 + 1))" "${DIROF[$1]}/log" | awk '
	    /management .*(retrying|connecting)/ && !c { c = NR }
	    /connected to management/ && c && NR > c { ok = 1 }
	    END { exit !ok }'
}

# Connecting (or retrying) with a reason, in JSON and in the text.
connecting_why() {
	test "$(daemon_status "$1")" = Connecting &&
	    test -n "$(mgmt_error "$1")" &&
	    nbd_ctl "$1" show status | grep -Eq \
	    "^Management: (Connecting to|Disconnected from) $url, reason: .+"
}

# --- management down when the daemon starts ---------------------------
nbd_new a "$url"
nbd_up a
check "management down: status Connecting with a reason within 15 s" \
    wait_until 15 connecting_why a
reason=$(mgmt_error a)
echo "# reason given: $reason"
check "management down: the interface is up meanwhile" \
    sh -c "ip -n ${NSOF[a]} link show ${IFOF[a]} | grep -q ',UP'"
sleep 4
said=$(grep "^mgmt: management $url: .*retrying" "${DIROF[a]}/log")
n=$(printf '%s\n' "$said" | grep -c .)
check "management down: said once in 4 s, not per attempt ($n line)" \
    test "$n" = 1
[ "$n" = 1 ] || printf '%s\n' "$said" | sed 's/^/# /'
srv_start s "$port" || { notok "management server starts"; finish; }
check "management up: a Connected within 30 s" wait_until 30 nbd_connected a
check "management up: a registered and configured from the map" \
    wait_until 10 in_sync a
check "management up: the reason is gone from show status" sh -c \
    "! timeout 10 '$NETBIRDCTL' -s ${DIROF[a]}/sock show status |
    grep -q '^Management: .*reason'"

nbd_new b "$url"
nbd_up b
both_in_sync() { in_sync a && in_sync b; }
check "b joins: a and b see each other within 30 s" \
    wait_until 30 both_in_sync

# --- management restarts with a new key -------------------------------
sa=$(nbd_ifstate a) sb=$(nbd_ifstate b)
pa=$(nbd_procs a) pb=$(nbd_procs b)
oldkey=$(srv s '{"cmd": "state"}' "r['server_key']")
oldserial=$(status_serial a)
keys=$(calls GetServerKey) syncs=$(calls Sync)
logmark=$(wc -l <"${DIROF[a]}/log")
srv s '{"cmd": "hostile", "mode": "delay", "seconds": 4, "methods": ["GetServerKey"]}' \
    >/dev/null
newkey=$(srv s '{"cmd": "restart"}' "r['server_key']")
check "restart: the server has a new key" test "$newkey" != "$oldkey"
check "restart: a says Connecting while management is away" \
    wait_until 6 is_state a Connecting
check "restart: a keeps its interface and peers meanwhile" \
    test "$(nbd_ifstate a)" = "$sa"
check "restart: b keeps its interface and peers meanwhile" \
    test "$(nbd_ifstate b)" = "$sb"
srv s '{"cmd": "hostile", "mode": "none"}' >/dev/null
for n in a b; do
	check "restart: $n Connected again within 30 s" \
	    wait_until 30 nbd_connected "$n"
done
check "restart: both asked for the server key again" \
    test "$(calls GetServerKey)" -ge $((keys + 2))
check "restart: both opened Sync again" test "$(calls Sync)" -ge $((syncs + 2))
check "restart: a's log says the server key changed" \
    grep -q 'management server key changed' "${DIROF[a]}/log"
check "restart: and a's log says Connecting, then Connected" \
    connecting_then_connected a "$logmark"
check "restart: a's serial goes on ($oldserial -> $(status_serial a))" \
    test "$(status_serial a)" -ge "$oldserial" -a \
    "$(status_serial a)" = "$(serial)"
check "restart: a's interface and peers as they were" \
    test "$(nbd_ifstate a)" = "$sa"
check "restart: b's interface and peers as they were" \
    test "$(nbd_ifstate b)" = "$sb"
check "restart: a: same processes" same "$(nbd_procs a)" "$pa"
check "restart: b: same processes" same "$(nbd_procs b)" "$pb"
check "restart: a: nothing fatal in the log" nbd_log_clean a
check "restart: b: nothing fatal in the log" nbd_log_clean b
rkey=$(newkey)
srv s "{\"cmd\": \"add_peer\", \"key\": \"$rkey\", \"name\": \"after-restart\"}" \
    >/dev/null
check "restart: a peer added after it reaches a (new key in use)" \
    wait_until 15 in_sync a
check "restart: and b" wait_until 15 in_sync b

# --- restart of a daemon without the setup key -------------------------
bkey=$(nbd_pub b)
bip=$(srv_peer s "$bkey" "['ip']")
npeers=$(srv s '{"cmd": "state"}' "len(r['peers'])")
nbd_stop b
check "persistence: b stops with status 0" test "$nbd_rc" = 0
sed -i '/^setup-key/d' "${DIROF[b]}/netbirdd.conf"
check "persistence: b's configuration has no setup key any more" \
    sh -c "! grep -q setup-key ${DIROF[b]}/netbirdd.conf"
logins=$(calls Login)
blogmark=$(($(wc -l <"${DIROF[b]}/log") + 1))
nbd_up b
check "persistence: b Connected and configured within 30 s" \
    wait_until 30 in_sync b
check "persistence: b logged in again" test "$(calls Login)" -gt "$logins"
check "persistence: b's log says logged in, not registered" \
    sh -c "tail -n +$blogmark ${DIROF[b]}/log | grep -q 'logged in as peer-b' &&
    ! tail -n +$blogmark ${DIROF[b]}/log | grep -q 'registered with the setup key'"
check "persistence: same public key on the interface" \
    test "$(nbd_wg b show "${IFOF[b]}" public-key)" = "$bkey"
check "persistence: same overlay address $bip/16" test \
    "$(ip -n "${NSOF[b]}" -4 -o addr show dev "${IFOF[b]}" | awk '{ print $4 }')" = "$bip/16"
check "persistence: not registered twice ($npeers peers on the server)" \
    test "$(srv s '{"cmd": "state"}' "len(r['peers'])")" = "$npeers"
check "persistence: a still sees b" wait_until 15 in_sync a

# --- an unknown setup key ---------------------------------------------
nbd_new c "$url" 0D1B3A7E-5C2F-4E8A-9B6D-7F0E1A2B3C4D
nbd_up c
check "bad setup key: show status says Login failed with the server's reason" \
    wait_until 15 status_says c \
    "^Management: Login failed at $url, reason: .*setup key is invalid"
check "bad setup key: JSON daemonStatus LoginFailed" \
    test "$(daemon_status c)" = LoginFailed
check "bad setup key: the log says so" \
    grep -q 'setup key is invalid' "${DIROF[c]}/log"
pc=$(nbd_procs c)
sleep 3
check "bad setup key: no process exits (same PIDs 3 s later)" \
    same "$(nbd_procs c)" "$pc"
check "bad setup key: seven processes and wireguard-go" \
    test "$(printf '%s\n' "$pc" | grep -c .)" = 8
check "bad setup key: nothing fatal in the log" nbd_log_clean c
check "bad setup key: not registered" \
    test "$(srv s '{"cmd": "state"}' "len(r['peers'])")" = "$npeers"
check "bad setup key: the other peers are as the map says" in_sync a

# --- a peer that needs an interactive (SSO) login ----------------------
akey=$(nbd_pub a)
sa=$(nbd_ifstate a) pa=$(nbd_procs a)
srv s "{\"cmd\": \"update_peer\", \"key\": \"$akey\", \"login_expired\": true}" \
    >/dev/null
srv s '{"cmd": "end_streams"}' >/dev/null
check "login expired: a says Needs login within 20 s" \
    wait_until 20 status_says a "^Management: Needs login at $url"
check "login expired: JSON daemonStatus NeedsLogin" \
    test "$(daemon_status a)" = NeedsLogin
check "login expired: the log says SSO login is not supported" \
    grep -Eiq 'sso|interactive' "${DIROF[a]}/log"
check "login expired: a keeps its processes" same "$(nbd_procs a)" "$pa"
check "login expired: a keeps its interface and peers" \
    same "$(nbd_ifstate a)" "$sa"
check "login expired: nothing fatal in a's log" nbd_log_clean a

for n in a b c; do
	nbd_stop_check "$n"
done
finish
