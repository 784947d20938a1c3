#!/bin/bash
# The sandbox of the running children of a live daemon.  Into each child
# (mgmt signal ice metrics control dns) gdb injects, one at a time, what
# that child must never do: open a file outside its chroot (the private
# key, the configuration, /etc/passwd), create a file in the state
# directory, exec, ptrace its parent, create a raw or a netlink socket,
# and change the WireGuard interface through wireguard-go's UAPI socket or
# with SIOCSIFFLAGS (netlink is the raw/netlink socket act).  The UAPI
# connect and the ioctl are tried twice: on a socket the act makes, and on
# an AF_UNIX socket the child already holds (its imsg socket), as the
# filter must stop them even without a new socket.  Every act must fail: either the seccomp filter kills
# the child (SIGSYS, and the daemon stops cleanly: log line, exit status
# 1, interface removed) or the call returns -1 with an errno (and the
# child, the daemon and the interface stay as they were).  Which of the
# two depends on the act and on the build (SANITIZE=1 answers read-only
# opens with ENOENT instead of killing); both are accepted and printed.
#
# One exception, by design: the dns child is not chrooted (glibc reads
# /etc/resolv.conf, /etc/hosts, ...) and may open files read-only, so it
# may read a world-readable file such as /etc/passwd.  It must still fail
# to read the private key and the configuration (root's, mode 0700/0600,
# and dns runs unprivileged) and fail to create any file.
#
# The system call numbers are x86_64's.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmd ip gdb wg sha256sum
if [ "$(uname -m)" != x86_64 ]; then
	skip "$(basename "$0"): system call numbers are for x86_64"
	exit 0
fi

start=$(date +%s)
daemon_setup nbsl
# As on a real host, where only the state directory (0700) and the
# configuration (0600) stand between an unprivileged user and their
# contents: the temporary directory itself stays open.
chmod 755 "$tmp"
uapi=/var/run/wireguard/$ifname.sock
key=$tmp/state/private.key
probe=$tmp/state/sandbox-probe
roles="mgmt signal ice metrics control dns"
acts="read_passwd read_key read_conf create_file exec ptrace raw_socket
    netlink_socket uapi_socket uapi_held ifdown_inet ifdown_held"

# What the interface looks like: its wg line (keys, port, fwmark), its
# flags and MTU.  Never printed: the wg line holds the private key.
iface_state() {
	{
		ip netns exec "$ns" wg show "$ifname" dump | head -1
		ip -n "$ns" -o link show "$ifname" |
		    sed 's/^[0-9]*: //; s/ qdisc.*//'
	} 2>/dev/null | sha256sum
}

# Start the daemon unless it runs; on the first start remember the
# interface and the key, on a later one check they came back the same.
ensure_daemon() {
	[ -n "$pid" ] && return 0
	if ! daemon_start; then
		notok "daemon starts"
		cat "$tmp/log"
		finish
	fi
	starts=$((starts + 1))
	if [ -z "$base" ]; then
		base=$(iface_state)
		keysum=$(sha256sum <"$key")
		if ! ip -n "$ns" link show "$ifname" | grep -q ',UP'; then
			notok "interface $ifname is up"
		fi
	elif [ "$(iface_state)" != "$base" ]; then
		notok "restart $starts: interface came back with another key, port or flags"
	fi
}

