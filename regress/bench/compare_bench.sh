#!/bin/bash
# netbirdd side by side with Nebula and a WireGuard tunnel configured by
# hand (not a test; not part of make check; run it with "make bench" at
# the top, or "make -C regress/bench bench-compare", as root).
#
# One run, the same namespaces (regress/netns/p2p.subr: the hub's bridge
# 10.213.0.0/24 is the internet, cone NAT routers made with nftables),
# the same traffic for the three:
#   netbirdd   the daemon built here, userspace WireGuard (wireguard-go),
#              against the test management and signal servers and coturn
#              on the hub; info log, as in production
#   Nebula     Debian's nebula (installed with apt-get when missing), one
#              lighthouse on the hub (a public address; not counted as a
#              host), hole punching on (punchy punch and respond)
#   WireGuard  wireguard-go configured by hand with wg(8): keys, peers
#              and endpoints written in advance, as an operator would
# Every overlay uses netbirdd's MTU.  Measured, median and min-max:
#   start      the daemons of two hosts launched -> the first ping
#              answered across the overlay (pings every 0.1 s from one to
#              the other as soon as both have their overlay address), on
#              the hub's LAN and with each host behind a cone NAT; for the
#              hand-made tunnel from the first "wg set" of the peers (its
#              wireguard-go already up, with its key and address), and
#              behind the NATs the endpoints are the routers' WAN
#              addresses: it works only because these NATs keep the
#              source port, and both ends keep their mapping open with a
#              persistent keepalive.  RUNS runs (5); fresh identities
#              every run (netbirdd: new keys, registered with the setup
#              key; Nebula: new certificate and overlay address); the
#              order of the three turns every run
#   mesh       MESH_N hosts (10) on the hub's LAN, all launched -> every
#              one has had an answer from every other (MESH_N*(MESH_N-1)
#              ping processes started once the addresses are known);
#              MESH_RUNS runs (3)
#   RSS        per host, REST_WAIT seconds (5) after that mesh was
#              reachable: VmRSS summed over the host's processes
#              (netbirdd: the parent, its children and its wireguard-go;
#              shared pages counted once per process, so an upper bound)
#              and Pss (shared pages divided among every process mapping
#              them, the ten hosts' included, so a lower bound); then
#              one host alone with a map of BIG_N (1000) peers: netbirdd
#              from the test management server (generate_peers), Nebula
#              a static_host_map of BIG_N entries, wireguard-go BIG_N
#              peers set with wg(8); BIG_RUNS runs (2)
#   throughput iperf3 (TCP, IPERF_TIME seconds, 10) between two hosts on
#              the hub's LAN, all three overlays up at once in the same
#              namespaces and taking turns, RUNS runs each; then
#              netbirdd alone with UDP between the two dropped: through
#              coturn (TURN), then through the NetBird relay (the test
#              relay server, a Python fixture; a second management
#              server that hands out the relay and no TURN)
#   CPU        user + system seconds of every process of that overlay on
#              both ends (/proc/PID/stat) during each iperf3 run, per GB
#              received (coturn and the relay server apart)
# A measurement whose first run fails is reported as failed and not
# run again.  Environment: RUNS, MESH_N, MESH_RUNS, BIG_N, BIG_RUNS,
# IPERF_TIME, REST_WAIT, LIMIT (seconds for one first packet, 60),
# MESH_LIMIT (120), BENCH_RESULTS (/tmp/bench-results/<timestamp>).
# Written there: samples.csv (every sample), summary.csv, summary.json,
# table.md, versions.txt and configs/ (every configuration and command).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../netns/mgmt.subr"
. "$(dirname "$0")/../netns/p2p.subr"
. "$(dirname "$0")/bench.subr"

RUNS=${RUNS:-5}
MESH_N=${MESH_N:-10}
MESH_RUNS=${MESH_RUNS:-3}
BIG_N=${BIG_N:-1000}
BIG_RUNS=${BIG_RUNS:-2}
IPERF_TIME=${IPERF_TIME:-10}
REST_WAIT=${REST_WAIT:-5}
LIMIT=${LIMIT:-60}
MESH_LIMIT=${MESH_LIMIT:-120}
BENCH_RESULTS=${BENCH_RESULTS:-/tmp/bench-results/$(date +%Y%m%d-%H%M%S)}
OUT=$BENCH_RESULTS
CONF=$OUT/configs
csv=$OUT/samples.csv

MTU=1280		# netbirdd's default; read from its interface later
NEB_PORT=4242
NEB_DEV=nebula1
NEB_LH=10.214.0.1
NBD_FLAGS=		# no -v: info level, as in production
NBD_EXE=$(readlink -f "$NETBIRDD")
OVERLAYS="nbd neb wg"
PHASES=${PHASES:-first mesh big tput}
declare -A NEBPID NEBIP WGIF WGPUB WGADDR WGPID OVIF OVADDR SRVOF TADDR
declare -A DEAD
NEBK=0
WGK=0
PING_PIDS=

p2p_need_relay
need_cmd conntrack
bench_need_iperf3 || exit 1
if ! command -v nebula >/dev/null 2>&1 ||
    ! command -v nebula-cert >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q nebula \
	    >/dev/null || { echo "cannot install nebula" >&2; exit 1; }
fi
mkdir -p "$CONF" || exit 1
echo "overlay,what,run,value,unit" >"$csv"
sample() { echo "$1,$2,$3,$4,$5" >>"$csv"; }
say() { echo "# $*" >&2; }

p2p_setup
trap compare_cleanup EXIT
MAIN_NETCONF=("${SRV_NETCONF[@]}")

compare_cleanup() {
	local n p
	for p in $PING_PIDS; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	for n in "${!NEBPID[@]}"; do
		neb_stop "$n"
	done
	plain_wg_stop
	p2p_cleanup
}

# --- generic --------------------------------------------------------------

