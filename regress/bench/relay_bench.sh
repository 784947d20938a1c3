#!/bin/bash
# Relay benchmark (not a test; not part of make check; run it with
# "make -C regress/bench bench-relay", as root).
#
# Two daemons on the hub's LAN of regress/netns/p2p.subr, no TURN, one
# NetBird relay server (regress/fixtures/relay_server.py, plain
# WebSocket) on the hub.  RUNS runs (5), each with two fresh daemons:
#   direct     they connect P2P; ping (20 x 0.1 s) round trip, and
#              iperf3 (TCP, IPERF_TIME seconds, 10) one way
#   failover   UDP between them dropped on the hub: the time from the
#              drop to the first ping answered again (pings every
#              0.05 s); ICE needs 6 s of silence to call its path lost
#              (netbirdd/ice_agent.c), the rest is the move to the relay
#   relayed    the same ping and iperf3 over the relay
#   CPU        user + system seconds of both ice processes (and of the
#              relay server) during each iperf3, per Gbit moved
# The table: median, min and max; relayed figures also as a ratio of
# the direct ones of the same run.  The relay server is a Python
# asyncio test fixture: it, not netbirdd, bounds the relayed
# throughput, which its CPU column shows.
# Environment: RUNS, IPERF_TIME, BENCH_RESULTS (the directory for the
# CSV file, /tmp).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../netns/mgmt.subr"
. "$(dirname "$0")/../netns/p2p.subr"
. "$(dirname "$0")/bench.subr"

RUNS=${RUNS:-5}
IPERF_TIME=${IPERF_TIME:-10}
BENCH_RESULTS=${BENCH_RESULTS:-/tmp}
csv=$BENCH_RESULTS/relay_bench-$(date +%Y%m%d-%H%M%S).csv

p2p_need_relay
bench_need_iperf3 || exit 1
mkdir -p "$BENCH_RESULTS" || exit 1
P2P_NO_TURN=1
P2P_RELAYS="rel://$HUBIP:$RELAYPORT"
p2p_setup
p2p_relay_start relay "$HUBIP" || { echo "relay server" >&2; exit 1; }
echo "what,run,value,unit" >"$csv"
sample() { echo "$1,$2,$3,$4" >>"$csv"; }
ice_pid() { nbd_procs "$1" | awk '/netbirdd: ice/ { print $1 }'; }

# rtt A IP: average ping round trip in ms, 20 pings.
rtt() {
	ip netns exec "${NSOF[$1]}" ping -q -n -c 20 -i 0.1 -W 1 "$2" |
	    sed -nE 's|.* = [0-9.]+/([0-9.]+)/.*|\1|p'
}