# The first socket the child already holds that is an AF_UNIX socket
# (every child has its imsg socketpairs; 3 if none were found, which the
# outcome then names).
held_unix_fd() {
	local c=$1 f ino
	for f in /proc/"$c"/fd/*; do
		ino=$(readlink "$f" | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
		[ -n "$ino" ] || continue
		if awk -v i="$ino" 'NR > 1 && $7 == i { found = 1 }
		    END { exit !found }' /proc/"$c"/net/unix; then
			basename "$f"
			return
		fi
	done
}

# sc NAME NUMBER, ARGS: a raw system call in gdb's script, framed so that
# the shell knows which call never returned.  $r and $e hold its result.
sc() {
	local name=$1; shift
	printf 'printf "CALL %s\\n"\n' "$name"
	printf 'set $r = (long)syscall(%s)\n' "$*"
	printf 'set $e = *(int *)(long)__errno_location()\n'
	printf 'printf "RET %s %%ld %%d\\n", $r, $e\n' "$name"
}

# An ifreq for $ifname with no flags: IFF_UP cleared, the link down.
ifreq() {
	echo 'set $ifr = (char *)calloc(1, 40)'
	echo "call (char *)strncpy(\$ifr, \"$ifname\", 15)"
}

# A sockaddr_un for the UAPI socket.
sun_uapi() {
	echo 'set $sun = (char *)calloc(1, 110)'
	echo 'set *(short *)$sun = 1'
	echo "call (char *)strncpy(\$sun + 2, \"$uapi\", 107)"
}

# The gdb script of an act.  A call that succeeds has its descriptor
# closed again (the check has failed by then anyway).
act_script() {
	local act=$1 c=$2 fd
	case $act in
	read_passwd)	sc openat 257, -100, '"/etc/passwd"', 0 ;;
	read_key)	sc openat 257, -100, "\"$key\"", 0 ;;
	read_conf)	sc openat 257, -100, "\"$conf\"", 0 ;;
	create_file)	sc openat 257, -100, "\"$probe\"", 0101, 0600 ;;
	exec)		sc execve 59, '"/bin/sh"', 0, 0 ;;
	ptrace)		sc ptrace 101, 16, "$pid", 0, 0 ;;
	raw_socket)	sc socket 41, 2, 3, 17 ;;
	netlink_socket)	sc socket 41, 16, 3, 0 ;;
	uapi_socket)
		sc socket 41, 1, 1, 0
		echo 'if $r >= 0'
		echo 'set $fd = $r'
		sun_uapi
		sc connect 42, '$fd', '$sun', 110
		echo 'end'
		;;
	uapi_held)
		fd=$(held_unix_fd "$c")
		sun_uapi
		sc "connect[fd${fd:-3}]" 42, "${fd:-3}", '$sun', 110
		;;
	ifdown_inet)
		sc socket 41, 2, 1, 0
		echo 'if $r >= 0'
		echo 'set $fd = $r'
		ifreq
		sc ioctl 16, '$fd', 0x8914, '$ifr'
		echo 'end'
		;;
	ifdown_held)
		fd=$(held_unix_fd "$c")
		ifreq
		sc "ioctl[fd${fd:-3}]" 16, "${fd:-3}", 0x8914, '$ifr'
		;;
	esac
	# Whatever succeeded is closed again; the held descriptors stay.
	case $act in
	read_*|create_file|raw_socket|netlink_socket)
		echo 'if $r >= 0'
		echo 'call (long)syscall(3, $r)'
		echo 'end'
		;;
	uapi_socket|ifdown_inet)
		echo 'if $fd >= 0'
		echo 'call (long)syscall(3, $fd)'
		echo 'end'
		;;
	esac
}

errname() {
	$PYTHON -c 'import errno, sys
print(errno.errorcode.get(int(sys.argv[1]), "errno " + sys.argv[1]))' "$1"
}

# run_act ROLE ACT: inject, then judge.  Sets outcome[ROLE.ACT].
declare -A outcome
run_act() {
	local role=$1 act=$2 label="$1: $2" c calls rets last r e name
	ensure_daemon
	c=$(child_pid "$role")
	if [ -z "$c" ]; then
		notok "$label: no $role child"
		outcome[$role.$act]="no child"
		return
	fi
	{
		echo 'set $fd = -1'
		act_script "$act" "$c"
	} >"$tmp/gdb.x"
	timeout 30 gdb --readnever -p "$c" -batch -nx -x "$tmp/gdb.x" \
	    >"$tmp/gdb.out" 2>&1
	calls=$(grep -c '^CALL ' "$tmp/gdb.out")
	rets=$(grep -c '^RET ' "$tmp/gdb.out")
	if [ "$calls" -eq 0 ]; then
		notok "$label: gdb injected nothing"
		sed 's/^/# gdb: /' "$tmp/gdb.out" | tail -5
		outcome[$role.$act]="gdb failed"
		return
	fi
	name=$(grep '^CALL ' "$tmp/gdb.out" | tail -1 | cut -d' ' -f2)
	if [ "$calls" -gt "$rets" ]; then
		judge_killed "$role" "$act" "$name"
		return
	fi
	last=$(grep '^RET ' "$tmp/gdb.out" | tail -1)
	r=$(cut -d' ' -f3 <<<"$last")
	e=$(cut -d' ' -f4 <<<"$last")
	if [ "$r" -ge 0 ]; then
		if [ "$role.$act" = dns.read_passwd ]; then
			ok "$label: succeeds, as designed (dns is not chrooted and may read world-readable files)"
			outcome[$role.$act]="allowed (by design)"
		else
			notok "$label: $name SUCCEEDED (returned $r)"
			outcome[$role.$act]="SUCCEEDED"
		fi
	else
		e=$(errname "$e")
		ok "$label: $name refused with $e"
		outcome[$role.$act]="refused $e in $name"
	fi
	check "$label: the $role child still runs" kill -0 "$c"
	check "$label: the daemon still runs" kill -0 "$pid"
	check "$label: interface unchanged (key, port, flags)" \
	    test "$(iface_state)" = "$base"
	after_act "$label"
}

# The child did not come back from the call: the daemon must go down
# cleanly, blaming SIGSYS.
judge_killed() {
	local role=$1 act=$2 name=$3 label="$1: $2"
	if ! daemon_gone; then
		notok "$label: $name neither returned nor killed the child"
		sed 's/^/# gdb: /' "$tmp/gdb.out" | tail -5
		outcome[$role.$act]="hung in $name"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		pid=
		wait_until 10 if_gone
		return
	fi
	if grep -q "lost child: $role terminated by signal SIGSYS" "$tmp/log"
	then
		ok "$label: $name killed the child (SIGSYS)"
		outcome[$role.$act]="killed in $name"
	else
		notok "$label: $name ended the child, but not by SIGSYS"
		grep -E 'lost child|fatal' "$tmp/log" | sed 's/^/# log: /'
		outcome[$role.$act]="ended otherwise in $name"
	fi
	check "$label: daemon exits with status 1" test "$rc" = 1
	check "$label: interface removed" wait_until 10 if_gone
	after_act "$label"
}

# Whatever the outcome: the key is intact and nothing was created.
after_act() {
	check "$1: private key unchanged" \
	    test "$(sha256sum <"$key")" = "$keysum"
	check "$1: no file created in the state directory" test ! -e "$probe"
}

ensure_daemon
check "state directory is mode 0700, owned by root" \
    test "$(stat -c '%a %u' "$tmp/state")" = "700 0"
check "private key is mode 0600, owned by root" \
    test "$(stat -c '%a %u' "$key")" = "600 0"
for role in $roles; do
	c=$(child_pid "$role")
	root=$(readlink "/proc/$c/root")
	check "$role: working directory is its root ($root)" \
	    test "$(readlink "/proc/$c/cwd")" = "$root"
done
for role in $roles; do
	for act in $acts; do
		run_act "$role" "$act"
	done
done

echo "# outcome per child and act ($starts daemon starts):"
for role in $roles; do
	for act in $acts; do
		printf '# %-8s %-15s %s\n' "$role" "$act" \
		    "${outcome[$role.$act]}"
	done
done
echo "# run time: $(($(date +%s) - start)) s"
finish
