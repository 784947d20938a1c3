#!/bin/bash
# The signal connection of real daemons (userspace WireGuard) in network
# namespaces, against the test management and signal servers:
#  - each daemon registers on its signal server under its key, the
#    server reached by name (signal.test) through the dns child, and
#    show status says Connected;
#  - messages from a key not in the network map are dropped and
#    counted, with one log line for the key however many come;
#  - a peer of the map gets the daemon's OFFER with every field, opened
#    and decoded by the test client's own protobuf and NaCl; its OFFERs
#    reach ice, late when the server delays them, twice when it
#    duplicates them, not when it drops them; hostile ones (a body that
#    does not decrypt, a session id of the wrong length, a payload over
#    the limit, a body the server corrupts) change a counter and a log
#    line, no process;
#  - after 30 s without a message a daemon sends itself a HEARTBEAT
#    through the server, it comes back and the stream stays (NetBird has
#    no setting for these timings: they are tested as they are);
#  - the signal server restarts: show status says Disconnected with the
#    reason, the log says it once, and the daemon registers again within
#    the backoff; a stream the server kicks likewise.
# b has a management and a signal server of its own, so that nothing but
# its heartbeat ever reaches it; its signal server speaks TLS, with a
# certificate made here that b's namespace alone trusts.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
mgmt_need
need_cmd openssl
hub_setup

url=http://signal.test:10000
burl=https://signal.test:10001
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -nodes -days 1 -subj /CN=signal.test \
    -addext subjectAltName=DNS:signal.test -keyout "$tmp/key.pem" \
    -out "$tmp/cert.pem" 2>/dev/null

sig_start sig 10000 || { notok "signal server starts"; finish; }
sig_start sigb 10001 --tls "$tmp/cert.pem" "$tmp/key.pem" ||
    { notok "b's signal server (TLS) starts"; finish; }
srv_start s 33073 --signal "signal.test:10000,http" ||
    { notok "management server starts"; finish; }
srv_start sb 33074 --signal "signal.test:10001,https" ||
    { notok "b's management server starts"; finish; }
nbd_new a "http://$HUBIP:33073"
nbd_etc a "$tmp/cert.pem"
nbd_new b "http://$HUBIP:33074"
nbd_etc b "$tmp/cert.pem"
nbd_up a b
akey=$(nbd_pub a)
bkey=$(nbd_pub b)
alog=${DIROF[a]}/log

stats() { local n=$1; shift; srv "$n" '{"cmd": "stats"}' "$@"; }
registered() { test "$(stats "$1" "'$2' in r['registered']")" = true; }
registrations() { stats "$1" "r['registrations'].get('$2', 0)"; }
registrations_are() { test "$(registrations "$1" "$2")" = "$3"; }
# pair SRV FROM TO COUNTER
pair() {
	stats "$1" "next((p['$4'] for p in r['pairs']
	    if p['from'] == '$2' and p['to'] == '$3'), 0)"
}
sig_js() { nbd_js "$1" "s['signal']$2"; }
dropped_is() { test "$(sig_js "$1" "['droppedUnknownKey']")" = "$2"; }
invalid_is() { test "$(sig_js "$1" "['droppedInvalid']")" = "$2"; }
status_has() { nbd_ctl "$1" show status | grep -Eq -- "$2"; }
# counted N M: the signal line of show status with those counts
counted() {
	status_has a "^Signal: Connected to $url, messages dropped: $1 from \
unknown keys, $2 invalid\$"
}
same() { test "$1" = "$2"; }
to_ice() { grep -cF "OFFER from $1, to ice" "$alog"; }
more_to_ice() { test "$(to_ice "$1")" -ge "$2"; }
self_sent() { test "$(pair sigb "$bkey" "$bkey" sends)" -ge 1; }
connected_again() {
	status_has a "^Signal: Connected to $url(,|$)" &&
	    test "$(sig_js a "['error']")" = ""
}

# --- registration -----------------------------------------------------
check "a registers on the signal server under its key within 20 s" \
    wait_until 20 registered sig "$akey"
check "b registers on its own signal server, over TLS, within 20 s" \
    wait_until 20 registered sigb "$bkey"
check "b: show status says Connected to $burl" \
    wait_until 5 status_has b "^Signal: Connected to $burl\$"
check "a: show status says Connected to $url" \
    wait_until 5 status_has a "^Signal: Connected to $url\$"
