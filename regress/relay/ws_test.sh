#!/bin/sh
# netbirdd/ws.c and ws_frame.c against the WebSocket echo server
# (regress/fixtures/wsserver.py), plain and TLS: every message size up
# to 8820 bytes, a burst over the queue's bound, a steady flow, server
# pings and fragments, bad frames from the server, closes by the server
# (Close, abort, a text message), bad arguments, connection refused, an
# address list whose first address refuses, IPv6, deadlines in the TCP
# connect and in the upgrade, certificates that must not pass, and frees
# from inside the callbacks and in every state.  The checks run the
# AddressSanitizer build of ws_drive when there is one, which must
# report nothing.  Then strace: libcurl starts no thread and opens no
# file once connected.  Last, the throughput of 1400-byte messages.

cd "$(dirname "$0")" || exit 1
. ../lib.sh

SERVER=$TOP/regress/fixtures/wsserver.py
DRIVE=./ws_drive
SAN=./ws_drive_san

need_cmd openssl
if [ ! -x "$DRIVE" ]; then
	notok "ws: $DRIVE is not built"
	finish
fi
if [ ! -x "$SAN" ]; then
	skip "ws: sanitizers: $SAN is not built"
	SAN=$DRIVE
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1

tmp=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# start NAME ARGS...: a server; sets $port from its "ready" line.
start() {
	name=$1; shift
	"$PYTHON" "$SERVER" "$@" >"$tmp/$name.srv" 2>"$tmp/$name.srverr" &
	pids="$pids $!"
	if ! wait_until 20 grep -q '^ready' "$tmp/$name.srv"; then
		notok "ws: $name server did not start"
		sed 's/^/# /' "$tmp/$name.srverr"
		port=1
		return 1
	fi
	port=$(sed -n 's/^ready port=\([0-9]*\).*/\1/p' "$tmp/$name.srv")
}

# drive NAME ARGS...: the sanitizer build; its output in $tmp/NAME.out.
drive() {
	name=$1; shift
	timeout 120 "$SAN" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
	if grep -q -E 'AddressSanitizer|LeakSanitizer|runtime error' \
	    "$tmp/$name.err"; then
		notok "ws: $name: sanitizers report"
		grep -E -A8 'ERROR|runtime error' "$tmp/$name.err" | head -30 |
		    sed 's/^/# /'
	fi
	return $rc
}

# val NAME KEY: the value of KEY=... in the driver's output.
val() {
	sed -n "s/.*[ ^]$2=\([^ ]*\).*/\1/p; s/^$2=\([^ ]*\).*/\1/p" \
	    "$tmp/$1.out" | head -1
}

reason() {
	sed -n 's/^closed ms=[0-9]* reason=//p' "$tmp/$1.out"
}

show() {
	sed 's/^/# /' "$tmp/$1.out"
	sed 's/^/# /' "$tmp/$1.err" | tail -5
}

# echo_ok NAME N WHAT: all N messages came back intact, nothing else.
echo_ok() {
	if [ "$rc" -eq 0 ] && [ "$(val "$1" echoed)" = "$2" ] &&
	    [ "$(val "$1" bad)" = 0 ] && [ "$(val "$1" rx_msgs)" = "$2" ] &&
	    [ "$(val "$1" tx_drops)" = 0 ]; then
		ok "ws: $3"
	else
		notok "ws: $3"
		show "$1"
	fi
}

# closed_ok NAME PATTERN WHAT: closed, with a reason that matches.
closed_ok() {
	r=$(reason "$1")
	if [ -n "$r" ] && echo "$r" | grep -q -E "$2"; then
		ok "ws: $3 ($r)"
	else
		notok "ws: $3"
		show "$1"
	fi
}

