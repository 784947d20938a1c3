#!/bin/bash
# Management over TLS, with the daemon's own code path: it reads the
# system CA bundle (/etc/ssl/certs/ca-certificates.crt) before its
# chroot and resolves the server's name through its dns child.  Each
# daemon's namespace gets its own /etc/ssl and /etc/hosts through
# ip-netns(8)'s /etc/netns/NAME/ bind mounts, so that the test CA (a
# certificate for mgmt.test made here with openssl) is the only one it
# trusts and mgmt.test is the hub.  Nothing of the host's /etc changes.
#  - a: trusts the server's certificate: registers, Connected, in sync;
#  - b: trusts another CA only: a clear certificate error in the log
#    and in show status, never registered, no process exits.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
mgmt_need
need_cmd openssl
hub_setup

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -nodes -days 1 -subj /CN=mgmt.test \
    -addext subjectAltName=DNS:mgmt.test -keyout "$tmp/key.pem" \
    -out "$tmp/cert.pem" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -nodes -days 1 -subj /CN=mgmt.test \
    -addext subjectAltName=DNS:mgmt.test -keyout "$tmp/other.key" \
    -out "$tmp/other.pem" 2>/dev/null
srv_start s 0 --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" ||
    { notok "TLS management server starts"; finish; }
url="https://mgmt.test:${SRVPORT[s]}"
: >"$tmp/extras"

serial() { srv s '{"cmd": "state"}' "r['serial']"; }
in_sync() {
	nbd_connected "$1" && srv_knows s "$1" && wg_in_sync s "$1" &&
	    peers_in_sync s "$1" &&
	    test "$(nbd_js "$1" 's["networkSerial"]')" = "$(serial)"
}
status_says() { nbd_ctl "$1" show status | grep -Eq "$2"; }
same() { test "$1" = "$2"; }

rkey=$(newkey)
srv s "{\"cmd\": \"add_peer\", \"key\": \"$rkey\", \"name\": \"remote-r\"}" \
    >/dev/null

nbd_new a "$url"
nbd_etc a "$tmp/cert.pem"
nbd_up a
check "TLS, trusted CA: a registers and is configured within 30 s" \
    wait_until 30 in_sync a
check "TLS, trusted CA: mgmt read the namespace's CA bundle (the test CA)" \
    grep -q "CA bundle /etc/ssl/certs/ca-certificates.crt: $(stat -c %s "$tmp/cert.pem") bytes" \
    "${DIROF[a]}/log"
check "TLS, trusted CA: mgmt.test resolved through the dns child to $HUBIP" \
    grep -q "mgmt.test: 1 addresses, first $HUBIP\$" "${DIROF[a]}/log"
check "TLS, trusted CA: show status names the https URL" \
    status_says a "^Management: Connected to $url\$"
check "TLS, trusted CA: Login went over TLS (the only listener)" \
    test "$(srv s '{"cmd": "state"}' "r['calls'].get('Login', 0)")" -ge 1

nbd_new b "$url"
nbd_etc b "$tmp/other.pem"
nbd_up b
check "TLS, unknown CA: show status gives a certificate reason" \
    wait_until 20 status_says b "^Management: .* $url, reason: .*(certificate|SSL|TLS)"
check "TLS, unknown CA: the log says so" \
    grep -Eiq 'certificate|SSL|TLS' "${DIROF[b]}/log"
pb=$(nbd_procs b)
sleep 2
check "TLS, unknown CA: never registered" \
    test "$(srv s '{"cmd": "state"}' "len(r['peers'])")" = 2
check "TLS, unknown CA: no process exits" same "$(nbd_procs b)" "$pb"
check "TLS, unknown CA: nothing fatal in the log" nbd_log_clean b
check "TLS: a: nothing fatal in the log" nbd_log_clean a
for n in a b; do
	nbd_stop_check "$n"
done
finish