# phase NAME: NAME is one of PHASES.
phase() {
	case " $PHASES " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# rotate N: the overlays, starting with the (N mod 3)th.
rotate() {
	local k=$(($1 % 3))
	set -- $OVERLAYS $OVERLAYS
	shift "$k"
	echo "$1 $2 $3"
}

# ov_addr NAME: the IPv4 address of NAME's overlay interface.
ov_addr() {
	ip -n "${NSOF[$1]}" -4 -o addr show dev "${OVIF[$1]}" 2>/dev/null |
	    awk '{ sub(/\/.*/, "", $4); print $4; exit }'
}

# wait_addrs DEADLINE NAME...: until each NAME's overlay interface has
# its address (OVADDR), polled every 20 ms, until DEADLINE (ns).
wait_addrs() {
	local end=$1 n a
	shift
	for n in "$@"; do
		while :; do
			a=$(ov_addr "$n")
			[ -n "$a" ] && break
			[ "$(now_ns)" -ge "$end" ] && return 1
			sleep 0.02
		done
		OVADDR[$n]=$a
	done
}

# left DEADLINE: whole seconds until DEADLINE (ns), at least 1.
left() {
	local s=$((($1 - $(now_ns)) / 1000000000))
	[ "$s" -lt 1 ] && s=1
	echo "$s"
}

# reply_ms T0: from ping -D output, the arrival of the first answer in
# ms after T0 (ns); nothing if none.
reply_ms() {
	awk -v t0="$1" '/bytes from/ {
		ts = substr($1, 2, length($1) - 2)
		printf "%.0f\n", (ts - t0 / 1e9) * 1000
		exit
	}'
}

# fresh NAME...: their ARP caches, and on their routers the ARP caches
# and the UDP conntrack entries, forgotten: every overlay starts cold.
fresh() {
	local n
	for n in "$@"; do
		ip -n "${NSOF[$n]}" neigh flush all 2>/dev/null
		[ "${UPNS[$n]}" = "$hub" ] && continue
		ip -n "${UPNS[$n]}" neigh flush all 2>/dev/null
		ip netns exec "${UPNS[$n]}" conntrack -D -p udp >/dev/null 2>&1
	done
	return 0
}

# mem_kib PID...: "RSS PSS", KiB, summed over the processes.
mem_kib() {
	local p r=0 s=0 v
	for p in "$@"; do
		v=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$p/status" 2>/dev/null)
		r=$((r + ${v:-0}))
		v=$(awk '$1 == "Pss:" { print $2 }' "/proc/$p/smaps_rollup" \
		    2>/dev/null)
		s=$((s + ${v:-0}))
	done
	echo "$r $s"
}

# nbd_procs_mem NAME WHAT: one line per process of netbirdd host NAME
# (role, RSS, PSS, USS: private clean + dirty, KiB) into
# netbirdd-processes.txt, to say where netbirdd's memory goes.
nbd_procs_mem() {
	local p
	for p in $(ov_pids nbd "$1"); do
		printf '%s %s ' "$2" "$(tr '\0' ' ' <"/proc/$p/cmdline" |
		    sed 's/^netbirdd: //; s/ .*//; s,^/usr/bin/,,')"
		awk '$1 == "Rss:" { r = $2 } $1 == "Pss:" { p = $2 }
		    $1 ~ /^Private_(Clean|Dirty):$/ { u += $2 }
		    END { print r, p, u }' "/proc/$p/smaps_rollup"
	done >>"$OUT/netbirdd-processes.txt"
}

# dead OV WHAT / died OV WHAT RUN: a measurement that failed on its
# first run is not run again.
dead() { [ -n "${DEAD[$1:$2]:-}" ]; }
died() {
	sample "$1" "$2" "$3" "" failed
	[ "$3" = 1 ] && DEAD[$1:$2]=1
	return 0
}

# --- netbirdd -------------------------------------------------------------

# nbd_forget NAME...: their keys removed from their management server
# (no longer in anyone's map) and from their state directories.
nbd_forget() {
	local n key old
	for n in "$@"; do
		old=${SRVOF[$n]:-} key=
		[ -f "${DIROF[$n]}/state/private.key" ] && key=$(nbd_pub "$n")
		if [ -n "$key" ] && [ -n "$old" ] && [ -n "${SRVPID[$old]:-}" ]
		then
			srv "$old" "{\"cmd\": \"remove_peer\", \"key\": \"$key\"}" \
			    >/dev/null 2>&1
		fi
		rm -rf "${DIROF[$n]}/state" "${DIROF[$n]}/log"
		unset "SRVOF[$n]"
	done
}

# nbd_prep NAME SERVER: a new identity (the old one forgotten) and a
# configuration for management server SERVER, info log.
nbd_prep() {
	local n=$1
	nbd_forget "$n"
	SRVOF[$n]=$2
	nbd_conf "$n" "http://$HUBIP:${SRVPORT[$2]}"
	sed -i 's/^log level debug$/log level info/' "${DIROF[$n]}/netbirdd.conf"
	OVIF[$n]=${IFOF[$n]}
}

nbd_halt() {
	local n
	for n in "$@"; do
		nbd_stop "$n"
	done
	return 0
}

# --- Nebula ---------------------------------------------------------------

NEBDIR=$tmp/nebula
mkdir -p "$NEBDIR"

# neb_firewall: every host may reach every port of every other.
neb_firewall() {
	cat <<EOF
firewall:
  outbound:
    - port: any
      proto: any
      host: any
  inbound:
    - port: any
      proto: any
      host: any
EOF
}

# neb_cert NAME IP: a certificate for NAME with overlay address IP/16.
neb_cert() {
	local d=${DIROF[$1]}
	rm -f "$d/nebula.crt" "$d/nebula.key"
	nebula-cert sign -ca-crt "$NEBDIR/ca.crt" -ca-key "$NEBDIR/ca.key" \
	    -name "$1" -ip "$2/16" -out-crt "$d/nebula.crt" \
	    -out-key "$d/nebula.key"
}

