#!/bin/bash
# Peer-to-peer benchmark (not a test; not part of make check; run it
# with "make -C regress/bench bench-p2p", as root).
#
# Real daemons (userspace WireGuard, debug log) in the namespaces of
# regress/netns/p2p.subr: the test management and signal servers and
# coturn on the hub.  Every run uses two fresh daemons (new keys: the
# registration with the setup key is part of the start; they are
# removed from the management server afterwards) and, behind NATs, fresh
# routers (no conntrack state left from the previous run).  Measured:
#   start -> handshake   the second daemon launched -> the first
#                        WireGuard handshake between the two (wireguard-
#                        go's last_handshake_time over its UAPI socket,
#                        to the nanosecond; no traffic but WireGuard's
#                        own keepalives)
#   OFFER -> handshake   the first OFFER one of them received (its
#                        "answer, session" line: the daemons' stderr is
#                        timestamped on arrival) -> that handshake
# for three paths: lan (both on the hub's LAN, host candidates), cone
# (each behind a cone NAT, server-reflexive) and turn (both behind
# symmetric NATs, UDP between them dropped, relayed by coturn); RUNS
# runs each (10), the median, min and max.  A path whose first run
# fails is reported as failed and not run again.
#   mesh                 MESH_N daemons (10) on the hub's LAN launched
#                        together -> every one shows MESH_N-1 peers
#                        Connected, and -> every one has a handshake
#                        with each of its peers; MESH_RUNS runs (3)
#   throughput           iperf3 (TCP, IPERF_TIME seconds, 10) from one
#                        namespace to another on the hub's LAN: over a
#                        plain wireguard-go tunnel configured by hand
#                        with wg(8) (same MTU as netbirdd's interface),
#                        then over netbirdd's tunnel on the direct path,
#                        then on the TURN path (UDP between the two
#                        dropped); each netbirdd figure also as a ratio
#                        of the plain tunnel's in this same run.
# Environment: RUNS, MESH_N, MESH_RUNS, IPERF_TIME, PATHS ("lan cone
# turn"), BENCH_RESULTS (the directory for the CSV file, /tmp).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../netns/mgmt.subr"
. "$(dirname "$0")/../netns/p2p.subr"
. "$(dirname "$0")/bench.subr"

RUNS=${RUNS:-10}
MESH_N=${MESH_N:-10}
MESH_RUNS=${MESH_RUNS:-3}
IPERF_TIME=${IPERF_TIME:-10}
PATHS=${PATHS:-lan cone turn}
BENCH_RESULTS=${BENCH_RESULTS:-/tmp}
csv=$BENCH_RESULTS/p2p_bench-$(date +%Y%m%d-%H%M%S).csv

p2p_need
bench_need_iperf3 || exit 1
mkdir -p "$BENCH_RESULTS" || exit 1
p2p_setup
trap 'plain_wg_stop; p2p_cleanup' EXIT
echo "what,path,run,value,unit" >"$csv"

sample() { echo "$1,$2,$3,$4,$5" >>"$csv"; }

# first_answer_ns NAME...: the time of the first "answer, session" line
# in their logs, in ns.
first_answer_ns() {
	local n
	for n in "$@"; do
		grep -E "$P2P_RE_ANSWER" "${DIROF[$n]}/log" | head -n 1
	done | awk '{ print $1 }' | sort -n | head -n 1 |
	    awk '{ printf "%.0f\n", $1 * 1e9 }'
}

# --- two daemons, one path ------------------------------------------------

either_hs() { has_hs "$1" || has_hs "$2"; }

declare -A PATH_FAILED
pair_run() {
	local path=$1 run=$2 a=${1:0:1}${2}a b=${1:0:1}${2}b t0 h t off ms
	topo "$path" "$a" "$b" || { echo "$path: topology failed" >&2; return 1; }
	bench_start "$a"
	bench_start "$b"
	t0=$(now_ns)
	if ! wait_for 60 either_hs "$a" "$b"; then
		echo "$path run $run: no handshake within 60 s" >&2
		p2p_show "$a" "$b" >&2
		bench_drop "$a" "$b"
		return 1
	fi
	h=0
	for t in $(hs_ns "$a") $(hs_ns "$b"); do
		[ "$t" != 0 ] && { [ "$h" = 0 ] || [ "$t" -lt "$h" ]; } && h=$t
	done
	ms=$(((h - t0) / 1000000))
	sample start_hs "$path" "$run" "$ms" ms
	off=$(first_answer_ns "$a" "$b")
	if [ -n "$off" ]; then
		sample offer_hs "$path" "$run" $(((h - off) / 1000000)) ms
		off="$(((h - off) / 1000000)) ms"
	fi
	echo "# $path run $run: $(p2p_peer_state "$a" "$b"), started ->" \
	    "handshake $ms ms, OFFER -> handshake ${off:-unknown}" >&2
	bench_drop "$a" "$b"
}

for path in $PATHS; do
	for run in $(seq "$RUNS"); do
		if ! pair_run "$path" "$run"; then
			PATH_FAILED[$path]=1
			break
		fi
	done
done

# --- the mesh -------------------------------------------------------------

