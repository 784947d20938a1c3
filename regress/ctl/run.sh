#!/bin/sh
# netbirdctl against a real netbirdd in a network namespace: every
# command, text and JSON, a reload with a good and a broken file, a
# client that is not root, and clients that send garbage, stop half way,
# break the protocol or come by the hundred.  Afterwards netbirdctl must
# still work and every daemon process must be the one that started.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd ip setpriv timeout
[ -x "$PYTHON" ] || { skip "$(basename "$0"): no $PYTHON"; exit 0; }
CLIENT="$PYTHON $(dirname "$0")/client.py"
HEADER=$TOP/netbirdd/netbirdd.h

daemon_setup nbdctl
sed -i 's/^log level .*/log level info/' "$conf"
daemon_start || { notok "daemon starts"; cat "$tmp/log"; exit 1; }
ok "daemon starts"
kids=$(ps --ppid "$pid" -o pid= | sort | tr -d ' ' | tr '\n' ' ')

ctl() { timeout 10 "$NETBIRDCTL" -s "$sock" "$@"; }
client() { timeout 30 $CLIENT "$sock" "$HEADER" "$@"; }
# has FILE REGEX: a line of FILE matches
has() { grep -Eq -- "$2" "$1"; }
# alive: the parent and the children it started are all still there
alive() {
	kill -0 "$pid" 2>/dev/null || return 1
	now=$(ps --ppid "$pid" -o pid= | sort | tr -d ' ' | tr '\n' ' ')
	[ "$now" = "$kids" ]
}
debug_lines() { grep -c '^control: client' "$tmp/log"; }

# show status
pub=$(wg pubkey <"$tmp/state/private.key" 2>/dev/null)
ctl show status >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 124 ]; then
	notok "show status: no answer within 10 s"
	cat "$tmp/log"
	exit 1
fi
check "show status: exit status 0" test "$rc" -eq 0
check "show status: 12 lines" test "$(wc -l <"$tmp/out")" -eq 12
check "show status: daemon version" has "$tmp/out" '^Daemon version: [0-9]'
# No server listens there: mgmt tries, fails and says why.
check "show status: management URL and state" has "$tmp/out" \
    '^Management: (Not connected to|Connecting to|Disconnected from) http://127\.0\.0\.1:1(, reason: .+)?$'
check "show status: our public key" \
    grep -qxF "Public key: $pub" "$tmp/out"
check "show status: interface line" \
    has "$tmp/out" "^Interface: nbt[0-9]+ \\((N/A|Userspace|Kernel)\\), port 51820, MTU 1280$"
check "show status: never synced" grep -qx 'Last sync: never' "$tmp/out"
check "show status: no relays yet" \
    grep -qx 'Relays: 0/0 Available' "$tmp/out"
check "show status: peers count" \
    grep -qx 'Peers count: 0/0 Connected' "$tmp/out"
check "show status: log level info" grep -qx 'Log level: info' "$tmp/out"
check "show status: nothing on stderr" test ! -s "$tmp/err"
ctl sh st >"$tmp/out2"
# Started and the management retry reason may move between two calls.
check "sh st: the same as show status" sh -c \
    "grep -Ev '^(Started|Management):' '$tmp/out' >'$tmp/a' &&
    grep -Ev '^(Started|Management):' '$tmp/out2' >'$tmp/b' &&
    cmp -s '$tmp/a' '$tmp/b'"

# show peers: no network map yet, so only the header
ctl show peers >"$tmp/out"
check "show peers: exit status 0" test $? -eq 0
check "show peers: the header alone" sh -c "test \$(wc -l <'$tmp/out') -eq 1 \
    && grep -Eq '^NAME +IP +PUBLIC KEY +STATE +CONN +HANDSHAKE +RX +TX$' '$tmp/out'"
ctl show peers connected idle >"$tmp/out2"
check "show peers connected idle: the header alone" cmp -s "$tmp/out" "$tmp/out2"
ctl show peers -d >"$tmp/out" 2>"$tmp/err"
check "show peers -d: exit status 0" test $? -eq 0
check "show peers -d: the title alone, nothing on stderr" sh -c \
    "test \"\$(cat '$tmp/out')\" = 'Peers detail:' && test ! -s '$tmp/err'"
ctl show peer nosuch >"$tmp/out" 2>"$tmp/err"
check "show peer nosuch: exit status 1" test $? -eq 1
check "show peer nosuch: nothing on stdout" test ! -s "$tmp/out"
check "show peer nosuch: the message on stderr" \
    grep -qx 'netbirdctl: no peer matches nosuch' "$tmp/err"