# neb_prep NAME [MAPSIZE]: a new certificate and overlay address, and
# the configuration of a host that reports to the lighthouse; with
# MAPSIZE, that many more entries in its static_host_map (addresses
# nobody holds).
neb_prep() {
	local n=$1 d=${DIROF[$1]} ip
	NEBK=$((NEBK + 1))
	ip=10.214.$((NEBK / 250 + 1)).$((NEBK % 250 + 1))
	NEBIP[$n]=$ip
	neb_cert "$n" "$ip" || return 1
	{
		cat <<EOF
pki:
  ca: $NEBDIR/ca.crt
  cert: $d/nebula.crt
  key: $d/nebula.key
static_host_map:
  "$NEB_LH": ["${ADDROF[lh]}:$NEB_PORT"]
EOF
		[ -n "${2:-}" ] && awk -v n="$2" -v p="$NEB_PORT" 'BEGIN {
			for (i = 0; i < n; i++)
				printf "  \"10.214.%d.%d\": [\"10.216.%d.%d:%d\"]\n",
				    200 + int(i / 250), i % 250 + 1,
				    int(i / 250), i % 250 + 1, p
		}'
		cat <<EOF
lighthouse:
  am_lighthouse: false
  interval: 60
  hosts:
    - "$NEB_LH"
  local_allow_list:
    interfaces:
      eth0: true
listen:
  host: 0.0.0.0
  port: $NEB_PORT
punchy:
  punch: true
  respond: true
tun:
  dev: $NEB_DEV
  mtu: $MTU
logging:
  level: info
EOF
		neb_firewall
	} >"$d/nebula.yml"
	OVIF[$n]=$NEB_DEV
}

# neb_go NAME...: nebula started in each namespace (ip netns exec and
# nebula exec: NEBPID is nebula's PID).
neb_go() {
	local n
	for n in "$@"; do
		ip netns exec "${NSOF[$n]}" nebula -config \
		    "${DIROF[$n]}/nebula.yml" >>"${DIROF[$n]}/nebula.log" 2>&1 &
		NEBPID[$n]=$!
	done
}

# neb_stop NAME: SIGTERM, bounded wait, SIGKILL.
neb_stop() {
	local p=${NEBPID[$1]:-}
	unset "NEBPID[$1]"
	[ -z "$p" ] && return 0
	kill -TERM "$p" 2>/dev/null
	wait_until 10 sh -c "! kill -0 $p 2>/dev/null" ||
	    kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}
neb_halt() {
	local n
	for n in "$@"; do
		neb_stop "$n"
	done
	return 0
}

# neb_lighthouse: the lighthouse, a host of its own on the hub.
neb_lighthouse() {
	p2p_host lh || return 1
	nebula-cert ca -name "netbirdd bench" -out-crt "$NEBDIR/ca.crt" \
	    -out-key "$NEBDIR/ca.key" || return 1
	neb_cert lh "$NEB_LH" || return 1
	{
		cat <<EOF
pki:
  ca: $NEBDIR/ca.crt
  cert: ${DIROF[lh]}/nebula.crt
  key: ${DIROF[lh]}/nebula.key
static_host_map: {}
lighthouse:
  am_lighthouse: true
  interval: 60
  hosts: []
listen:
  host: 0.0.0.0
  port: $NEB_PORT
punchy:
  punch: true
tun:
  disabled: true
logging:
  level: info
EOF
		neb_firewall
	} >"${DIROF[lh]}/nebula.yml"
	neb_go lh
	wait_until 10 sh -c "ip netns exec ${NSOF[lh]} ss -Hlun \
	    'sport = :$NEB_PORT' | grep -q ."
}

# --- WireGuard by hand ----------------------------------------------------

# wg_prep NAME: wireguard-go started in NAME's namespace, a new key,
# listen port WGP_PORT, an overlay address (10.250/16) up, no peer.
wg_prep() {
	local n=$1 ns=${NSOF[$1]} ifn
	WGK=$((WGK + 1))
	ifn=wgb$$$WGK
	wgp_start "$n" "$ifn" || return 1
	WGPID[$n]=${WGP_PIDS##* }
	WGIF[$n]=$ifn
	WGADDR[$n]=10.250.$((WGK / 250 + 1)).$((WGK % 250 + 1))
	(umask 077 && wg genkey >"${DIROF[$n]}/wg.key") || return 1
	WGPUB[$n]=$(wg pubkey <"${DIROF[$n]}/wg.key")
	ip netns exec "$ns" wg set "$ifn" private-key "${DIROF[$n]}/wg.key" \
	    listen-port "$WGP_PORT" &&
	    ip -n "$ns" addr add "${WGADDR[$n]}/16" dev "$ifn" &&
	    ip -n "$ns" link set "$ifn" mtu "$MTU" up || return 1
	OVIF[$n]=$ifn
}

# wg_go NAME...: each one gets all the others as peers, in one "wg set":
# endpoint their public address (behind a NAT: their router's WAN
# address, the same port); a host behind a NAT keeps its mapping open
# with a persistent keepalive of 25 s.
wg_go() {
	local x y args
	for x in "$@"; do
		args=()
		for y in "$@"; do
			[ "$x" = "$y" ] && continue
			args+=(peer "${WGPUB[$y]}" allowed-ips "${WGADDR[$y]}/32"
			    endpoint "${PUBOF[$y]}:$WGP_PORT")
			[ -n "${GWOF[$x]:-}" ] && args+=(persistent-keepalive 25)
		done
		ip netns exec "${NSOF[$x]}" wg set "${WGIF[$x]}" "${args[@]}"
	done
}

wg_halt() { plain_wg_stop; }

# --- one overlay, whatever it is ------------------------------------------

# ov_prep OV NAME...: what comes before the clock starts.
ov_prep() {
	local ov=$1 n
	shift
	fresh "$@"
	for n in "$@"; do
		case $ov in
		nbd) nbd_prep "$n" s ;;
		neb) neb_prep "$n" ;;
		wg) wg_prep "$n" ;;
		esac || return 1
	done
}

