#!/bin/bash
# netbirdctl show status -d and -j against protocol.md 8.2-8.4: two
# daemons on the hub's LAN, connected P2P, with the test management and
# signal servers, coturn (STUN and TURN) and one NetBird relay server.
# - show status -d is compared line by line with a template written from
#   the spec, one regular expression a line; the first line that differs
#   is shown.  The relays list has STUN, TURN and the relay, Available.
# - -j show status: every name of 8.4, at its place, with its type.
# - show status: our summary, with "Relays: n/m Available".
# - The relay server stops: its line turns Unavailable, with a reason.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
. "$(dirname "$0")/p2p.subr"
p2p_need_relay
RELAYURL="rel://$HUBIP:$RELAYPORT"
P2P_RELAYS=$RELAYURL
p2p_setup
p2p_relay_start relay "$HUBIP" || { notok "relay server starts"; finish; }

p2p_new a
p2p_new b
nbd_up a b
for n in a b; do
	check "$n: home relay is $RELAYURL" wait_until 30 \
	    grep -q "relay: home is $RELAYURL" "${DIROF[$n]}/log"
done
p2p_connect_check a b P2P 30

re() { printf '%s' "$1" | sed 's/[.[\*^$()+?{}|]/\\&/g'; }
HUB=$(re "$HUBIP")
# Go's "time ago", IEC sizes and durations.
AGO='(Now|[0-9]+ seconds? ago|[0-9]+ minutes?(, [0-9]+ seconds?)? ago)'
IEC='[0-9]+ B|[0-9]+\.[0-9] [KMGTPE]iB'
DUR='0s|[0-9]+(\.[0-9]+)?(ns|µs|ms|s)|[0-9]+m[0-9]+(\.[0-9]+)?s'

# template A TURN: the lines daemon a must print, TURN the state of the
# TURN line.
template() {
	local key fqb fqa
	key=$(re "$(nbd_pub b)")
	fqb=$(re "$(p2p_fqdn b)")
	fqa=$(re "$(p2p_fqdn a)")
	cat <<EOF
Peers detail:
 $fqb:
  NetBird IP: 100\.[0-9]+\.[0-9]+\.[0-9]+
  Public key: $key
  Status: Connected
  -- detail --
  Connection type: P2P
  ICE candidate \(Local/Remote\): host/host
  ICE candidate endpoints \(Local/Remote\): $(re "${ADDROF[a]}"):$WGPORT/$(re "${ADDROF[b]}"):$WGPORT
  Relay server address: ($(re "$RELAYURL"))?
  Last connection update: $AGO
  Last WireGuard handshake: $AGO
  Transfer status \(received/sent\) ($IEC)/($IEC)
  Quantum resistance: false
  Networks: -
  Latency: ($DUR)

Events: No events recorded
OS: linux/[a-z0-9]+( \(ARMv[0-9]*\))?
Daemon version: [0-9]+\.[0-9]+\.[0-9]+.*
CLI version: [0-9]+\.[0-9]+\.[0-9]+.*
Profile: default
Management: Connected to $(re "$P2P_URL")
Signal: Connected to http://$HUB:$SIGPORT
Relays: 
  \[stun:$HUB:$TURNPORT\] is Available
  \[turn:$HUB:$TURNPORT\?transport=udp\] is $2
  \[$(re "$RELAYURL")\] is Available via ws
Nameservers: 
FQDN: $fqa
NetBird IP: 100\.[0-9]+\.[0-9]+\.[0-9]+/[0-9]+
Interface type: Userspace
Wireguard port: $WGPORT
Quantum resistance: false
Lazy connection: false
SSH Server: Disabled
Networks: -
Peers count: 1/1 Connected
EOF
}