# iperf A B IP (not bench.subr's): MBITS gets the Mbit/s from A to B's IP, ICECPU and
# RELAYCPU the CPU seconds of the ice processes and of the relay server
# meanwhile.
iperf() {
	local t0 r0 hz=$(getconf CLK_TCK)
	p2p_bg "${NSOF[$2]}" iperf3 -s -1 -B "$3" >/dev/null 2>&1
	wait_until 5 sh -c "ip netns exec ${NSOF[$2]} ss -Hltn src $3:5201 |
	    grep -q ." || return 1
	t0=$(cpu_ticks "$(ice_pid "$1")" "$(ice_pid "$2")")
	r0=$(cpu_ticks "${SRVPID[relay]}")
	ip netns exec "${NSOF[$1]}" timeout $((IPERF_TIME + 20)) iperf3 \
	    -c "$3" -t "$IPERF_TIME" -J >"$tmp/iperf.json" 2>/dev/null
	ICECPU=$(awk -v a="$t0" -v b="$(cpu_ticks "$(ice_pid "$1")" \
	    "$(ice_pid "$2")")" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')
	RELAYCPU=$(awk -v a="$r0" -v b="$(cpu_ticks "${SRVPID[relay]}")" \
	    -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')
	MBITS=$("$PYTHON" -c 'import json, sys
r = json.load(open(sys.argv[1]))
print("%.1f" % (r["end"]["sum_received"]["bits_per_second"] / 1e6))' \
	    "$tmp/iperf.json" 2>/dev/null)
}

# failover_ms T0: from T0 (ns) to the sending of the first ping answered
# within 1 s after the first one that was not, in ms; pings every
# 0.05 s in $tmp/ping (ping -D).
failover_ms() {
	awk -v t0="$1" '/bytes from/ {
		ts = substr($1, 2, length($1) - 2)
		r = $(NF - 1); sub(/time=/, "", r)
		q = $(NF - 3); sub(/icmp_seq=/, "", q)
		if (r + 0 >= 1000) next
		ok[q + 0] = 1
		base = ts - r / 1000 - (q - 1) * 0.05
		if (q + 0 > last) last = q + 0
	} END {
		for (i = 1; i <= last; i++) {
			sent = base + (i - 1) * 0.05
			if (sent * 1e9 < t0 + 0) continue
			if (!ok[i]) lost = 1
			else if (lost) { printf "%.0f\n", (sent * 1e9 - t0) / 1e6; exit }
		}
	}' "$tmp/ping"
}

# per_gbit CPU MBITS: CPU seconds per Gbit moved in IPERF_TIME.
per_gbit() {
	awk -v c="$1" -v m="$2" -v t="$IPERF_TIME" \
	    'BEGIN { if (m > 0) printf "%.2f", c / (m * t / 1000) }'
}

one_run() {
	local run=$1 a=x${1}a b=x${1}b ip t0 t1
	p2p_new "$a" && p2p_new "$b" || return 1
	nbd_start "$a" && nbd_start "$b" || return 1
	if ! p2p_wait_connected "$a" "$b" P2P 60 ||
	    ! p2p_wait_connected "$b" "$a" P2P 20; then
		echo "run $run: not Connected, P2P, within 60 s" >&2
		return 1
	fi
	ip=$(p2p_overlay_ip "$b")
	p2p_ping "$a" "$b"
	sample rtt_direct "$run" "$(rtt "$a" "$ip")" ms
	iperf "$a" "$b" "$ip"
	sample tput_direct "$run" "$MBITS" Mbit/s
	sample cpu_direct "$run" "$(per_gbit "$ICECPU" "$MBITS")" s/Gbit
	# Failover: pings every 50 ms, UDP dropped.
	ip netns exec "${NSOF[$a]}" ping -D -n -i 0.05 -W 1 -w 60 "$ip" \
	    >"$tmp/ping" 2>&1 &
	local pp=$!
	sleep 1
	t0=$(now_ns)
	p2p_block_udp "$a" "$b"
	if p2p_wait_connected "$a" "$b" Relayed 60; then
		sleep 2
	fi
	kill "$pp" 2>/dev/null
	wait "$pp" 2>/dev/null
	t1=$(failover_ms "$t0")
	[ -n "$t1" ] && sample failover "$run" "$t1" ms
	echo "# run $run: $(p2p_peer_state "$a" "$b")" >&2
	if ! p2p_wait_connected "$b" "$a" Relayed 30; then
		echo "run $run: not Relayed after the drop" >&2
		return 1
	fi
	p2p_ping "$a" "$b"
	sample rtt_relayed "$run" "$(rtt "$a" "$ip")" ms
	iperf "$a" "$b" "$ip"
	sample tput_relayed "$run" "$MBITS" Mbit/s
	sample cpu_relayed "$run" "$(per_gbit "$ICECPU" "$MBITS")" s/Gbit
	sample cpu_relay_server "$run" "$(per_gbit "$RELAYCPU" "$MBITS")" \
	    s/Gbit
	p2p_unblock_udp "$a" "$b"
	nbd_stop "$a"
	nbd_stop "$b"
}

for run in $(seq "$RUNS"); do
	one_run "$run" || break
done

"$PYTHON" - "$csv" "$IPERF_TIME" <<'EOF'
import statistics, sys
rows = [l.strip().split(",") for l in open(sys.argv[1]) if l.strip()][1:]

def vals(what):
    return sorted(float(r[2]) for r in rows if r[0] == what and r[2])

def line(label, what, unit):
    v = vals(what)
    if not v:
        print("  %-46s %5d %9s" % (label, 0, "failed"))
        return None
    m = statistics.median(v)
    print("  %-46s %5d %9.2f %9.2f %9.2f  %s" % (label, len(v), m, v[0],
          v[-1], unit))
    return m

print()
print("%-48s %5s %9s %9s %9s" % ("", "runs", "median", "min", "max"))
rd = line("ping round trip, direct", "rtt_direct", "ms")
rr = line("ping round trip, relayed", "rtt_relayed", "ms")
td = line("iperf3 %s s, direct" % sys.argv[2], "tput_direct", "Mbit/s")
tr = line("iperf3 %s s, relayed" % sys.argv[2], "tput_relayed", "Mbit/s")
line("ice CPU per Gbit, direct (both ends)", "cpu_direct", "s/Gbit")
line("ice CPU per Gbit, relayed (both ends)", "cpu_relayed", "s/Gbit")
line("relay server CPU per Gbit (the fixture)", "cpu_relay_server",
     "s/Gbit")
line("UDP dropped -> pings answered over the relay", "failover", "ms")
if td and tr:
    print("relayed/direct throughput: %.2f" % (tr / td))
if rd and rr:
    print("relayed/direct round trip: %.2f" % (rr / rd))
EOF
echo
echo "raw samples: $csv"