# ov_go OV NAME...: the start that is timed.
ov_go() {
	local ov=$1 n
	shift
	case $ov in
	nbd) for n in "$@"; do bench_start "$n"; done ;;
	neb) neb_go "$@" ;;
	wg) wg_go "$@" ;;
	esac
}

ov_halt() {
	local ov=$1
	shift
	"${ov}_halt" "$@"
}

# ov_pids OV NAME: the processes of that overlay on host NAME (for
# netbirdd: those running its program or wireguard-go, not the logger
# bench_start puts in front of its stderr).
ov_pids() {
	local p
	case $1 in
	nbd)
		[ -n "${PIDOF[$2]:-}" ] || return 0
		for p in $(proc_tree "${PIDOF[$2]}"); do
			case $(readlink -f "/proc/$p/exe" 2>/dev/null) in
			"$NBD_EXE"|*/wireguard-go) echo "$p" ;;
			esac
		done ;;
	neb) echo "${NEBPID[$2]:-}" ;;
	wg) echo "${WGPID[$2]:-}" ;;
	esac
}

# ov_show OV A B: what A says of the overlay, on stderr, after a failure.
ov_show() {
	case $1 in
	nbd) p2p_show "$2" "$3" | sed 's/^# //' ;;
	neb) tail -n 5 "${DIROF[$2]}/nebula.log" ;;
	wg) ip netns exec "${NSOF[$2]}" wg show "${WGIF[$2]}" ;;
	esac 2>&1 | sed 's/^/#   /' >&2
}

# --- 1, 2: two hosts, the first packet ------------------------------------

# pair OV WHAT RUN A B: A and B started, the clock from the start
# command; pings from A to B.
pair() {
	local ov=$1 what=$2 run=$3 a=$4 b=$5 t0 end ms=
	dead "$ov" "$what" && return 0
	if ! ov_prep "$ov" "$a" "$b"; then
		say "$ov $what run $run: preparation failed"
		ov_halt "$ov" "$a" "$b"
		died "$ov" "$what" "$run"
		return 0
	fi
	t0=$(now_ns)
	end=$((t0 + LIMIT * 1000000000))
	ov_go "$ov" "$a" "$b"
	if wait_addrs "$end" "$a" "$b"; then
		ms=$(ip netns exec "${NSOF[$a]}" ping -D -n -c 1 -i 0.1 -W 1 \
		    -w "$(left "$end")" "${OVADDR[$b]}" 2>/dev/null |
		    reply_ms "$t0")
	fi
	if [ -n "$ms" ]; then
		sample "$ov" "$what" "$run" "$ms" ms
		say "$ov $what run $run: $ms ms"
	else
		say "$ov $what run $run: no answer within $LIMIT s"
		ov_show "$ov" "$a" "$b"
		died "$ov" "$what" "$run"
	fi
	ov_halt "$ov" "$a" "$b"
}

# --- 3, 4: the mesh and memory at rest --------------------------------

# mesh OV RUN NAME...: all started; every host pings every other; the
# clock stops at the last first answer.  Then memory per host at rest.
mesh() {
	local ov=$1 run=$2 t0 end x y f ms worst=0 bad=0 p rss pss
	shift 2
	dead "$ov" mesh && return 0
	if ! ov_prep "$ov" "$@"; then
		say "$ov mesh run $run: preparation failed"
		ov_halt "$ov" "$@"
		died "$ov" mesh "$run"
		return 0
	fi
	t0=$(now_ns)
	end=$((t0 + MESH_LIMIT * 1000000000))
	ov_go "$ov" "$@"
	if ! wait_addrs "$end" "$@"; then
		say "$ov mesh run $run: not every overlay address within" \
		    "$MESH_LIMIT s"
		ov_halt "$ov" "$@"
		died "$ov" mesh "$run"
		return 0
	fi
	PING_PIDS=
	for x in "$@"; do
		for y in "$@"; do
			[ "$x" = "$y" ] && continue
			ip netns exec "${NSOF[$x]}" ping -D -n -c 1 -i 0.1 -W 1 \
			    -w "$(left "$end")" "${OVADDR[$y]}" \
			    >"$tmp/mesh.$x.$y" 2>&1 &
			PING_PIDS="$PING_PIDS $!"
		done
	done
	for p in $PING_PIDS; do
		wait "$p"
	done
	PING_PIDS=
	for x in "$@"; do
		for y in "$@"; do
			[ "$x" = "$y" ] && continue
			f=$tmp/mesh.$x.$y
			ms=$(reply_ms "$t0" <"$f")
			rm -f "$f"
			if [ -z "$ms" ]; then
				bad=$((bad + 1))
				continue
			fi
			[ "$ms" -gt "$worst" ] && worst=$ms
		done
	done
	if [ "$bad" = 0 ]; then
		sample "$ov" mesh "$run" "$worst" ms
		say "$ov mesh run $run: $worst ms"
		sleep "$REST_WAIT"
		[ "$ov" = nbd ] && nbd_procs_mem "$1" "mesh$MESH_N-run$run"
		for x in "$@"; do
			read -r rss pss < <(mem_kib $(ov_pids "$ov" "$x"))
			sample "$ov" rss10 "$run" "$rss" KiB
			sample "$ov" pss10 "$run" "$pss" KiB
		done
	else
		say "$ov mesh run $run: $bad of the pairs had no answer"
		died "$ov" mesh "$run"
	fi
	ov_halt "$ov" "$@"
}