# closed_in NAME LO HI: the closed callback came between LO and HI ms.
closed_in() {
	ms=$(sed -n 's/^closed ms=\([0-9]*\).*/\1/p' "$tmp/$1.out")
	if [ -n "$ms" ] && [ "$ms" -ge "$2" ] && [ "$ms" -le "$3" ]; then
		ok "ws: $1: closed after $ms ms (between $2 and $3)"
	else
		notok "ws: $1: closed after ${ms:-no} ms (between $2 and $3)"
	fi
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -nodes -days 1 -subj /CN=relay.test \
    -addext subjectAltName=DNS:relay.test -keyout "$tmp/key.pem" \
    -out "$tmp/cert.pem" 2>/dev/null
CA="-c $tmp/cert.pem"
A="-a 127.0.0.1"

for mode in plain tls; do
	if [ $mode = plain ]; then
		tlsargs=
		scheme=ws
	else
		tlsargs="--tls-cert $tmp/cert.pem --tls-key $tmp/key.pem"
		scheme=wss
	fi
	# shellcheck disable=SC2086
	start $mode $tlsargs || continue
	url=$scheme://relay.test:$port/relay

	drive $mode-sizes $CA $A -n 64 -w 4 \
	    -s 0,1,2,3,4,5,125,126,127,1000,1400,4096,65,8819,8820 "$url"
	echo_ok $mode-sizes 64 "$mode: sizes 0 to 8820, the three length forms"
	if grep -q "^open .*peer=127.0.0.1:$port\$" "$tmp/$mode-sizes.out"
	then
		ok "ws: $mode: ws_conn_peer gives the server's address"
	else
		notok "ws: $mode: ws_conn_peer gives the server's address"
	fi

	drive $mode-every $CA $A -n 8820 -w 16 -s 1-8820 "$url"
	echo_ok $mode-every 8820 "$mode: every size from 1 to 8820 bytes"

	# A server that reads nothing for a second: the burst must fill
	# the socket, then the queue, and what is over is dropped.
	# shellcheck disable=SC2086
	start $mode-pause $tlsargs --pause-ms 1000 || continue
	drive $mode-burst $CA $A -n 10000 -w 0 -s 1400 \
	    $scheme://relay.test:$port/relay
	acc=$(val $mode-burst accepted)
	drop=$(val $mode-burst dropped)
	if [ $((acc + drop)) -eq 10000 ] && [ "$drop" -gt 0 ] &&
	    [ "$acc" -ge 185 ] && [ "$(val $mode-burst echoed)" = "$acc" ] &&
	    [ "$(val $mode-burst bad)" = 0 ] &&
	    [ "$(val $mode-burst tx_drops)" = "$drop" ]; then
		ok "ws: $mode: a burst of 10000: $acc queued and echoed," \
		    "$drop dropped and counted"
	else
		notok "ws: $mode: a burst of 10000 over the queue's bound"
		show $mode-burst
	fi

	drive $mode-flow $CA $A -n 10000 -w 64 -s 1400 "$url"
	echo_ok $mode-flow 10000 "$mode: 10000 messages, 64 in flight"

	drive $mode-early $CA $A -E -n 3 "$url"
	if grep -q '^early_send=-1$' "$tmp/$mode-early.out" &&
	    [ "$(val $mode-early tx_drops)" = 1 ] &&
	    [ "$(val $mode-early echoed)" = 3 ]; then
		ok "ws: $mode: a message before open is dropped and counted"
	else
		notok "ws: $mode: a message before open is dropped and counted"
		show $mode-early
	fi

	drive $mode-free-open $CA $A -F open "$url"
	if grep -q '^open' "$tmp/$mode-free-open.out" &&
	    ! grep -q -E '^(closed|timeout)' "$tmp/$mode-free-open.out"; then
		ok "ws: $mode: freed inside the open callback, no callback after"
	else
		notok "ws: $mode: freed inside the open callback"
		show $mode-free-open
	fi
	drive $mode-free-msg $CA $A -F message -n 50 -w 0 "$url"
	if [ "$(val $mode-free-msg echoed)" = 1 ] &&
	    ! grep -q -E '^(closed|timeout)' "$tmp/$mode-free-msg.out"; then
		ok "ws: $mode: freed inside a message callback, 49 unread"
	else
		notok "ws: $mode: freed inside a message callback"
		show $mode-free-msg
	fi
done

# The server pings before every echo and sends long ones in fragments
# of 1000 bytes, a ping between each two.
if start frag --ping --fragment 1000; then
	drive frag $A -n 400 -w 8 -s 1,500,1000,1001,2999,8819,8820 \
	    ws://relay.test:$port/relay
	echo_ok frag 400 "fragments joined, pings between them"
	if wait_until 5 grep -q '^wsserver: pings' "$tmp/frag.srverr" &&
	    grep -q '^wsserver: pings \([0-9]*\) pongs \1 answered right$' \
	    "$tmp/frag.srverr"; then
		ok "ws: every ping answered by its pong ($(sed -n \
		    's/^wsserver: pings \([0-9]*\).*/\1/p' "$tmp/frag.srverr"))"
	else
		notok "ws: every ping answered by its pong"
		sed 's/^/# /' "$tmp/frag.srverr"
	fi
fi

# Bad frames from the server: the connection closes with a reason, and
# the server gets our Close with the code for it.
big=$("$PYTHON" -c 'print("827e2328" + "00" * 9000)')
for t in "rsv c28101" "masked 82810000000041" "opcode 83024142" \
    "ping126 897e007e$("$PYTHON" -c 'print("00" * 126)')" \
    "fragping 090141" "cont 800141" "big $big"; do
	rn=${t%% *}
	if start raw-$rn --raw-after 2 --raw "${t#* }"; then
		drive raw-$rn $A -n 10 -w 1 ws://relay.test:$port/relay
		code=1002
		[ "$rn" = big ] && code=1009
		if wait_until 5 grep -q "Close: $code\$" "$tmp/raw-$rn.srverr"
		then
			closed_ok raw-$rn 'protocol error|larger than' \
			    "a bad frame from the server ($rn), Close $code"
		else
			notok "ws: a bad frame from the server ($rn), Close $code"
			show raw-$rn
			sed 's/^/# /' "$tmp/raw-$rn.srverr"
		fi
	fi
done

# Closes by the server.
if start close --close-after 5; then
	drive close $A -n 20 -w 1 ws://relay.test:$port/relay
	closed_ok close '^closed by the server \(1000\)$' "a Close from the server"
	check "ws: close: 5 echoed before it" [ "$(val close echoed)" = 5 ]
fi
if start abort --abort-after 5; then
	drive abort $A -n 20 -w 1 ws://relay.test:$port/relay
	closed_ok abort 'closed by the server|receive' \
	    "the server drops TCP without a Close"
fi
if start text --text-after 2; then
	drive text $A -n 20 -w 1 ws://relay.test:$port/relay
	closed_ok text '^a text message from the server$' \
	    "a text message closes the connection"
	check "ws: text: the server gets our Close 1003" \
	    wait_until 5 grep -q 'Close: 1003$' "$tmp/text.srverr"
fi

# Bad arguments: no connection, NULL at once.
timeout 10 "$SAN" -d 1000 ws://relay.test:1/relay >"$tmp/bad.out" 2>&1
check "ws: refused at once: a host name without addresses" \
    grep -q '^refused$' "$tmp/bad.out"
for u in "http://127.0.0.1:1/relay" "wss://127.0.0.1:1/relay?x=1" \
    "ws://user@127.0.0.1:1/relay"; do
	timeout 10 "$SAN" $A -d 1000 "$u" >"$tmp/bad.out" 2>&1
	check "ws: refused at once: $u" grep -q '^refused$' "$tmp/bad.out"
done
timeout 10 "$SAN" -a 127.0.0.1 -a 10.0.0.1 -d 1000 \
    ws://127.0.0.1:1/relay >"$tmp/lit.out" 2>&1
closed_ok lit "Couldn't connect|refused" \
    "an address literal in the URL is what is used"

# Connection refused: a port that was free a moment ago.
free=$("$PYTHON" -c 'import socket; s = socket.socket();
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
drive refused $A -d 5000 ws://relay.test:$free/relay
closed_ok refused "Couldn't connect|refused" "connection refused"
closed_in refused 0 1000

# Two addresses, the first refuses: the second is used.
if start second; then
	drive second -a 127.0.0.2 -a 127.0.0.1 -n 3 -d 5000 \
	    "ws://relay.test:$port/relay"
	if grep -q "^open .*peer=127.0.0.1:$port\$" "$tmp/second.out"; then
		ok "ws: the first address refuses, the second is used"
	else
		notok "ws: the first address refuses, the second is used"
		show second
	fi
fi

# IPv6, when the host has it.
if "$PYTHON" -c 'import socket
socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null &&
    start v6 --listen ::1; then
	drive v6 -a ::1 -n 10 "ws://relay.test:$port/relay"
	echo_ok v6 10 "IPv6"
	drive v6lit -n 10 "ws://[::1]:$port/relay"
	echo_ok v6lit 10 "an IPv6 literal in the URL, no address list"
else
	skip "ws: IPv6: no ::1 here"
fi

# Deadlines: TCP never completes; TCP (and TLS) done, no upgrade.  And
# frees in those states, from outside any callback.
if start blackhole --blackhole; then
	drive blackhole $A -d 1000 ws://relay.test:$port/relay
	closed_ok blackhole 'timed out|Timeout' "a SYN never answered: deadline"
	closed_in blackhole 900 2500
	drive free-connecting $A -d 5000 -T 300 ws://relay.test:$port/relay
	check "ws: freed while connecting" \
	    grep -q '^timeout$' "$tmp/free-connecting.out"
fi
if start stall --stall; then
	drive stall $A -d 1000 ws://relay.test:$port/relay
	closed_ok stall '^timed out waiting for the upgrade$' \
	    "no answer to the upgrade: deadline"
	closed_in stall 900 2500
	drive free-upgrading $A -d 5000 -T 300 ws://relay.test:$port/relay
	check "ws: freed while waiting for the upgrade" \
	    grep -q '^timeout$' "$tmp/free-upgrading.out"
fi
if start stalltls --stall --tls-cert "$tmp/cert.pem" \
    --tls-key "$tmp/key.pem"; then
	drive stalltls $CA $A -d 1000 wss://relay.test:$port/relay
	closed_ok stalltls '^timed out waiting for the upgrade$' \
	    "TLS up, no answer to the upgrade: deadline"
	closed_in stalltls 900 2500
fi

# Certificates and handshakes that must not pass.
if start tls2 --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"; then
	drive badname $CA $A wss://other.test:$port/relay
	closed_ok badname 'SSL: no alternative certificate subject name' \
	    "a certificate for another host name"
	drive badca $A wss://relay.test:$port/relay
	closed_ok badca 'SSL certificate problem' \
	    "a certificate from an unknown CA"
	drive plain2tls $A ws://relay.test:$port/relay
	closed_ok plain2tls 'closed by the server|upgrade refused|receive' \
	    "plain WebSocket to a TLS server"
fi
if start path --path /other; then
	drive path $A ws://relay.test:$port/relay
	closed_ok path '^upgrade refused: status is not 101.*404' \
	    "a 404 to the upgrade"
fi

# libcurl must start no thread (the ice process's seccomp filter would
# kill it) and open no file once connected (it is in a chroot then).
# In a SANITIZE=1 build LeakSanitizer's check at exit clones a tracer:
# it is off here (the checks above ran with it).
if command -v strace >/dev/null 2>&1 && start strace \
    --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"; then
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	    timeout 60 strace -f -qq -o "$tmp/strace" \
	    -e trace=clone,clone3,fork,vfork,connect,open,openat \
	    "$DRIVE" $CA $A -n 20 wss://relay.test:$port/relay \
	    >"$tmp/strace.out" 2>&1
	c=$(grep -c 'connect(' "$tmp/strace")
	t=$(grep -c -E 'clone|fork' "$tmp/strace")
	f=$(awk '/connect\(/ { c = 1 } c && /open/' "$tmp/strace" | wc -l)
	if [ "$c" -gt 0 ] && [ "$t" -eq 0 ] && [ "$f" -eq 0 ]; then
		ok "ws: no thread, no file opened once connected ($c connects)"
	else
		notok "ws: no thread ($t clones), no file once connected" \
		    "($f opens)"
	fi
else
	skip "ws: thread and file checks: strace is not installed"
fi

# Throughput of 1400-byte messages echoed over loopback, 64 in flight
# (the Python echo server is the slower end).
for mode in plain tls; do
	if [ $mode = plain ]; then
		start perf$mode || continue
		url=ws://relay.test:$port/relay
	else
		start perf$mode --tls-cert "$tmp/cert.pem" \
		    --tls-key "$tmp/key.pem" || continue
		url=wss://relay.test:$port/relay
	fi
	/usr/bin/time -f 'cpu %U %S' -o "$tmp/perf$mode.time" \
	    timeout 120 "$DRIVE" $CA $A -n 20000 -w 64 -s 1400 "$url" \
	    >"$tmp/perf$mode.out" 2>&1 || true
	if [ "$(val perf$mode echoed)" = 20000 ]; then
		ok "ws: $mode throughput: $(val perf$mode msgs_per_s) msgs/s," \
		    "$(val perf$mode mb_per_s) MB/s each way;" \
		    "client $(cat "$tmp/perf$mode.time") s"
	else
		notok "ws: $mode throughput run"
		show perf$mode
	fi
done

# The servers check every frame and handshake of ours; only the 404
# was meant to be refused.
bad=$(cd "$tmp" && grep -l -E '^wsserver: (\(|handshake|handler)' *.srverr |
    grep -v '^path\.srverr$')
if [ -z "$bad" ]; then
	ok "ws: every handshake and frame of ours passed the servers' checks"
else
	notok "ws: the servers refused some of ours: $bad"
	for f in $bad; do sed 's/^/# /' "$tmp/$f" | head -5; done
fi

finish