ctl -j show peer nosuch >"$tmp/out" 2>"$tmp/err"
rc=$?
check "-j show peer nosuch: exit status 1, no JSON, the message" sh -c \
    "test $rc -eq 1 && test ! -s '$tmp/out' &&
    grep -qx 'netbirdctl: no peer matches nosuch' '$tmp/err'"
ctl show peer >"$tmp/out" 2>"$tmp/err"
rc=$?
check "show peer without a name: refused" sh -c \
    "test $rc -eq 1 && grep -qx 'netbirdctl: missing argument' '$tmp/err'"

# JSON
ctl -j show status >"$tmp/out"
check "-j show status: one line" test "$(wc -l <"$tmp/out")" -eq 1
check "-j show status: JSON with netbird status --json names" \
    $PYTHON -c "
import json, sys
d = json.load(open('$tmp/out'))
assert d['publicKey'] == '$pub', d['publicKey']
m = d['management']
assert m['url'] == 'http://127.0.0.1:1' and m['connected'] is False, m
assert isinstance(m['error'], str), m
assert d['peers'] == {'total': 0, 'connected': 0, 'details': None}, d
assert d['relays'] == {'total': 0, 'available': 0, 'details': None}, d
assert d['wireguardPort'] == 51820
assert d['daemonStatus'] in ('Idle', 'Connecting'), d['daemonStatus']
assert d['logLevel'] == 'info'"
ctl show status -d >"$tmp/out" 2>"$tmp/err"
check "show status -d: exit status 0, nothing on stderr" \
    sh -c "test $? -eq 0 && test ! -s '$tmp/err'"
check "show status -d: no peers, no events, no relays" sh -c \
    "head -n 2 '$tmp/out' | tr '\n' '|' |
    grep -qx 'Peers detail:|Events: No events recorded|' &&
    grep -qx 'Relays: ' '$tmp/out' && grep -qx 'Peers count: 0/0 Connected' '$tmp/out'"
ctl -j show peers >"$tmp/out"
check "-j show peers: empty list" $PYTHON -c "
import json
d = json.load(open('$tmp/out'))
assert d == {'peers': {'details': [], 'total': 0, 'connected': 0}}, d"
ctl -j show peers -d >"$tmp/out2"
check "-j show peers -d: the same JSON" cmp -s "$tmp/out" "$tmp/out2"

# show metrics: the samples waiting to be pushed, line protocol (none
# may be waiting: there was no login); -p: the Prometheus text, which
# always has netbird_info and the peer gauges.
ctl show metrics >"$tmp/out" 2>"$tmp/err"
rc=$?
check "show metrics: exit status 0, nothing on stderr" \
    sh -c "test $rc -eq 0 && test ! -s '$tmp/err'"
check "show metrics: line protocol lines only" sh -c \
    "! grep -Evq '^netbird_[a-z_]+,[^ ]+ [^ ]+ [0-9]+$' '$tmp/out'"
ctl show metrics -p >"$tmp/out" 2>"$tmp/err"
rc=$?
check "show metrics -p: exit status 0, nothing on stderr" \
    sh -c "test $rc -eq 0 && test ! -s '$tmp/err'"
check "show metrics -p: netbird_peers, a gauge, none connected" sh -c \
    "grep -qx '# TYPE netbird_peers gauge' '$tmp/out' &&
    grep -qx 'netbird_peers{state=\"connected\"} 0' '$tmp/out'"
check "show metrics -p: netbird_info with our version" \
    has "$tmp/out" '^netbird_info\{version="[0-9]+\.[0-9]+\.[0-9]+[^"]*",.*\} 1$'
check "show metrics -p: no login yet" \
    grep -qx 'netbird_login_total{result="success"} 0' "$tmp/out"
check "show metrics -p: printable text, lines end in newline" sh -c \
    "! LC_ALL=C grep -q '[^[:print:]	]' '$tmp/out' && test \"\$(tail -c 1 '$tmp/out' | od -An -c | tr -d ' ')\" = '\n'"
ctl sh m -p >"$tmp/out2"
check "sh m -p: the same lines as show metrics -p" cmp -s "$tmp/out" "$tmp/out2"
ctl -j show metrics >"$tmp/out" 2>"$tmp/err"
rc=$?
check "-j show metrics: refused, no JSON, one line saying why" sh -c \
    "test $rc -eq 1 && test ! -s '$tmp/out' &&
    grep -qx 'netbirdctl: -j: show metrics has no JSON form' '$tmp/err'"