# layout_ok OUT TEMPLATE: every line of OUT matches the regular
# expression on the same line of TEMPLATE, and there are as many; the
# first that does not is said on stderr.
layout_ok() {
	"$PYTHON" - "$1" "$2" <<'EOF'
import re, sys
out = open(sys.argv[1], encoding='utf-8').read()
tpl = open(sys.argv[2], encoding='utf-8').read()
if not out.endswith('\n'):
    sys.exit('# the output does not end with a newline')
o, t = out.split('\n')[:-1], tpl.split('\n')[:-1]
for i in range(max(len(o), len(t))):
    got = o[i] if i < len(o) else '<end of output>'
    want = t[i] if i < len(t) else '<end of template>'
    if i >= len(o) or i >= len(t) or not re.fullmatch(want, got):
        sys.exit('# line %d differs:\n#  got:  %r\n#  want: %r' %
                 (i + 1, got, want))
EOF
}

# A TURN probe, or the agents' allocations, make TURN Available soon.
turn_up() {
	nbd_ctl a show status -d | grep -q "^  \[turn:.*\] is Available$"
}
check "a: the TURN server is Available within 15 s" wait_for 15 turn_up
# The counters come every few seconds: the handshake may still be "-".
hs_seen() {
	nbd_ctl a show status -d | grep -q "^  Last WireGuard handshake: [^-]"
}
check "a: a WireGuard handshake shows within 15 s" wait_for 15 hs_seen
nbd_ctl a show status -d >"$tmp/detail" 2>"$tmp/err"
check "show status -d: exit status 0, nothing on stderr" \
    sh -c "test $? -eq 0 && test ! -s '$tmp/err'"
template a Available >"$tmp/template"
sed 's/^/# | /' "$tmp/detail"
if layout_ok "$tmp/detail" "$tmp/template" 2>"$tmp/why"; then
	ok "show status -d: every line as the template from 8.3"
else
	notok "show status -d: every line as the template from 8.3"
	cat "$tmp/why"
fi
# The comparison itself: a template one line off is refused.
sed '3s/^/x/' "$tmp/template" >"$tmp/template.bad"
layout_bad() { ! layout_ok "$1" "$2" 2>/dev/null; }
check "show status -d: a template one line off does not match" \
    layout_bad "$tmp/detail" "$tmp/template.bad"

check "show status -d: the relays list, STUN, TURN and relay Available" \
    grep -qx "  \[$(re "$RELAYURL")\] is Available via ws" "$tmp/detail"

# -j: 8.4's names, nesting and types.
nbd_ctl a -j show status >"$tmp/json"
check "-j show status: one line" test "$(wc -l <"$tmp/json")" -eq 1
json_ok() {
	"$PYTHON" - "$tmp/json" "$(nbd_pub b)" "$RELAYURL" <<'EOF'
import json, re, sys
s = json.load(open(sys.argv[1]))
S, I, B, L, D, N = str, int, bool, list, dict, type(None)
RFC3339 = r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)'
def has(d, name, types, where):
    assert name in d, '%s: no %s' % (where, name)
    v = d[name]
    assert isinstance(v, types) and not (types is I and isinstance(v, bool)), \
        '%s.%s: %r' % (where, name, v)
    return v
top = [('peers', D), ('cliVersion', S), ('daemonVersion', S),
       ('daemonStatus', S), ('management', D), ('signal', D),
       ('relays', D), ('netbirdIp', S), ('publicKey', S),
       ('usesKernelInterface', B), ('wireguardPort', I), ('fqdn', S),
       ('quantumResistance', B), ('quantumResistancePermissive', B),
       ('networks', (L, N)), ('forwardingRules', I), ('dnsServers', L),
       ('events', L), ('lazyConnectionEnabled', B), ('profileName', S),
       ('sshServer', D)]
for k, t in top:
    has(s, k, t, 'top')
names = list(s)
assert names[:len(top)] == [k for k, _ in top], 'order: %s' % names
assert 'netbirdIpv6' not in s and 'sessionExpiresAt' not in s
assert s['daemonStatus'] == 'Connected' and s['profileName'] == 'default'
for k in ('management', 'signal'):
    for n, t in (('url', S), ('connected', B), ('error', S)):
        has(s[k], n, t, k)
    assert s[k]['connected'] is True, s[k]
