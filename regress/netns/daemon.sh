#!/bin/bash
# The daemon in a network namespace: every child confined (user, chroot,
# no_new_privs, seccomp), named in ps, answering netbirdctl; a clean stop;
# and a forbidden system call in a child kills that child and takes the
# daemon down cleanly.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd ip gdb

daemon_setup nbdd

if getent passwd _netbird >/dev/null; then user=_netbird; else user=nobody; fi
uid=$(id -u "$user")
roles="mgmt signal ice metrics control dns"

check_child() {
	role=$1 c=$(child_pid "$1")
	if [ -z "$c" ]; then
		notok "$role: running as 'netbirdd: $role'"
		return
	fi
	ok "$role: running as 'netbirdd: $role' (pid $c)"
	st=/proc/$c/status
	check "$role: real, effective, saved uid $uid ($user)" \
	    grep -Eq "^Uid:[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid$" "$st"
	check "$role: no supplementary groups but its own" \
	    sh -c "grep -Eq '^Groups:[[:space:]]*($(id -g "$user"))?[[:space:]]*$' $st"
	check "$role: NoNewPrivs 1" grep -Eq '^NoNewPrivs:[[:space:]]+1$' "$st"
	check "$role: Seccomp 2 (filter)" grep -Eq '^Seccomp:[[:space:]]+2$' "$st"
	root=$(readlink "/proc/$c/root")
	if [ "$role" = dns ]; then
		check "dns: not chrooted (reads resolv.conf)" test "$root" = /
	else
		check "$role: chrooted to /run/netbirdd/empty" \
		    test "$root" = /run/netbirdd/empty
	fi
	check "$role: no capabilities" \
	    grep -Eq '^CapEff:[[:space:]]+0+$' "$st"
}

daemon_start || { notok "daemon starts"; cat "$tmp/log"; exit 1; }
ok "daemon starts and binds its control socket"
check "parent shows as 'netbirdd: parent'" \
    test "$(ps -o args= -p "$pid" | sed "s/ *$//")" = "netbirdd: parent"
check "control socket is mode 0600, owned by root" \
    test "$(stat -c '%a %u' "$sock")" = "600 0"
check "private key created with mode 0600" \
    test "$(stat -c %a "$tmp/state/private.key")" = 600
for r in $roles; do check_child "$r"; done

pub=$(wg pubkey <"$tmp/state/private.key" 2>/dev/null)
check "interface $ifname is up" \
    sh -c "ip -n $ns link show $ifname | grep -q ',UP'"
check "wg show: our public key and port 51820" sh -c \
    "test \"\$(ip netns exec $ns wg show $ifname public-key)\" = '$pub' &&
    test \"\$(ip netns exec $ns wg show $ifname listen-port)\" = 51820"
wggo=$(pgrep -f "wireguard-go -f $ifname")
status=$(ctl show status 2>&1)
check "netbirdctl show status succeeds" test $? -eq 0
check "show status names our public key" \
    grep -qF -- "$pub" <<<"$status"
check "netbirdctl show peers succeeds" \
    ctl show peers
check "netbirdctl -j show status is JSON with our key" sh -c \
    "timeout 10 '$NETBIRDCTL' -s '$sock' -j show status | $PYTHON -c \
    'import json,sys; assert json.load(sys.stdin)[\"publicKey\"] == \"$pub\"'"

kids=$(ps --ppid "$pid" -o pid=)
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "SIGTERM: daemon exits with status 0" test "$rc" -eq 0
check "SIGTERM: control socket removed" test ! -e "$sock"
gone() { for k in $kids; do kill -0 "$k" 2>/dev/null && return 1; done; return 0; }
check "SIGTERM: no child left behind" gone
check "SIGTERM: log says terminating" grep -q 'parent: terminating' "$tmp/log"
check "SIGTERM: interface removed" if_gone
check "SIGTERM: wireguard-go stopped" sh -c "! kill -0 $wggo 2>/dev/null"

# A forbidden system call (fork) made inside the mgmt child.
daemon_start || { notok "daemon restarts"; exit 1; }
# The child is confined when its filter is on, the last setup step.
confined() {
	victim=$(child_pid mgmt)
	[ -n "$victim" ] &&
	    grep -q '^Seccomp:[[:space:]]*2' "/proc/$victim/status" 2>/dev/null
}
check "forbidden syscall: mgmt child confined" wait_until 10 confined
kids=$(ps --ppid "$pid" -o pid=)
timeout 30 gdb -p "$victim" -batch -nx \
    -ex 'call (long)syscall(57)' >"$tmp/gdb" 2>&1
wait_until 10 sh -c "! kill -0 $pid"
if kill -0 "$pid" 2>/dev/null; then
	notok "forbidden syscall: daemon shut down"
	sed 's/^/# gdb: /' "$tmp/gdb"
	ps --ppid "$pid" -o pid=,stat=,args= | sed 's/^/# child: /'
	kill "$pid"
	wait "$pid"
	pid=
else
	wait "$pid"
	rc=$?
	pid=
	ok "forbidden syscall: daemon shut down"
	check "forbidden syscall: exit status 1" test "$rc" -eq 1
fi
check "forbidden syscall: log names the child and SIGSYS" \
    grep -q 'lost child: mgmt terminated by signal SIGSYS' "$tmp/log"
check "forbidden syscall: control socket removed" test ! -e "$sock"
check "forbidden syscall: interface removed" if_gone
check "forbidden syscall: no child left behind" wait_until 10 gone
grep -E 'lost child|fatal' "$tmp/log"

# The parent dies: every child notices its socket closed and exits.
daemon_start || { notok "daemon restarts"; exit 1; }
kids=$(ps --ppid "$pid" -o pid=)
kill -KILL "$pid"
wait "$pid" 2>/dev/null
pid=
check "parent killed: every child exits" wait_until 10 gone
check "parent killed: the interface goes with wireguard-go" \
    wait_until 10 if_gone
rm -f "$sock"
finish