ctl show status -p >"$tmp/out" 2>"$tmp/err"
rc=$?
check "show status -p: refused" sh -c \
    "test $rc -eq 1 && grep -qx 'netbirdctl: -p: only with show metrics' '$tmp/err'"

# debug bundle, without a log: written, mode 0600, never over a file
ctl debug bundle "$tmp/b.tgz" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "debug bundle: exit status 0, one line naming the file and size" \
    sh -c "test $rc -eq 0 && test ! -s '$tmp/err' &&
    grep -qx 'debug bundle written to $tmp/b.tgz, [0-9]* bytes' '$tmp/out'"
check "debug bundle: the size said is the file's" grep -qx \
    "debug bundle written to $tmp/b.tgz, $(stat -c %s "$tmp/b.tgz" 2>/dev/null) bytes" "$tmp/out"
check "debug bundle: mode 0600" test "$(stat -c %a "$tmp/b.tgz")" = 600
check "debug bundle: status, config, network map, README; no log" \
    test "$(tar -tzf "$tmp/b.tgz" 2>/dev/null | sort | tr '\n' ' ')" = \
    "README.txt config.txt network_map.json status.txt "
check "debug bundle: README says no log was included" sh -c \
    "tar -xzOf '$tmp/b.tgz' README.txt | grep -q '^No log was included'"
check "debug bundle: no network map yet: null" sh -c \
    "test \"\$(tar -xzOf '$tmp/b.tgz' network_map.json)\" = null"
check "debug bundle: our public key is anonymised" sh -c \
    "! tar -xzOf '$tmp/b.tgz' | grep -qF '$pub'"
cp "$tmp/b.tgz" "$tmp/b.copy"
ctl debug bundle "$tmp/b.tgz" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "debug bundle over an existing file: refused, the file untouched" \
    sh -c "test $rc -eq 1 && cmp -s '$tmp/b.tgz' '$tmp/b.copy' &&
    grep -qx 'netbirdctl: $tmp/b.tgz: File exists' '$tmp/err'"
ctl debug bundle "$tmp/b2.tgz" -L "$tmp/nosuch" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "debug bundle -L missing file: refused, nothing left behind" sh -c \
    "test $rc -eq 1 && test ! -e '$tmp/b2.tgz' &&
    grep -q '^netbirdctl: $tmp/nosuch: No such file' '$tmp/err'"
ctl debug bundle "$tmp/nodir/b.tgz" >"$tmp/out" 2>"$tmp/err"
check "debug bundle into a missing directory: one line, exit status 1" \
    sh -c "test $? -eq 1 && test \$(wc -l <'$tmp/err') -eq 1"

# log verbose, log brief: the control child's debug lines come and go
ctl log verbose >"$tmp/out"
check "log verbose: exit status 0" test $? -eq 0
check "log verbose: status says debug" \
    sh -c "'$NETBIRDCTL' -s '$sock' show status | grep -qx 'Log level: debug'"
before=$(debug_lines)
ctl show status >/dev/null
check "log verbose: the control child logs at debug level" \
    wait_until 5 test "$(debug_lines)" -gt "$before"
ctl log brief >"$tmp/out"
check "log brief: exit status 0" test $? -eq 0
check "log brief: status says info" \
    sh -c "'$NETBIRDCTL' -s '$sock' show status | grep -qx 'Log level: info'"
before=$(debug_lines)
ctl show status >/dev/null
ctl show peers >/dev/null
sleep 0.3
check "log brief: the control child stops logging debug lines" \
    test "$(debug_lines)" -eq "$before"

# reload: a good file takes effect, a broken one changes nothing
sed -i 's,^management .*,management "http://127.0.0.1:2",' "$conf"
ctl reload >"$tmp/out" 2>"$tmp/err"
check "reload: exit status 0" test $? -eq 0
check "reload: the new management URL is in effect" sh -c \
    "'$NETBIRDCTL' -s '$sock' show status |
    grep -Eq '^Management: .* http://127\.0\.0\.1:2(,|$)'"
