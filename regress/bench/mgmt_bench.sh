#!/bin/bash
# Management benchmark (not a test; not part of make check).
#
# A real daemon (userspace WireGuard) against the test management server
# in namespaces, as in regress/netns/mgmt_*.sh.  Every run of every size
# uses a fresh server and a fresh daemon (new key, so the first start
# includes the registration with the setup key), so that peak memory
# belongs to that size alone.  Measured:
#   start    daemon started -> interface configured with the first
#            network map (address set and its one remote peer in wg(8))
#   apply N  management pushes a map with N more peers (generate_peers,
#            timed from the server's answer, i.e. once the message is
#            built and queued) -> the daemon reports N+1 peers (the
#            parent answers status only between imsgs, after the map is
#            on the interface); checked against wg(8) afterwards.  The
#            server's own time (key generation, protobuf, NaCl in
#            Python, plus ~40 ms of start-up of the control client) is
#            shown apart
#   VmHWM    peak RSS of the parent and of mgmt (and wireguard-go)
#            after that apply, from /proc/PID/status
#   rest     VmRSS of every netbirdd process and wireguard-go, 3 s after
#            a map of 1000 (+1) peers was applied
# Environment: RUNS (5), SIZES ("1 100 1000 5000"), BENCH_RESULTS (the
# directory for the CSV files, /tmp).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../netns/mgmt.subr"

RUNS=${RUNS:-5}
SIZES=${SIZES:-1 100 1000 5000}
BENCH_RESULTS=${BENCH_RESULTS:-/tmp}
stamp=$(date +%Y%m%d-%H%M%S)
csv=$BENCH_RESULTS/mgmt_bench-$stamp.csv
sumcsv=$BENCH_RESULTS/mgmt_bench-$stamp-summary.csv

mgmt_need
NBD_FLAGS=		# no -v: info level, as in production
mkdir -p "$BENCH_RESULTS" || exit 1
hub_setup

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# kib PID FIELD: a /proc/PID/status field in KiB.
kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

role_pid() {
	ps --ppid "${PIDOF[$1]}" -o pid=,args= |
	    awk -v t="$2" '{ p = $1; $1 = ""; sub(/^ /, "") } $0 == t { print p }'
}
wggo_pid() { pgrep -f "wireguard-go -f ${IFOF[$1]}\$"; }

first_map() {
	ip -n "${NSOF[$1]}" -4 -o addr show dev "${IFOF[$1]}" 2>/dev/null |
	    grep -q inet &&
	    nbd_wg "$1" show "${IFOF[$1]}" peers 2>/dev/null | grep -qxF "$2"
}


