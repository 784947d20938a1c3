#!/bin/bash
# Floods through the signal server at daemon a, Connected P2P to b:
#  - a key not in a's map sends 3000 OFFERs: all dropped and counted,
#    one log line;
#  - a peer of a's map (added by the test management server) sends 3000
#    OFFERs, each with a new session id, which would restart a's ICE
#    agent for it each time: a limits what it takes from one peer
#    (signal_peer.c), counts the rest rejected, and says so in a few log
#    lines;
#  - the same peer sends 300 messages of 200 KB: refused unopened.
# Throughout: a's signal and ice processes grow by less than 16 MiB
# (VmHWM after the floods against VmRSS before), no process of a is
# replaced, the tunnel to b stays up (pings cross), management and
# signal stay Connected.  a runs without -v, so its log holds only what
# an operator would see; the number of lines each flood adds is
# printed and bounded.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mgmt.subr"
. "$(dirname "$0")/p2p.subr"
p2p_need
p2p_setup

kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
sig_js() { nbd_js a "s['signal']$1"; }
loglines() { wc -l <"${DIROF[a]}/log"; }
unknown_dropped() { test "$(sig_js "['droppedUnknownKey']")" -ge "$1"; }

p2p_new a
p2p_new b
sed -i '/^log level/d' "${DIROF[a]}/netbirdd.conf"
NBD_FLAGS= nbd_up a
nbd_up b
p2p_connect_check a b P2P 30
apub=$(nbd_pub a)
procs=$(nbd_procs a)
spid=$(child_pid signal "${PIDOF[a]}")
ipid=$(child_pid ice "${PIDOF[a]}")
s0=$(kib "$spid" VmRSS) i0=$(kib "$ipid" VmRSS)
echo "# before: signal $s0 KiB, ice $i0 KiB resident"

# --- a key not in the map ---------------------------------------------
ukey=$(wg genkey)
upub=$(printf '%s\n' "$ukey" | wg pubkey)
n0=$(loglines)
t0=$(date +%s%N)
sig_client signal --key "$ukey" --to "$apub" --count 3000 --no-register \
    >"$tmp/unknown.out" 2>&1
echo "# 3000 OFFERs sent in $(p2p_since "$t0") s"
check "unknown key: a counts the 3000 dropped" \
    wait_for 20 unknown_dropped 3000
n=$(($(loglines) - n0))
check "unknown key: $n log lines for the flood (at most 3)" test "$n" -le 3

# --- a peer of the map ------------------------------------------------
kkey=$(wg genkey)
kpub=$(printf '%s\n' "$kkey" | wg pubkey)
srv s "{\"cmd\": \"add_peer\", \"key\": \"$kpub\", \"name\": \"flood\"}" \
    >/dev/null
check "flooding peer: in a's map within 15 s" \
    wait_for 15 sh -c "'$NETBIRDCTL' -s '${DIROF[a]}/sock' show peers |
    grep -q '$kpub'"
r0=$(sig_js "['droppedInvalid']")
n0=$(loglines)
t0=$(date +%s%N)
sig_client signal --key "$kkey" --to "$apub" --count 3000 --no-register \
    >"$tmp/known.out" 2>&1
echo "# 3000 OFFERs sent in $(p2p_since "$t0") s"
sleep 2
r=$(($(sig_js "['droppedInvalid']") - r0))
check "flooding peer: most of the 3000 refused and counted ($r)" \
    test "$r" -ge 2000
n=$(($(loglines) - n0))
check "flooding peer: $n log lines for the flood (at most 20)" \
    test "$n" -le 20
tail -n "$n" "${DIROF[a]}/log" | head -n 8 | sed 's/^/# /'

# --- big messages -----------------------------------------------------
r0=$(sig_js "['droppedInvalid']")
n0=$(loglines)
sig_client signal --key "$kkey" --to "$apub" --count 300 --no-register \
    --payload-size 200000 >"$tmp/big.out" 2>&1
sleep 2
r=$(($(sig_js "['droppedInvalid']") - r0))
check "200 KB messages: refused and counted ($r of 300)" test "$r" -ge 250
n=$(($(loglines) - n0))
check "200 KB messages: $n log lines (at most 5)" test "$n" -le 5

# --- what a is after the floods ----------------------------------------
s1=$(kib "$spid" VmHWM) i1=$(kib "$ipid" VmHWM)
echo "# peak: signal $s1 KiB, ice $i1 KiB resident"
check "signal grew by less than 16 MiB ($(((s1 - s0) / 1024)) MiB)" \
    test $((s1 - s0)) -lt 16384
check "ice grew by less than 16 MiB ($(((i1 - i0) / 1024)) MiB)" \
    test $((i1 - i0)) -lt 16384
check "no process of a replaced" test "$(nbd_procs a)" = "$procs"
check "management still Connected" nbd_connected a
check "signal still Connected" test "$(sig_js "['connected']")" = true
check "a and b still Connected, P2P" p2p_mesh_connected P2P a b
p2p_ping_check a b
nbd_stop_check a
nbd_stop_check b
finish