check "a: JSON signal connected, no error" sh -c \
    "test \"\$1\" = true && test -z \"\$2\"" sh \
    "$(sig_js a "['connected']")" "$(sig_js a "['error']")"
check "a: the log says connected to signal once" \
    test "$(grep -c "^signal: connected to signal $url\$" "$alog")" = 1
pa=$(nbd_procs a)

# --- a key not in the network map -------------------------------------
ukey=$(wg genkey)
upub=$(printf '%s\n' "$ukey" | wg pubkey)
sig_client sig --key "$ukey" --to "$akey" --count 3 >"$tmp/unknown.out" 2>&1
check "unknown key: the server forwarded its 3 OFFERs to a" \
    test "$(pair sig "$upub" "$akey" forwarded)" = 3
check "unknown key: a counts 3 messages dropped" wait_until 5 dropped_is a 3
n=$(grep -cF "message from $upub, not a peer in the network map: dropped" \
    "$alog")
check "unknown key: one log line for the 3 ($n)" test "$n" = 1
check "unknown key: show status says so" counted 3 0
check "unknown key: nothing reached ice" test "$(to_ice "$upub")" = 0

# --- a peer of the map ------------------------------------------------
kkey=$(wg genkey)
kpub=$(printf '%s\n' "$kkey" | wg pubkey)
sig_client sig --key "$kkey" --listen 30 >"$tmp/known.out" 2>&1 &
lpid=$!
wait_until 10 grep -q '^registered' "$tmp/known.out"
srv s "{\"cmd\": \"add_peer\", \"key\": \"$kpub\", \"name\": \"tester\"}" \
    >/dev/null
check "known peer: in a's map within 15 s" wait_until 15 peers_in_sync s a

# a's OFFER as the test client opened and decoded it
offer_ok() {
	"$PYTHON" - "$tmp/known.out" "$akey" <<'PY'
import json, re, sys
for line in open(sys.argv[1]):
    if not line.startswith("{"):
        continue
    m = json.loads(line)
    if m.get("from") != sys.argv[2] or m.get("type") != 0:
        continue
    ok = (m["opened"] and
          re.fullmatch(r"[A-Za-z]{16}:[A-Za-z]{32}", m["payload"]) and
          m["wgListenPort"] == 51820 and m["netBirdVersion"] and
          m["hasRosenpassConfig"] and len(m.get("sessionId", "")) == 10)
    sys.exit(0 if ok else 2)
sys.exit(1)
PY
}
check "known peer: a's OFFER reaches it within 10 s, opens, and has \
ufrag:pwd, port, version, rosenpassConfig and a 5-byte sessionId" \
    wait_until 10 offer_ok

client() { sig_client sig --key "$kkey" --to "$akey" --no-register "$@"; }
n0=$(to_ice "$kpub")
client >/dev/null
check "known peer: its OFFER reaches ice" wait_until 5 more_to_ice "$kpub" \
    $((n0 + 1))
client --garbage >/dev/null
check "garbage body: counted invalid" wait_until 5 invalid_is a 1
check "garbage body: the log says it does not decrypt" \
    grep -qF "message from $kpub does not decrypt: dropped" "$alog"
n0=$(to_ice "$kpub")
client --session-id-len 3 >/dev/null
check "session id of 3 bytes: the OFFER still reaches ice" \
    wait_until 5 more_to_ice "$kpub" $((n0 + 1))
check "session id of 3 bytes: not counted invalid" invalid_is a 1
client --payload-size 600 >/dev/null
check "payload of 600 bytes: counted invalid" wait_until 5 invalid_is a 2
srv sig "{\"cmd\": \"corrupt\", \"count\": 1, \"from\": \"$kpub\"}" >/dev/null
client >/dev/null
check "a body the server corrupted: counted invalid" \
    wait_until 5 invalid_is a 3
check "the server did corrupt one" \
    test "$(pair sig "$kpub" "$akey" corrupted)" = 1
n0=$(to_ice "$kpub")
srv sig "{\"cmd\": \"duplicate\", \"count\": 1, \"from\": \"$kpub\"}" \
    >/dev/null
client >/dev/null
check "an OFFER the server duplicated reaches ice twice" \
    wait_until 5 more_to_ice "$kpub" $((n0 + 2))