# big OV RUN NAME: one host alone with a map of BIG_N peers, its memory
# REST_WAIT seconds after the map was applied.
big() {
	local ov=$1 run=$2 n=$3 end ok=1 s=big$2 rss pss
	dead "$ov" rss1000 && return 0
	fresh "$n"
	end=$(($(now_ns) + LIMIT * 1000000000))
	case $ov in
	nbd)
		SRV_NETCONF=("${MAIN_NETCONF[@]}")
		srv_start "$s" 0 || { say "server $s did not start"; return 1; }
		nbd_prep "$n" "$s"
		bench_start "$n"
		if wait_addrs "$end" "$n"; then
			srv "$s" "{\"cmd\": \"generate_peers\", \"count\": $BIG_N}" \
			    >/dev/null
			wait_for 120 sh -c "timeout 10 '$NETBIRDCTL' -s \
			    '${DIROF[$n]}/sock' show status | grep -q \
			    '^Peers count: [0-9]*/$BIG_N Connected\$'" || ok=
		else
			ok=
		fi ;;
	neb)
		neb_prep "$n" "$BIG_N" && neb_go "$n" &&
		    wait_addrs "$end" "$n" || ok= ;;
	wg)
		wg_prep "$n" && wg_big "$n" || ok= ;;
	esac
	if [ -n "$ok" ]; then
		sleep "$REST_WAIT"
		read -r rss pss < <(mem_kib $(ov_pids "$ov" "$n"))
		[ "$ov" = nbd ] && nbd_procs_mem "$n" "map$BIG_N-run$run"
		sample "$ov" rss1000 "$run" "$rss" KiB
		sample "$ov" pss1000 "$run" "$pss" KiB
		say "$ov $BIG_N peers run $run: RSS $rss KiB, PSS $pss KiB"
	else
		say "$ov $BIG_N peers run $run: not applied"
		died "$ov" rss1000 "$run"
	fi
	ov_halt "$ov" "$n"
	[ "$ov" = nbd ] && srv_stop "$s"
	return 0
}

