#!/bin/sh
# netbirdd.conf(5) tests: the parser through "netbirdd -n -v -f FILE".
#
#   run.sh [update] [path/to/netbirdd]
#
# N.conf      must parse; its output (the -nv config, then "configuration OK")
#             must equal N.ok; that output must parse again to the same
#             output (round trip).  N.args, if present, adds arguments
#             (e.g. -D); @DIR@ in it stands for the work directory.
# bad-N.conf  must fail with exit status 1 and exactly the lines of
#             bad-N.err, with or without -n.
# Then cases built here: hostile bytes, sizes, file modes and owners,
# setup-key files, -D mistakes, the example configuration.
# "update" rewrites N.ok and bad-N.err from what the binary prints now.
#
# Cases run on a private copy (mode 0600, owned by whoever runs this), as
# the parser refuses files others may write, and setup keys others may read.

here=$(cd "$(dirname "$0")" && pwd) || exit 1
. "$here/../lib.sh"

update=0
if [ "${1:-}" = update ]; then
	update=1
	shift
fi
bin=${1:-$NETBIRDD}
case $bin in
/*) ;;
*) bin=$(pwd)/$bin ;;
esac
if [ ! -x "$bin" ]; then
	notok "config: no netbirdd binary at $bin"
	finish
fi

work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
cd "$here" || exit 1
cp ./*.conf ./*.args "$work" && cp -R inc "$work" || exit 1
mkdir "$work/keys"
find "$work" -type f -exec chmod 600 {} + && chmod -R go-rwx "$work"

KEY=A2C8E62B-38F5-4553-B31E-DD66C696CEBB
printf '  %s \r\nsecond line\n' "$KEY" > "$work/keys/good.key"
chmod 600 "$work/keys/good.key"

out=$work/out

# nbd FILE [ARGS...]: run netbirdd in the work directory, output in $out
# with the work directory shown as @DIR@, exit status in $status.
nbd() {
	nbd_file=$1; shift
	(cd "$work" && "$bin" "$@" -f "$nbd_file") >"$out.raw" 2>&1
	status=$?
	sed "s|$work|@DIR@|g" "$out.raw" >"$out"
}

# same WHAT EXPECTED-FILE: $out equals the file, or show the difference.
same() {
	if cmp -s "$2" "$out"; then
		ok "$1"
	else
		diff -u "$2" "$out" | sed 's/^/# /'
		notok "$1"
	fi
}

# expect WHAT STATUS LINE [FILE] [ARGS...]: exit STATUS, output exactly LINE.
expect() {
	exp_what=$1 exp_status=$2 exp_line=$3; shift 3
	exp_file=${1:-case.conf}
	[ $# -gt 0 ] && shift
	nbd "$exp_file" -n "$@"
	printf '%s\n' "$exp_line" >"$work/expected"
	if [ "$status" -eq "$exp_status" ] && cmp -s "$work/expected" "$out"
	then
		ok "$exp_what"
	else
		echo "# status $status, output:"
		sed 's/^/# /' "$out"
		notok "$exp_what"
	fi
}

# mkcase CONTENT-COMMAND...: its output becomes $work/case.conf, mode 0600.
mkcase() {
	rm -f "$work/case.conf"
	"$@" >"$work/case.conf"
	chmod 600 "$work/case.conf"
}

# Good configurations and the round trip.
for f in $(ls [0-9]*.conf | sort -n); do
	n=${f%.conf}
	args=
	[ -f "$n.args" ] && args=$(sed "s|@DIR@|$work|g" "$n.args")
	nbd "$f" -n -v $args
	if [ "$update" -eq 1 ]; then
		cp "$out" "$n.ok"
		echo "# updated $n.ok"
		continue
	fi
	if [ "$status" -ne 0 ]; then
		sed 's/^/# /' "$out"
		notok "$f parses (status $status)"
		continue
	fi
	same "$f prints $n.ok" "$n.ok"
	if grep -qi "${KEY#*-*-*-*-}" "$out"; then
		notok "$f: the setup key must never be printed"
	fi
	grep -v '^configuration OK$' "$out.raw" >"$work/rt.conf"
	chmod 600 "$work/rt.conf"
	sed 's/^# setup-key hidden$/# setup-key not set/' "$out" \
	    >"$work/rt.expected"
	nbd rt.conf -n -v
	same "$f round trip" "$work/rt.expected"
done

# Bad configurations: one line per bad line, exit 1, also without -n.
for f in $(ls bad-*.conf | sed 's/^bad-//' | sort -n | sed 's/^/bad-/'); do
	n=${f%.conf}
	nbd "$f" -n
	if [ "$update" -eq 1 ]; then
		cp "$out" "$n.err"
		echo "# updated $n.err"
		continue
	fi
	if [ "$status" -ne 1 ]; then
		sed 's/^/# /' "$out"
		notok "$f fails with status 1 (status $status)"
		continue
	fi
	same "$f says $n.err" "$n.err"
	nbd "$f" -d -s "$work/ctl.sock"
	if [ "$status" -eq 1 ] && cmp -s "$n.err" "$out"; then
		ok "$f: the daemon exits 1 without starting"
	else
		sed 's/^/# /' "$out"
		notok "$f: the daemon exits 1 without starting (status $status)"
	fi
done
[ "$update" -eq 1 ] && exit 0

# Hostile input.
long() { head -c "$1" /dev/zero | tr '\0' "$2"; }
mkcase long 100000 a
expect "a 100000-byte word" 1 \
    "netbirdd: case.conf:1: word longer than 8191 bytes"
mkcase sh -c 'printf "state-dir \""; head -c 100000 /dev/zero | tr "\0" b'
expect "a 100000-byte string, unterminated, no newline" 1 \
    "netbirdd: case.conf:1: string longer than 8191 bytes"
mkcase sh -c 'printf "state-dir \"/"; head -c 5000 /dev/zero | tr "\0" c;
    printf "\"\n"'
expect "a 5000-byte state-dir" 1 \
    "netbirdd: case.conf:1: state-dir path longer than 4095 bytes"
mkcase printf 'interface "wt\0000"\n'
expect "a NUL byte in a quoted string" 1 \
    "netbirdd: case.conf:1: invalid character 0x00 in quoted string"
mkcase printf 'port 1\000\n'
expect "a NUL byte after a number" 1 \
    "netbirdd: case.conf:1: invalid character 0x00"
mkcase printf 'port 1\n\377\376 junk\n'
expect "bytes that are not UTF-8" 1 \
    "netbirdd: case.conf:2: invalid character 0xff"
mkcase printf 'interface "\303\251t\377"\n'
expect "non-ASCII in a quoted string is quoted back escaped" 1 \
    'netbirdd: case.conf:1: invalid interface name "\xc3\xa9t\xff"'
mkcase printf '# comment \000\377 ignored\nport 2\n'
expect "anything goes in a comment" 0 "configuration OK"
mkcase printf 'port 3\r\nmtu 1400\r\n'
expect "CRLF line ends" 0 "configuration OK"
mkcase printf 'mtu 1400'
expect "no newline at the end" 0 "configuration OK"
mkcase printf 'interface "wt0'
expect "a quote still open at the end of the file" 1 \
    "netbirdd: case.conf:1: unterminated quoted string"
mkcase printf 'port 123456789012345678901234567890123456789012345\n'
expect "a 45-digit number" 1 \
    "netbirdd: case.conf:1: number 12345678901234567890123456789012... is too large"
mkcase printf 'port -9223372036854775809\n'
expect "a number below the 64-bit range" 1 \
    "netbirdd: case.conf:1: number -9223372036854775809 is too small"
mkcase printf 'port 9223372036854775807\n'
expect "the largest 64-bit number" 1 \
    "netbirdd: case.conf:1: invalid port 9223372036854775807"
mkcase sh -c 'printf "management \"https://"; head -c 250 /dev/zero |
    tr "\0" h; printf "\"\n"'
expect "a 250-byte label in a host name" 1 \
    "netbirdd: case.conf:1: invalid management URL: bad host name"
mkcase sh -c 'printf "management \"https://h"; i=0; while [ $i -lt 4 ]; do
    printf .; head -c 60 /dev/zero | tr "\0" h; i=$((i+1)); done; printf "\"\n"'
expect "a 245-byte host name, 257 bytes with its port" 1 \
    "netbirdd: case.conf:1: invalid management URL: longer than 255 bytes"
mkcase sh -c 'i=0; while [ $i -le 1024 ]; do echo "m$i = $i"; i=$((i+1)); done'
expect "1025 macros" 1 "netbirdd: case.conf:1025: more than 1024 macros"
mkcase printf 'a = "b"\nb = "$a"\ninterface $b\n'
expect "a macro whose value names a macro" 1 \
    "netbirdd: case.conf:3: a macro value may not use another macro"
mkcase printf 'v = "x"\n'
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do printf 'v = "$v"\n'; done \
    >>"$work/case.conf"
printf 'interface $v\n' >>"$work/case.conf"
expect "a macro set to its own name, again and again" 1 \
    "netbirdd: case.conf:16: a macro value may not use another macro"

# Includes: nesting depth, loops, what may be included.
mkdir "$work/deep"
i=1
while [ $i -le 20 ]; do
	printf 'include "%d.conf"\n' $((i + 1)) >"$work/deep/$i.conf"
	i=$((i + 1))
done
echo 'port 21' >"$work/deep/21.conf"
chmod 600 "$work"/deep/*
expect "includes nested 21 deep" 1 \
    'netbirdd: deep/16.conf:1: include "deep/17.conf": more than 16 nested files' \
    deep/1.conf
echo 'port 16' >"$work/deep/16.conf"
nbd deep/1.conf -n -v
if [ "$status" -eq 0 ] && grep -qx 'port 16' "$out"; then
	ok "includes nested 16 deep"
else
	notok "includes nested 16 deep"
fi
mkfifo "$work/fifo"
mkcase printf 'include "fifo"\n'
expect "including a FIFO neither blocks nor works" 1 \
    'netbirdd: case.conf:1: include "fifo": not a regular file'
expect "a missing file" 1 \
    "netbirdd: missing.conf: No such file or directory" missing.conf
expect "a directory" 1 "netbirdd: keys: is a directory" keys
nbd /dev/stdin -n -v <<EOF
port 4
EOF
if [ "$status" -eq 0 ] && grep -qx 'port 4' "$out"; then
	ok "-f /dev/stdin"
else
	notok "-f /dev/stdin"
fi

# Macros from the command line.
mkcase printf 'port $p\n'
for d in port=1 1a-b=x noequals =x; do
	nbd case.conf -n -D "$d"
	if [ "$status" -ne 0 ] && ! grep -q 'configuration OK' "$out"; then
		ok "-D $d is refused"
	else
		notok "-D $d is refused"
	fi
done
nbd case.conf -n -D "p=1
mtu 1400"
if [ "$status" -ne 0 ] && ! grep -q 'configuration OK' "$out"; then
	ok "-D with a newline in the value is refused"
else
	notok "-D with a newline in the value is refused"
fi
nbd case.conf -n -v -D p=4321 -D p=4322
if [ "$status" -eq 0 ] && grep -qx 'port 4322' "$out"; then
	ok "-D given twice: the last wins"
else
	notok "-D given twice: the last wins"
fi

# Setup-key files.
keycase() {
	rm -f "$work/keys/k"
	printf '%s' "$1" >"$work/keys/k"
	chmod "${2:-600}" "$work/keys/k"
	mkcase printf 'setup-key file "%s"\n' "$work/keys/k"
}
keycase "$KEY" 644
expect "a setup-key file readable by others" 1 \
    "netbirdd: case.conf:1: setup-key file @DIR@/keys/k: readable by group or others"
keycase "$KEY" 640
expect "a setup-key file readable by its group" 1 \
    "netbirdd: case.conf:1: setup-key file @DIR@/keys/k: readable by group or others"
keycase ""
expect "an empty setup-key file" 1 \
    "netbirdd: case.conf:1: setup-key file @DIR@/keys/k: empty first line"
keycase "
$KEY"
expect "a setup-key file whose key is on line 2" 1 \
    "netbirdd: case.conf:1: setup-key file @DIR@/keys/k: empty first line"
keycase "s3cret-not-a-uuid"
expect "a setup-key file without a UUID (the key is not shown)" 1 \
    "netbirdd: case.conf:1: setup-key file @DIR@/keys/k: the first line is not a UUID"
keycase "$(long 300 A)"
expect "a setup-key file with a 300-byte first line" 1 \
    "netbirdd: case.conf:1: setup-key file @DIR@/keys/k: first line too long"
printf '%s\000\n' "$KEY" >"$work/keys/k"
expect "a setup-key file with a NUL byte" 1 \
    "netbirdd: case.conf:1: setup-key file @DIR@/keys/k: NUL byte in the first line"
keycase "$KEY"
nbd case.conf -n -v
if [ "$status" -eq 0 ] && grep -qx "setup-key file \"@DIR@/keys/k\"" "$out"
then
	ok "a setup-key file without a newline"
else
	notok "a setup-key file without a newline"
fi
mkcase printf 'setup-key file "%s"\n' "$work/fifo"
expect "a setup-key file that is a FIFO" 1 \
    "netbirdd: case.conf:1: setup-key file @DIR@/fifo: not a regular file"
mkcase printf 'setup-key "%s"\n' "$KEY"
chmod 644 "$work/case.conf"
expect "a setup key inside a file readable by others" 1 \
    "netbirdd: case.conf:1: setup-key in a file readable by group or others; chmod 600 it or use setup-key file"

# Owners and modes: only enforced when running as root.
if [ "$(id -u)" -eq 0 ]; then
	mkcase printf 'port 1\n'
	chmod 620 "$work/case.conf"
	expect "a configuration writable by its group" 1 \
	    "netbirdd: case.conf: writable by group or others"
	chmod 602 "$work/case.conf"
	expect "a configuration writable by others" 1 \
	    "netbirdd: case.conf: writable by group or others"
	chmod 644 "$work/case.conf"
	expect "a configuration readable by others" 0 "configuration OK"
	chown nobody "$work/case.conf"
	expect "a configuration not owned by root" 1 \
	    "netbirdd: case.conf: not owned by root"
	printf 'port 1\n' >"$work/inc.conf"
	chmod 666 "$work/inc.conf"
	mkcase printf 'include "inc.conf"\n'
	expect "including a file others may write" 1 \
	    'netbirdd: case.conf:1: include "inc.conf": writable by group or others'
	keycase "$KEY"
	chown nobody "$work/keys/k"
	expect "a setup-key file not owned by root" 1 \
	    "netbirdd: case.conf:1: setup-key file @DIR@/keys/k: not owned by root"
else
	skip "file owners and modes: not running as root"
fi

# The example configuration.
cp "$TOP/netbirdd/netbirdd.conf" "$work/example.conf" && chmod 600 "$work/example.conf"
nbd example.conf -n -v
if [ "$status" -eq 0 ]; then
	ok "netbirdd/netbirdd.conf parses"
	grep -v '^configuration OK$' "$out.raw" >"$work/rt.conf"
	cp "$out" "$work/rt.expected"
	nbd rt.conf -n -v
	same "netbirdd/netbirdd.conf round trip" "$work/rt.expected"
else
	sed 's/^/# /' "$out"
	notok "netbirdd/netbirdd.conf parses"
fi

finish