n0=$(to_ice "$kpub")
srv sig "{\"cmd\": \"drop\", \"count\": 1, \"from\": \"$kpub\"}" >/dev/null
client >/dev/null
check "an OFFER the server dropped: counted there" \
    test "$(pair sig "$kpub" "$akey" dropped)" = 1
sleep 1
check "an OFFER the server dropped: nothing reached ice" \
    test "$(to_ice "$kpub")" = "$n0"
rule="{\"cmd\": \"delay\", \"ms\": 1500, \"count\": 1, \"from\": \"$kpub\"}"
srv sig "$rule" >/dev/null
client >/dev/null
check "an OFFER the server delayed: not at once" \
    test "$(to_ice "$kpub")" = "$n0"
check "an OFFER the server delayed: reaches ice later" \
    wait_until 5 more_to_ice "$kpub" $((n0 + 1))
n=$(grep -cF "message from $kpub " "$alog")
check "hostile messages: one warning for the key in the minute ($n)" \
    test "$n" = 1
check "hostile messages: show status counts them" counted 3 3
check "hostile messages: a's processes are those that started" \
    same "$(nbd_procs a)" "$pa"
check "hostile messages: nothing fatal in a's log" nbd_log_clean a

# --- heartbeat ---------------------------------------------------------
t0=$(stats sigb "r['registered_at']['$bkey']")
check "heartbeat: b sends itself one through the server within 45 s" \
    wait_until 45 self_sent
t1=$(pair sigb "$bkey" "$bkey" first)
dt=$("$PYTHON" -c "print('%.1f' % ($t1 - $t0))")
check "heartbeat: after 30 s of silence, not before (+$dt s)" \
    "$PYTHON" -c "assert 29.5 <= $t1 - $t0 <= 41.5"
check "heartbeat: the server routed it back to b" \
    test "$(pair sigb "$bkey" "$bkey" forwarded)" -ge 1
check "heartbeat: b took it back" wait_until 5 \
    grep -q '^signal: heartbeat came back$' "${DIROF[b]}/log"
check "heartbeat: b kept its stream (one registration)" \
    test "$(registrations sigb "$bkey")" = 1
check "heartbeat: b still says Connected" \
    status_has b "^Signal: Connected to $burl\$"
check "heartbeat: it is all that reached b" test \
    "$(stats sigb "[p['from'] for p in r['pairs'] if p['to'] == '$bkey']")" \
    = "[\"$bkey\"]"

# --- the signal server restarts ------------------------------------------
mark=$(wc -l <"$alog")
sig_stop sig
check "restart: a says Disconnected, with the reason, within 5 s" \
    wait_until 5 status_has a "^Signal: Disconnected from $url, reason: .+"
check "restart: JSON connected false, with the error" sh -c \
    "test \"\$1\" = false && test -n \"\$2\"" sh \
    "$(sig_js a "['connected']")" "$(sig_js a "['error']")"
echo "# reason given: $(sig_js a "['error']")"
sleep 3
sig_start sig 10000 || { notok "signal server starts again"; finish; }
check "restart: a registers again within 20 s" \
    wait_until 20 registered sig "$akey"
check "restart: show status says Connected, no reason" \
    wait_until 5 connected_again
w=$(tail -n +"$((mark + 1))" "$alog" |
    grep -E "^signal: signal $url: .*; (reconnecting|retrying)\$")
n=$(printf '%s\n' "$w" | grep -c .)
check "restart: a warning per reason for the whole outage, at most 4 ($n)" \
    test "$n" -ge 1 -a "$n" -le 4
check "restart: no reason logged twice" \
    test -z "$(printf '%s\n' "$w" | sed 's/; [a-z]*$//' | sort | uniq -d)"
n=$(tail -n +"$((mark + 1))" "$alog" |
    grep -c "^signal: connected to signal $url\$")
check "restart: then one line for connected again ($n)" test "$n" = 1
check "restart: the counters stay" dropped_is a 3
check "restart: a's processes are those that started" \
    same "$(nbd_procs a)" "$pa"

# --- a stream the server kicks -------------------------------------------
srv sig "{\"cmd\": \"kick\", \"key\": \"$akey\"}" >/dev/null
check "kicked: a registers again within 20 s" \
    wait_until 20 registrations_are sig "$akey" 2
check "kicked: show status says Connected" wait_until 5 connected_again

kill "$lpid" 2>/dev/null
wait "$lpid" 2>/dev/null
for n in a b; do
	nbd_stop_check "$n"
done
finish