p = s['peers']
assert has(p, 'total', I, 'peers') == 1 and has(p, 'connected', I, 'peers') == 1
d = has(p, 'details', L, 'peers')[0]
for n, t in (('fqdn', S), ('netbirdIp', S), ('publicKey', S), ('status', S),
             ('lastStatusUpdate', S), ('connectionType', S),
             ('iceCandidateType', D), ('iceCandidateEndpoint', D),
             ('relayAddress', S), ('lastWireguardHandshake', S),
             ('transferReceived', I), ('transferSent', I), ('latency', I),
             ('quantumResistance', B), ('networks', (L, N))):
    has(d, n, t, 'peer')
for k in ('iceCandidateType', 'iceCandidateEndpoint'):
    has(d[k], 'local', S, k)
    has(d[k], 'remote', S, k)
assert d['publicKey'] == sys.argv[2] and d['status'] == 'Connected'
assert d['connectionType'] == 'P2P' and d['iceCandidateType'] == \
    {'local': 'host', 'remote': 'host'}, d
assert re.fullmatch(RFC3339, d['lastStatusUpdate']), d['lastStatusUpdate']
assert re.fullmatch(RFC3339, d['lastWireguardHandshake'])
assert d['latency'] >= 0 and 'netbirdIpv6' not in d
r = s['relays']
tot, av = has(r, 'total', I, 'relays'), has(r, 'available', I, 'relays')
det = has(r, 'details', L, 'relays')
assert tot == len(det) == 3 and av == sum(x['available'] for x in det), r
for x in det:
    has(x, 'uri', S, 'relay')
    has(x, 'available', B, 'relay')
    has(x, 'error', S, 'relay')
    assert set(x) <= {'uri', 'available', 'error', 'transport'}, x
rel = [x for x in det if x['uri'] == sys.argv[3]]
assert rel and rel[0]['available'] and rel[0].get('transport') == 'ws', det
assert [x['uri'].split(':')[0] for x in det] == ['stun', 'turn', 'rel'], det
assert 'transport' not in det[0], det[0]
for n in s['dnsServers'] + s['events']:
    raise AssertionError('no DNS servers or events expected')
assert has(s['sshServer'], 'enabled', B, 'sshServer') is False
assert has(s['sshServer'], 'sessions', L, 'sshServer') == []
EOF
}
check "-j show status: every name of 8.4, its nesting and type" json_ok

nbd_ctl a show status >"$tmp/summary"
check "show status: Relays: 3/3 Available in our summary" \
    grep -qx 'Relays: 3/3 Available' "$tmp/summary"
check "show status: our summary otherwise as before" sh -c \
    "grep -q '^Daemon version: ' '$tmp/summary' &&
    grep -q '^Interface: ' '$tmp/summary' &&
    grep -qx 'Peers count: 1/1 Connected' '$tmp/summary'"

# The relay server goes: its line says so, with a reason.
p2p_relay_stop relay
rel_down() {
	nbd_ctl a show status -d >"$tmp/detail2" &&
	    grep -Eqx "  \[$(re "$RELAYURL")\] is Unavailable, reason: .+" \
	    "$tmp/detail2"
}
if wait_for 30 rel_down; then
	ok "relay stopped: Unavailable with a reason (${WAITED} s)"
else
	notok "relay stopped: Unavailable with a reason"
	sed 's/^/# | /' "$tmp/detail2"
fi
grep '\] is Unavailable' "$tmp/detail2" | sed 's/^/# /'
check "relay stopped: show status counts 2/3" sh -c \
    "'$NETBIRDCTL' -s '${DIROF[a]}/sock' show status |
    grep -qx 'Relays: 2/3 Available'"
down_json() {
	nbd_ctl a -j show status | "$PYTHON" -c "
import json, sys
r = json.load(sys.stdin)['relays']
x = [d for d in r['details'] if d['uri'] == '$RELAYURL'][0]
assert r['available'] == 2 and not x['available'] and x['error'], x
assert 'transport' not in x, x"
}
check "relay stopped: -j says it, with the error" down_json
check "relay stopped: a and b still P2P" p2p_is a b P2P

nbd_stop_check a
nbd_stop_check b
finish