# poll_ms LIMIT_S STEP_S command...: like wait_until, finer.
poll() {
	local end=$(($(date +%s) + $1)) step=$2
	shift 2
	while [ "$(date +%s)" -le "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep "$step"
	done
	return 1
}

# The text status, not the JSON: no Python start-up in the loop.
peers_are() {
	nbd_ctl "$1" show status | grep -q "^Peers count: [0-9]*/$2 Connected\$"
}

echo "kind,size,run,ms,server_ms,parent_hwm_kib,mgmt_hwm_kib,wggo_hwm_kib" \
    >"$csv"
echo "process,run,rss_kib" >"$tmp/rest.csv"

i=0
for run in $(seq "$RUNS"); do
	for n in $SIZES; do
		i=$((i + 1))
		s=s$i d=d$i
		srv_start "$s" 0 || { echo "server did not start" >&2; exit 1; }
		first=$(newkey)
		srv "$s" "{\"cmd\": \"add_peer\", \"key\": \"$first\", \"name\": \"first\"}" \
		    >/dev/null
		nbd_new "$d" "http://$HUBIP:${SRVPORT[$s]}"
		sed -i 's/^log level debug$/log level info/' \
		    "${DIROF[$d]}/netbirdd.conf"
		t0=$(now_ms)
		nbd_start "$d" || { echo "daemon did not start" >&2; exit 1; }
		if ! poll 30 0.005 first_map "$d" "$first"; then
			echo "no first map within 30 s" >&2
			exit 1
		fi
		t1=$(now_ms)
		echo "start,0,$run,$((t1 - t0)),,,," >>"$csv"
		poll 10 0.05 nbd_connected "$d"
		parent=${PIDOF[$d]}
		mgmt=$(role_pid "$d" "netbirdd: mgmt")
		wggo=$(wggo_pid "$d")
		t0=$(now_ms)
		srv "$s" "{\"cmd\": \"generate_peers\", \"count\": $n}" >/dev/null
		t1=$(now_ms)
		if ! poll 120 0.005 peers_are "$d" $((n + 1)); then
			echo "map of $n peers not applied within 120 s" >&2
			exit 1
		fi
		t2=$(now_ms)
		got=$(nbd_wg "$d" show "${IFOF[$d]}" peers | wc -l)
		if [ "$got" != $((n + 1)) ]; then
			echo "wg show: $got peers, not $((n + 1))" >&2
			exit 1
		fi
		echo "apply,$n,$run,$((t2 - t1)),$((t1 - t0)),$(kib "$parent" VmHWM),$(kib "$mgmt" VmHWM),$(kib "$wggo" VmHWM)" \
		    >>"$csv"
		if [ "$n" = 1000 ]; then
			sleep 3
			for r in parent mgmt signal ice metrics control dns; do
				if [ $r = parent ]; then
					p=$parent
				else
					p=$(role_pid "$d" "netbirdd: $r")
				fi
				echo "$r,$run,$(kib "$p" VmRSS)" >>"$tmp/rest.csv"
			done
			echo "wireguard-go,$run,$(kib "$wggo" VmRSS)" \
			    >>"$tmp/rest.csv"
		fi
		nbd_stop "$d"
		srv_stop "$s"
		ip netns del "${NSOF[$d]}"
		unset "NSOF[$d]"
		echo "run $run, $n peers: done" >&2
	done
done
{ echo; echo "# at rest with 1000 (+1) peers"; cat "$tmp/rest.csv"; } >>"$csv"

"$PYTHON" - "$csv" "$sumcsv" <<'EOF'
import statistics, sys
rows, rest = [], []
section = rows
with open(sys.argv[1]) as f:
    for line in f:
        line = line.strip()
        if not line or line.startswith("kind,") or line.startswith("process,"):
            continue
        if line.startswith("#"):
            section = rest
            continue
        section.append(line.split(","))

def stat(v):
    v = sorted(v)
    return statistics.median(v), v[0], v[-1]

out = ["what,n,runs,median,min,max,unit"]
def row(label, n, unit, values):
    if not values:
        return
    m, lo, hi = stat(values)
    out.append("%s,%s,%d,%g,%g,%g,%s" % (label, n, len(values), m, lo, hi, unit))
    print("%-38s %6s %5d %10g %10g %10g  %s" % (label, n, len(values), m, lo, hi, unit))

print("%-38s %6s %5s %10s %10s %10s" % ("measure", "peers", "runs", "median", "min", "max"))
row("start -> first map configured", 1, "ms",
    [int(r[3]) for r in rows if r[0] == "start"])
sizes = sorted({int(r[1]) for r in rows if r[0] == "apply"})
for n in sizes:
    a = [r for r in rows if r[0] == "apply" and int(r[1]) == n]
    row("apply map (server pushed -> applied)", n, "ms", [int(r[3]) for r in a])
for n in sizes:
    a = [r for r in rows if r[0] == "apply" and int(r[1]) == n]
    row("server: make+encrypt+queue the map", n, "ms", [int(r[4]) for r in a])
for n in sizes:
    a = [r for r in rows if r[0] == "apply" and int(r[1]) == n]
    row("parent VmHWM", n, "KiB", [int(r[5]) for r in a])
for n in sizes:
    a = [r for r in rows if r[0] == "apply" and int(r[1]) == n]
    row("mgmt VmHWM", n, "KiB", [int(r[6]) for r in a])
for n in sizes:
    a = [r for r in rows if r[0] == "apply" and int(r[1]) == n]
    row("wireguard-go VmHWM", n, "KiB", [int(r[7]) for r in a])
procs = []
for r in rest:
    if r[0] not in procs:
        procs.append(r[0])
for p in procs:
    row("rest VmRSS: " + p, 1000, "KiB", [int(r[2]) for r in rest if r[0] == p])
with open(sys.argv[2], "w") as f:
    f.write("\n".join(out) + "\n")
EOF
echo "raw samples: $csv"
echo "summary:     $sumcsv"
