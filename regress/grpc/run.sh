#!/bin/sh
# netbirdd/grpc.c against the test management server
# (regress/fixtures/mgmt_server.py): once over h2c, once over TLS with a
# certificate made here, once with the wrong CA.  grpc_drive prints the
# checks; this script adds the strace check that libcurl never starts a
# thread (the daemon's seccomp filter would kill it).

cd "$(dirname "$0")" || exit 1
. ../lib.sh

SERVER=$TOP/regress/fixtures/mgmt_server.py
DRIVE=./grpc_drive
SETUP_KEY=A2C8E62B-38F5-4553-B31E-DD66C696CEBB

need_cmd openssl protoc
if ! "$PYTHON" -c 'import grpc, nacl.public, google.protobuf' 2>/dev/null
then
	skip "grpc: python3-grpcio, python3-nacl or python3-protobuf missing"
	exit 0
fi
if [ ! -x "$DRIVE" ]; then
	notok "grpc: $DRIVE is not built"
	finish
fi

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

# start_server NAME ARGS...: sets $port and $raw from its "ready" line.
start_server() {
	name=$1; shift
	"$PYTHON" "$SERVER" --control "$tmp/$name.sock" \
	    --setup-key "$SETUP_KEY" --stun stun:127.0.0.1:3478 \
	    --turn turn:127.0.0.1:3478 --relay rel://127.0.0.1:33080 \
	    "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pids="$pids $!"
	if ! wait_until 30 grep -q '^ready' "$tmp/$name.out"; then
		notok "grpc: $name server did not start"
		sed 's/^/# /' "$tmp/$name.err"
		return 1
	fi
	port=$(sed -n 's/^ready port=\([0-9]*\).*/\1/p' "$tmp/$name.out")
	raw=$(sed -n 's/^ready .*raw=\([0-9]*\).*/\1/p' "$tmp/$name.out")
}

# LeakSanitizer cannot run under ptrace: no strace for a SANITIZE=1 build.
STRACE=strace
if ! command -v strace >/dev/null 2>&1; then
	STRACE=
	why="strace is not installed"
elif grep -q __asan_init "$DRIVE"; then
	STRACE=
	why="AddressSanitizer build"
fi

# run_drive TRACEFILE ARGS...: grpc_drive under strace when there is one.
run_drive() {
	trace=$1; shift
	if [ -n "$STRACE" ]; then
		timeout 120 strace -f -qq -o "$trace" \
		    -e trace=clone,clone3,fork,vfork,connect,open,openat \
		    "$DRIVE" "$@"
	else
		timeout 120 "$DRIVE" "$@"
	fi
	[ $? -eq 0 ] || FAILED=$((FAILED + 1))
}

check_threads() {
	if [ -z "$STRACE" ]; then
		skip "$1: no thread created: $why"
		return
	fi
	c=$(grep -c 'connect(' "$2")
	t=$(grep -c -E 'clone|fork' "$2")
	if [ "$c" -gt 0 ] && [ "$t" -eq 0 ]; then
		ok "$1: no thread created (strace: $c connects, no clone)"
	else
		notok "$1: no thread created (strace: $c connects, $t clones)"
	fi
}

# After the first connection nothing may be opened (the daemon is then
# in its chroot): the CA bundle is in memory, names come from us.  The
# driver itself reads /proc/self/task.
check_files() {
	[ -z "$STRACE" ] && return
	f=$(awk '/connect\(/ { c = 1 } c && /open/ && !/\/proc\/self\/task/' \
	    "$2" | wc -l)
	if [ "$f" -eq 0 ]; then
		ok "$1: no file opened once connected"
	else
		notok "$1: no file opened once connected ($f opens)"
		awk '/connect\(/ { c = 1 } c && /open/' "$2" | sed 's/^/# /' |
		    head -5
	fi
}

# h2c: the host name goes to libcurl through CURLOPT_RESOLVE only.
if start_server plain --raw-port 0; then
	run_drive "$tmp/plain.trace" -l "h2c: " -c "$tmp/plain.sock" \
	    -k "$(echo $SETUP_KEY | tr A-Z a-z)" -u "http://mgmt.test:$port" \
	    -r "mgmt.test:$port:127.0.0.1" -R "http://127.0.0.1:$raw" -x
	check_threads h2c "$tmp/plain.trace"
	check_files h2c "$tmp/plain.trace"
fi

# TLS, a certificate for mgmt.test made here, server PINGs every second.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -nodes -days 1 -subj /CN=mgmt.test \
    -addext subjectAltName=DNS:mgmt.test -keyout "$tmp/key.pem" \
    -out "$tmp/cert.pem" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -nodes -days 1 -subj /CN=other -keyout "$tmp/other.key" \
    -out "$tmp/other.pem" 2>/dev/null
if start_server tls --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" \
    --keepalive-ms 1000; then
	run_drive "$tmp/tls.trace" -l "tls: " -c "$tmp/tls.sock" \
	    -k "$SETUP_KEY" -u "https://mgmt.test:$port" \
	    -r "mgmt.test:$port:127.0.0.1" -a "$tmp/cert.pem" -K -x
	check_threads tls "$tmp/tls.trace"
	check_files tls "$tmp/tls.trace"
fi

if start_server badca --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"
then
	run_drive "$tmp/badca.trace" -l "tls: " -c "$tmp/badca.sock" \
	    -k "$SETUP_KEY" -u "https://mgmt.test:$port" \
	    -r "mgmt.test:$port:127.0.0.1" -a "$tmp/other.pem" -B
fi

finish