# wg_big NAME: BIG_N peers with keys nobody holds, each with an overlay
# address and an endpoint nobody holds, in one "wg set".
wg_big() {
	local args
	mapfile -t args < <("$PYTHON" - "$BIG_N" "$WGP_PORT" <<'EOF'
import base64, os, sys
n, port = int(sys.argv[1]), sys.argv[2]
for i in range(n):
    print("peer")
    print(base64.b64encode(os.urandom(32)).decode())
    print("allowed-ips")
    print("10.251.%d.%d/32" % (i // 250, i % 250 + 1))
    print("endpoint")
    print("10.216.%d.%d:%s" % (i // 250, i % 250 + 1, port))
EOF
)
	ip netns exec "${NSOF[$1]}" wg set "${WGIF[$1]}" "${args[@]}" &&
	    test "$(ip netns exec "${NSOF[$1]}" wg show "${WGIF[$1]}" peers |
	    wc -l)" = "$BIG_N"
}

# --- 5, 6, 7: throughput and CPU ------------------------------------------

HZ=$(getconf CLK_TCK)

# tput OV RUN WHAT A B: iperf3 from A to B over overlay OV (B's address
# TADDR[OV]), CPU of that overlay's processes on both ends meanwhile,
# and of coturn and the relay server.
tput() {
	local ov=$1 run=$2 what=$3 a=$4 b=$5 ip=${TADDR[$1]} pids mb by t0 t1 s0
	dead "$ov" "tput$what" && return 0
	pids="$(ov_pids "$ov" "$a") $(ov_pids "$ov" "$b")"
	if ! iperf_server "$b" "$ip"; then
		say "$ov$what run $run: iperf3 server did not start"
		died "$ov" "tput$what" "$run"
		return 0
	fi
	s0=$(cpu_ticks "$COTURN_PID" "${SRVPID[relay]}")
	t0=$(cpu_ticks $pids)
	mb=$(iperf "$a" "$ip")
	t1=$(cpu_ticks $pids)
	s0=$(($(cpu_ticks "$COTURN_PID" "${SRVPID[relay]}") - s0))
	by=$("$PYTHON" -c 'import json, sys
print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"])' \
	    "$tmp/iperf.json" 2>/dev/null)
	if [ -z "$mb" ] || [ -z "$by" ] || [ "$by" = 0 ]; then
		say "$ov$what run $run: iperf3 failed"
		died "$ov" "tput$what" "$run"
		return 0
	fi
	sample "$ov" "tput$what" "$run" "$mb" Mbit/s
	sample "$ov" "cpu$what" "$run" "$(awk -v t="$((t1 - t0))" \
	    -v hz="$HZ" -v b="$by" 'BEGIN { printf "%.3f", t / hz / (b / 1e9) }')" \
	    s/GB
	[ -n "$what" ] && sample "$ov" "srvcpu$what" "$run" "$(awk \
	    -v t="$s0" -v hz="$HZ" -v b="$by" \
	    'BEGIN { printf "%.3f", t / hz / (b / 1e9) }')" s/GB
	say "$ov$what run $run: $mb Mbit/s"
}

# direct_still A B: netbirdd's A still sends to B's own address.
direct_still() {
	p2p_is "$1" "$2" P2P &&
	    p2p_endpoint "$1" "$2" | grep -q "^${ADDROF[$2]}:"
}

# tput_direct: the three tunnels up between la and lb, netbirdd first,
# so that its ICE agent gathers no candidate on the other two's
# interfaces (on WireGuard's, named wg*, it never would); RUNS iperf3
# runs each, taking turns.
tput_direct() {
	local run ov
	nbd_prep la s && nbd_prep lb s
	bench_start la
	bench_start lb
	if p2p_wait_connected la lb P2P "$LIMIT" &&
	    p2p_wait_connected lb la P2P 10; then
		MTU=$(ip -n "${NSOF[la]}" -o link show dev "${IFOF[la]}" |
		    sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
		TADDR[nbd]=$(ov_addr lb)
	else
		say "throughput: la and lb not Connected, P2P, within $LIMIT s"
		DEAD[nbd:tput]=1
	fi
	neb_prep la && neb_prep lb && neb_go la lb &&
	    wait_addrs $(($(now_ns) + LIMIT * 1000000000)) la lb &&
	    ip netns exec "${NSOF[la]}" ping -q -n -c 1 -i 0.1 -w "$LIMIT" \
	    "${OVADDR[lb]}" >/dev/null && TADDR[neb]=${OVADDR[lb]} ||
	    { say "throughput: no Nebula tunnel"; DEAD[neb:tput]=1; }
	wg_prep la && wg_prep lb && wg_go la lb &&
	    ip netns exec "${NSOF[la]}" ping -q -n -c 1 -i 0.1 -w "$LIMIT" \
	    "${WGADDR[lb]}" >/dev/null && TADDR[wg]=${WGADDR[lb]} ||
	    { say "throughput: no hand-made WireGuard tunnel"; DEAD[wg:tput]=1; }
	ip netns exec "${NSOF[la]}" wg showconf "${WGIF[la]}" 2>/dev/null |
	    sed 's/^PrivateKey = .*/PrivateKey = (made with wg genkey, not kept)/' \
	    >"$CONF/wireguard-by-hand.conf"
	for run in $(seq "$RUNS"); do
		for ov in $(rotate "$run"); do
			if [ "$ov" = nbd ] && ! dead nbd tput &&
			    ! direct_still la lb; then
				say "netbirdd run $run: no longer direct" \
				    "($(p2p_peer_state la lb)," \
				    "$(p2p_endpoint la lb))"
			fi
			tput "$ov" "$run" "" la lb
		done
	done
	neb_halt la lb
	wg_halt
}

# tput_turn: netbirdd alone, restarted with UDP between la and lb
# dropped: through coturn.
tput_turn() {
	local run
	p2p_block_udp la lb
	nbd_halt la lb
	OVIF[la]=${IFOF[la]} OVIF[lb]=${IFOF[lb]}
	bench_start la
	bench_start lb
	if p2p_wait_connected la lb Relayed "$LIMIT" &&
	    p2p_wait_connected lb la Relayed 30; then
		TADDR[nbd]=$(ov_addr lb)
		for run in $(seq "$RUNS"); do
			tput nbd "$run" _turn la lb
		done
	else
		say "TURN: la and lb not Connected, Relayed, within $LIMIT s"
		died nbd tput_turn 1
	fi
	nbd_halt la lb
}

# tput_relay: the same with the second management server: no TURN, the
# NetBird relay.
tput_relay() {
	local run
	nbd_prep la rs && nbd_prep lb rs
	bench_start la
	bench_start lb
	if p2p_wait_connected la lb Relayed $((LIMIT + 30)) &&
	    p2p_wait_connected lb la Relayed 30; then
		TADDR[nbd]=$(ov_addr lb)
		for run in $(seq "$RUNS"); do
			tput nbd "$run" _relay la lb
		done
	else
		say "relay: la and lb not Connected, Relayed, within" \
		    "$((LIMIT + 30)) s"
		died nbd tput_relay 1
	fi
	nbd_halt la lb
	nbd_forget la lb
	p2p_unblock_udp la lb
}

# --- versions and configurations ------------------------------------------

versions() {
	echo "netbirdd $(sed -n 's/^#define NBD_VERSION[[:space:]]*"\(.*\)"/\1/p' \
	    "$TOP/netbirdd/netbirdd.h") (git $(git -C "$TOP" describe \
	    --always --dirty 2>/dev/null || echo unknown))"
	echo "nebula $(nebula -version 2>&1 | sed -n 's/^Version: //p')"
	echo "nebula package $(dpkg-query -W -f='${Version}' nebula 2>/dev/null)"
	echo "wireguard-go $(wireguard-go --version 2>&1 |
	    sed -n 's/^wireguard-go //p')"
	echo "wireguard-tools $(wg --version 2>&1 | awk '{ print $2 }')"
	echo "iperf3 $(iperf3 --version 2>&1 | awk 'NR == 1 { print $2 }')"
	echo "coturn $(dpkg-query -W -f='${Version}' coturn 2>/dev/null)"
	echo "kernel $(uname -r), $(nproc) CPUs"
}

save_configs() {
	local d=$CONF
	nbd_conf la "$P2P_URL"
	sed "s,$tmp,\$TMP,g; s/^log level debug$/log level info/" \
	    "${DIROF[la]}/netbirdd.conf" >"$d/netbirdd.conf"
	{
		echo "# main management server (TURN, no relay)"
		echo "mgmt_server.py --listen $HUBIP --port $MGMTPORT" \
		    "--setup-key $SETUP_KEY ${MAIN_NETCONF[*]}"
		echo "# second management server (no TURN, the NetBird relay)"
		echo "mgmt_server.py --listen $HUBIP --port ${SRVPORT[rs]}" \
		    "--setup-key $SETUP_KEY ${RS_NETCONF[*]}"
		echo "relay_server.py --listen $HUBIP:$RELAYPORT" \
		    "--secret $RELAY_SECRET"
		echo "signal_server.py --listen $HUBIP --port $SIGPORT"
	} >"$d/servers.txt"
	[ -n "$COTURN_DIR" ] && cp "$COTURN_DIR/turnserver.conf" "$d/"
	sed "s,$tmp,\$TMP,g" "${DIROF[lh]}/nebula.yml" \
	    >"$d/nebula-lighthouse.yml"
	neb_prep la
	neb_prep ca
	sed "s,$tmp,\$TMP,g" "${DIROF[la]}/nebula.yml" >"$d/nebula-host.yml"
	sed "s,$tmp,\$TMP,g" "${DIROF[ca]}/nebula.yml" \
	    >"$d/nebula-host-behind-nat.yml"
	cat >"$d/commands.txt" <<EOF
# what each overlay ran, and how it was measured
netbirdd:   ip netns exec NS unshare --uts sh -c 'hostname peer-NAME && exec netbirdd -d -f netbirdd.conf -s SOCK'
nebula:     ip netns exec NS nebula -config nebula.yml
            nebula-cert ca -name "netbirdd bench"; nebula-cert sign -name NAME -ip 10.214.X.Y/16
wireguard:  ip netns exec NS env WG_PROCESS_FOREGROUND=1 wireguard-go wgbN
            wg set wgbN private-key KEYFILE listen-port $WGP_PORT
            ip addr add 10.250.X.Y/16 dev wgbN; ip link set wgbN mtu $MTU up
            (clock starts) wg set wgbN peer PUB allowed-ips 10.250.X.Y/32 endpoint PUBLIC:$WGP_PORT [persistent-keepalive 25 behind a NAT]
first packet: ping -D -n -c 1 -i 0.1 -W 1 -w LEFT PEER_OVERLAY_IP (from both hosts' overlay address being set; time of the first answer)
throughput: iperf3 -s -1 -B PEER_OVERLAY_IP; iperf3 -c PEER_OVERLAY_IP -t $IPERF_TIME -J
CPU:        utime + stime (/proc/PID/stat) of the overlay's processes on both ends, before and after iperf3
memory:     VmRSS (/proc/PID/status) and Pss (/proc/PID/smaps_rollup), summed per host
EOF
}

# --- the run --------------------------------------------------------------

RS_NETCONF=(--stun "stun:$HUBIP:$TURNPORT" --signal "$HUBIP:$SIGPORT,http"
    --relay "rel://$HUBIP:$RELAYPORT")
p2p_relay_start relay "$HUBIP" || { echo "relay server" >&2; exit 1; }
SRV_NETCONF=("${RS_NETCONF[@]}")
srv_start rs 0 || { echo "second management server" >&2; exit 1; }
SRV_NETCONF=("${MAIN_NETCONF[@]}")
neb_lighthouse || { echo "nebula lighthouse" >&2; exit 1; }
versions | tee "$OUT/versions.txt" | sed 's/^/# /' >&2

p2p_new la && p2p_new lb || exit 1
p2p_router rca cone && p2p_router rcb cone &&
    p2p_new ca rca && p2p_new cb rcb || exit 1
mesh_names=
for i in $(seq "$MESH_N"); do
	p2p_new "m$i" || exit 1
	mesh_names="$mesh_names m$i"
done

phase first && for run in $(seq "$RUNS"); do
	for ov in $(rotate "$run"); do
		pair "$ov" start_lan "$run" la lb
		pair "$ov" start_cone "$run" ca cb
	done
done
nbd_forget la lb ca cb

phase mesh && for run in $(seq "$MESH_RUNS"); do
	for ov in $(rotate "$run"); do
		mesh "$ov" "$run" $mesh_names
	done
done
nbd_forget $mesh_names

phase big && for run in $(seq "$BIG_RUNS"); do
	for ov in $(rotate "$run"); do
		big "$ov" "$run" m1
	done
done
phase tput && { tput_direct; tput_turn; tput_relay; }
save_configs

# --- the table ------------------------------------------------------------

"$PYTHON" - "$OUT" "$RUNS" "$MESH_N" "$MESH_RUNS" "$BIG_N" "$BIG_RUNS" \
    "$IPERF_TIME" "$MTU" <<'EOF' | tee "$OUT/table.md"
import csv, json, statistics, sys
out, runs, mesh_n, mesh_runs, big_n, big_runs, secs, mtu = sys.argv[1:9]
samples = list(csv.DictReader(open(out + "/samples.csv")))
OV = [("nbd", "netbirdd"), ("neb", "Nebula"), ("wg", "hand-made WireGuard")]

def values(ov, what):
    return [float(s["value"]) for s in samples
            if s["overlay"] == ov and s["what"] == what and s["value"]]

def failures(ov, what):
    return sum(1 for s in samples if s["overlay"] == ov and
               s["what"] == what and s["unit"] == "failed")

def ratio_values(ov, what, base):
    b = {s["run"]: float(s["value"]) for s in samples
         if s["overlay"] == ov and s["what"] == base and s["value"]}
    return [float(s["value"]) / b[s["run"]] for s in samples
            if s["overlay"] == ov and s["what"] == what and s["value"]
            and b.get(s["run"])]

# key, label, unit, scale, digits, what per overlay (None: n/a + why)
rows = [
    ("start_lan", "both daemons started -> first packet across the "
     "overlay, same LAN", "ms", 1, 0,
     {"nbd": "start_lan", "neb": "start_lan", "wg": "start_lan"},
     "hand-made WireGuard: from the first `wg set` of the peers"),
    ("start_cone", "the same behind cone NATs", "ms", 1, 0,
     {"nbd": "start_cone", "neb": "start_cone", "wg": "start_cone"},
     "hand-made WireGuard: endpoints = the routers' WAN address and port "
     "(the NATs keep the source port), keepalive 25 s"),
    ("mesh", "%s-node mesh fully reachable after the last daemon starts"
     % mesh_n, "ms", 1, 0, {"nbd": "mesh", "neb": "mesh", "wg": "mesh"},
     "%s runs; pings start once every overlay address is known" % mesh_runs),
    ("rss10", "RSS per host at rest, %s-node mesh" % mesh_n, "MiB",
     1 / 1024, 1, {"nbd": "rss10", "neb": "rss10", "wg": "rss10"},
     "sum over the host's processes (netbirdd: parent, 6 children, "
     "wireguard-go); a sample per host and run"),
    ("pss10", "  PSS of the same", "MiB", 1 / 1024, 1,
     {"nbd": "pss10", "neb": "pss10", "wg": "pss10"},
     "shared pages divided among all %s hosts" % mesh_n),
    ("rss1000", "RSS with a %s-peer map (one host alone)" % big_n, "MiB",
     1 / 1024, 1, {"nbd": "rss1000", "neb": "rss1000", "wg": "rss1000"},
     "%s runs; netbirdd: map from the test management server; Nebula: "
     "static_host_map of %s entries; WireGuard: %s peers set with wg"
     % (big_runs, big_n, big_n)),
    ("pss1000", "  PSS of the same", "MiB", 1 / 1024, 1,
     {"nbd": "pss1000", "neb": "pss1000", "wg": "pss1000"}, ""),
    ("tput", "throughput across the tunnel (iperf3 TCP, %s s), direct"
     % secs, "Mbit/s", 1, 0, {"nbd": "tput", "neb": "tput", "wg": "tput"},
     "MTU %s for all three, the three tunnels up at once, taking turns"
     % mtu),
    ("turn_ratio", "throughput through TURN (coturn) / direct path",
     "ratio", 1, 2, {"nbd": ("ratio", "tput_turn", "tput")},
     "netbirdd only; UDP between the two hosts dropped"),
    ("relay_ratio", "throughput through the NetBird relay / direct path",
     "ratio", 1, 2, {"nbd": ("ratio", "tput_relay", "tput")},
     "netbirdd only; the relay server is a Python test fixture"),
    ("cpu", "CPU seconds per GB moved, direct path (both ends)", "s/GB",
     1, 2, {"nbd": "cpu", "neb": "cpu", "wg": "cpu"},
     "user+sys of every process of the overlay on both hosts"),
    ("cpu_turn", "  the same through TURN (coturn not counted)", "s/GB",
     1, 2, {"nbd": "cpu_turn"}, ""),
    ("cpu_relay", "  the same through the relay (relay server not "
     "counted)", "s/GB", 1, 2, {"nbd": "cpu_relay"}, ""),
]
extra = [
    ("tput_turn", "Mbit/s through TURN", "Mbit/s", 1, 0),
    ("tput_relay", "Mbit/s through the relay", "Mbit/s", 1, 0),
    ("srvcpu_turn", "coturn CPU per GB", "s/GB", 1, 2),
    ("srvcpu_relay", "relay server CPU per GB", "s/GB", 1, 2),
]

def stat(v, scale):
    v = sorted(x * scale for x in v)
    return statistics.median(v), v[0], v[-1], len(v)

def fmt(x, d):
    return "%.*f" % (d, x)

summary = []
table = []
for key, label, unit, scale, dig, whats, note in rows:
    cells = []
    for ov, name in OV:
        w = whats.get(ov)
        ent = {"row": key, "overlay": name, "unit": unit}
        if w is None:
            cells.append("n/a")
            ent["value"] = "n/a"
            summary.append(ent)
            continue
        if isinstance(w, tuple):
            v = ratio_values(ov, w[1], w[2])
            nf = failures(ov, w[1])
        else:
            v = values(ov, w)
            nf = failures(ov, w)
        if not v:
            cells.append("failed" if nf else "not measured")
            ent["value"] = cells[-1]
            summary.append(ent)
            continue
        m, lo, hi, n = stat(v, scale)
        c = "%s (%s-%s) n=%d" % (fmt(m, dig), fmt(lo, dig), fmt(hi, dig), n)
        if nf:
            c += ", %d failed" % nf
        cells.append(c)
        ent.update(median=m, min=lo, max=hi, runs=n, failed=nf)
        summary.append(ent)
    table.append((key, label, unit, cells, note))

print()
print("| measurement | netbirdd | Nebula | hand-made WireGuard |")
print("|---|---|---|---|")
for key, label, unit, cells, note in table:
    print("| %s, %s | %s |" % (label, unit, " | ".join(cells)))
print()
print("median (min-max) n=samples.  Notes:")
for key, label, unit, cells, note in table:
    if note:
        print("- %s: %s" % (label.strip(), note))
print("- every start: netbirdd registers a new key with the setup key, "
      "then management, signal and ICE; Nebula has its certificate made "
      "beforehand and the lighthouse already up; the hand-made tunnel has "
      "its keys, addresses and endpoints written in advance")
print("- ciphers: WireGuard's ChaCha20-Poly1305 (netbirdd and by hand), "
      "Nebula's default (aes: AES-256-GCM); one Nebula routine (default)")
print("- processes of the first netbirdd host of each mesh run and of the "
      "%s-peer host, one by one: netbirdd-processes.txt" % big_n)
for what, label, unit, scale, dig in extra:
    v = values("nbd", what)
    if v:
        m, lo, hi, n = stat(v, scale)
        print("- netbirdd %s: %s (%s-%s) n=%d %s" % (label, fmt(m, dig),
              fmt(lo, dig), fmt(hi, dig), n, unit))
        summary.append({"row": what, "overlay": "netbirdd", "unit": unit,
                        "median": m, "min": lo, "max": hi, "runs": n})
print()
print("netbirdd against the others (ratio of medians; >1: netbirdd "
      "takes more, or moves more for throughput):")
med = {(e["row"], e["overlay"]): e["median"] for e in summary
       if "median" in e}
for key, label, unit, cells, note in table:
    a = med.get((key, "netbirdd"))
    parts = []
    for ov in ("Nebula", "hand-made WireGuard"):
        b = med.get((key, ov))
        if a is not None and b:
            parts.append("%.2f x %s" % (a / b, ov))
    if parts:
        print("- %s: %s" % (label.strip(), ", ".join(parts)))

with open(out + "/summary.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["row", "overlay", "runs", "median", "min", "max", "unit",
                "failed", "value"])
    for e in summary:
        w.writerow([e["row"], e["overlay"], e.get("runs", ""),
                    e.get("median", ""), e.get("min", ""), e.get("max", ""),
                    e["unit"], e.get("failed", ""), e.get("value", "")])
versions = [l.rstrip("\n") for l in open(out + "/versions.txt")]
with open(out + "/summary.json", "w") as f:
    json.dump({"versions": versions,
               "settings": {"runs": int(runs), "mesh_n": int(mesh_n),
                            "mesh_runs": int(mesh_runs),
                            "big_n": int(big_n), "big_runs": int(big_runs),
                            "iperf_time": int(secs), "mtu": int(mtu)},
               "rows": summary,
               "table": [{"row": k, "label": l, "unit": u, "cells": c,
                          "note": n} for k, l, u, c, n in table]},
              f, indent=1)
EOF
echo
sed 's/^/versions: /' "$OUT/versions.txt"
echo "results: $OUT (samples.csv, summary.csv, summary.json, table.md," \
    "configs/)"