mesh_names() { local i; for i in $(seq "$MESH_N"); do echo "m$1x$i"; done; }
# The count of "show peers -j", not "show status": no Python in the loop.
all_connected() {
	local n m=$((MESH_N - 1))
	for n in "$@"; do
		nbd_ctl "$n" -j show peers |
		    grep -q "\"total\":$m,\"connected\":$m}}\$" || return 1
	done
}
all_handshakes() {
	local n
	for n in "$@"; do
		test "$(nbd_wg "$n" show "${IFOF[$n]}" latest-handshakes |
		    awk '$2 > 0' | wc -l)" = $((MESH_N - 1)) || return 1
	done
}
for run in $(seq "$MESH_RUNS"); do
	names=$(mesh_names "$run")
	for n in $names; do
		p2p_new "$n"
	done
	for n in $names; do
		bench_start "$n"
	done
	t0=$(now_ns)
	if wait_for 120 all_connected $names; then
		sample mesh_connected "mesh$MESH_N" "$run" \
		    $((($(now_ns) - t0) / 1000000)) ms
	else
		echo "mesh run $run: not all Connected within 120 s" >&2
	fi
	if wait_for 60 all_handshakes $names; then
		sample mesh_handshakes "mesh$MESH_N" "$run" \
		    $((($(now_ns) - t0) / 1000000)) ms
	else
		echo "mesh run $run: not all handshakes within 60 s more" >&2
	fi
	echo "# mesh run $run done" >&2
	bench_drop $names
done

# --- throughput -----------------------------------------------------------

declare -A TPUT
p2p_new ta
p2p_new tb
bench_start ta
bench_start tb
if p2p_wait_connected ta tb P2P 60 && p2p_wait_connected tb ta P2P 10; then
	mtu=$(nbd_js ta 's["mtu"]')
	ipb=$(p2p_overlay_ip tb)
	p2p_ping ta tb
	iperf_server tb "$ipb"
	TPUT[direct]=$(iperf ta "$ipb")
	echo "# netbirdd direct: ${TPUT[direct]} Mbit/s, MTU $mtu" >&2
else
	echo "throughput: ta and tb not Connected P2P within 60 s" >&2
	mtu=1280
fi
nbd_stop ta
nbd_stop tb
if plain_wg ta tb "$mtu"; then
	ip netns exec "${NSOF[ta]}" ping -q -c 2 -W 2 10.250.0.2 >/dev/null
	iperf_server tb 10.250.0.2
	TPUT[plain]=$(iperf ta 10.250.0.2)
	echo "# plain wireguard-go: ${TPUT[plain]} Mbit/s, MTU $mtu" >&2
else
	echo "throughput: the plain wireguard-go tunnel did not come up" >&2
fi
plain_wg_stop
p2p_block_udp ta tb
bench_start ta
bench_start tb
if p2p_wait_connected ta tb Relayed 60 && p2p_wait_connected tb ta Relayed 10; then
	ipb=$(p2p_overlay_ip tb)
	p2p_ping ta tb
	iperf_server tb "$ipb"
	TPUT[turn]=$(iperf ta "$ipb")
	echo "# netbirdd TURN: ${TPUT[turn]} Mbit/s" >&2
else
	echo "throughput: ta and tb not Connected, Relayed, within 60 s" >&2
fi
for k in plain direct turn; do
	[ -n "${TPUT[$k]:-}" ] && sample throughput "$k" 1 "${TPUT[$k]}" Mbit/s
done
for path in "${!PATH_FAILED[@]}"; do
	sample failed "$path" 0 0 -
done

# --- the table ------------------------------------------------------------

"$PYTHON" - "$csv" "$MESH_N" "$IPERF_TIME" <<'EOF'
import statistics, sys
rows = [l.strip().split(",") for l in open(sys.argv[1]) if l.strip()][1:]
mesh_n, secs = sys.argv[2], sys.argv[3]
failed = {r[1] for r in rows if r[0] == "failed"}

def vals(what, path):
    return sorted(float(r[3]) for r in rows if r[0] == what and r[1] == path)

def line(label, v, bad):
    if v:
        print("  %-44s %5d %9.0f %9.0f %9.0f" % (label, len(v),
              statistics.median(v), v[0], v[-1]))
    elif bad:
        print("  %-44s %5d %9s" % (label, 0, "failed"))

print()
print("%-46s %5s %9s %9s %9s" % ("", "runs", "median", "min", "max"))
print("time to the first WireGuard handshake, ms")
for path, name in (("lan", "LAN, host/host"), ("cone", "cone NATs, srflx"),
                   ("turn", "symmetric NATs, TURN")):
    line("%s: from daemons started" % name, vals("start_hs", path),
         path in failed)
    line("%s: from OFFER received" % name, vals("offer_hs", path),
         path in failed)
print("%s-peer mesh on one LAN, ms" % mesh_n)
line("from started to all Connected", vals("mesh_connected", "mesh" + mesh_n),
     True)
line("from started to all handshakes",
     vals("mesh_handshakes", "mesh" + mesh_n), True)
print()
t = {r[1]: float(r[3]) for r in rows if r[0] == "throughput"}
print("%-46s %9s %9s" % ("iperf3, TCP, %s s, one way" % secs, "Mbit/s",
                         "ratio"))
for k, label in (("plain", "plain wireguard-go tunnel, by hand"),
                 ("direct", "netbirdd, direct path"),
                 ("turn", "netbirdd, through TURN")):
    if k not in t:
        print("  %-44s %9s" % (label, "failed"))
        continue
    ratio = ""
    if k != "plain" and t.get("plain"):
        ratio = "%.2f" % (t[k] / t["plain"])
    print("  %-44s %9.1f %9s" % (label, t[k], ratio))
print("(ratio: to the plain tunnel between the same namespaces, this run)")
EOF
echo
echo "raw samples: $csv"