cp "$conf" "$tmp/good.conf"
sed -i 's,^management .*,management "http://127.0.0.1:3",' "$conf"
echo 'this is not a setting' >>"$conf"
line=$(wc -l <"$conf")
ctl reload >"$tmp/out" 2>"$tmp/err"
check "reload, broken file: exit status 1" test $? -eq 1
check "reload, broken file: one line on stderr naming the failure" sh -c \
    "test \$(wc -l <'$tmp/err') -eq 1 && grep -q '^netbirdctl: failed: ' '$tmp/err'"
check "reload, broken file: netbirdctl names the file and line" \
    grep -qF "$conf:$line: " "$tmp/err"
check "reload, broken file: the daemon keeps running" alive
check "reload, broken file: the old configuration stays" sh -c \
    "'$NETBIRDCTL' -s '$sock' show status |
    grep -Eq '^Management: .* http://127\.0\.0\.1:2(,|$)'"
cp "$tmp/good.conf" "$conf"

# A client that is not root: the socket's mode keeps it out, and if the
# mode were wrong, the control child's SO_PEERCRED check would.
chmod 0711 "$tmp"
setpriv --reuid nobody --regid nogroup --clear-groups \
    timeout 10 "$NETBIRDCTL" -s "$sock" show status >"$tmp/out" 2>"$tmp/err"
check "non-root: refused" test $? -eq 1
check "non-root: permission denied on connect" \
    grep -qx "netbirdctl: connect: $sock: Permission denied" "$tmp/err"
chmod 0666 "$sock"
setpriv --reuid nobody --regid nogroup --clear-groups \
    timeout 10 "$NETBIRDCTL" -s "$sock" show status >"$tmp/out" 2>"$tmp/err"
rc=$?
check "non-root past a wrong mode: refused, nothing shown" \
    sh -c "test $rc -eq 1 && test ! -s '$tmp/out'"
check "non-root past a wrong mode: the control child logs the uid" \
    has "$tmp/log" "^control: control_accept: refused pid [0-9]+, uid $(id -u nobody): not root$"
chmod 0600 "$sock"
chmod 0700 "$tmp"

# Hostile clients
check "garbage bytes: the client is dropped" \
    test "$(client garbage)" = dropped
check "garbage bytes: one warning" has "$tmp/log" 'client [0-9]+: malformed message'
check "oversized message: the client is dropped" \
    test "$(client oversize)" = dropped
check "half a header, then gone" test "$(client halfheader)" = "sent and closed"
check "half a message, then gone" test "$(client halfmessage)" = "sent and closed"
check "file descriptor passed: the client is dropped" \
    test "$(client fdpass)" = dropped
for kind in unknown size level reply; do
	check "bad request ($kind): CTL_RES_BADREQ, then closed, nothing more served" \
	    test "$(client badrequest $kind)" = "IMSG_CTL_RESULT(3) closed"
done
check "bad request: the reason is logged" \
    has "$tmp/log" 'client [0-9]+: bad request: log level 7 out of range'
check "three requests in one write: answered in order" \
    test "$(client pipeline)" = "SHOW_STATUS END END SHOW_STATUS END"
check "50 clients that ask and go before the answer" \
    test "$(client earlyclose 50)" = done
check "200 clients that connect and close" test "$(client churn 200)" = done
# A saturation is logged once, its end once (earlier cases may have had
# one of their own).
paused() { grep -c "$1" "$tmp/log"; }
pauses=$(paused 'not accepting for 1 s$')
resumes=$(paused '^control: accepting clients again$')
flood=$(client flood 100)
echo "# flood: $flood"
check "100 connections at once: opened and closed" \
    sh -c "echo '$flood' | grep -q '^[0-9]* connected'"
check "100 connections: the control child paused accepting" \
    has "$tmp/log" '^control: 32 clients: not accepting for 1 s$'
check "100 connections: the pause logged once, not once a second" \
    test "$(paused 'not accepting for 1 s$')" -eq $((pauses + 1))

# After all that
check "netbirdctl works again after the flood" \
    wait_until 10 "$NETBIRDCTL" -s "$sock" show status
check "the end of the pause is logged once" \
    test "$(paused '^control: accepting clients again$')" -eq $((resumes + 1))
check "show peers still answers" sh -c "'$NETBIRDCTL' -s '$sock' show peers >/dev/null"
check "every daemon process is still the one that started" alive
check "no process logged a fatal error" sh -c "! grep -q 'fatal' '$tmp/log'"

# The control child alone, played against by a script.
timeout 300 "$PYTHON" "$(dirname "$0")/control_child.py" || FAILED=1
finish
