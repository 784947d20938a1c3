#!/bin/sh
# make install puts every file in its place, with the right modes, and the
# installed example configuration parses.
. "$(dirname "$0")/../lib.sh"

dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
if ! make -s -C "$TOP" install DESTDIR="$dest" PREFIX=/usr/local \
    >"$dest/.log" 2>&1; then
	cat "$dest/.log"
	notok "make install DESTDIR=..."
	finish
fi
ok "make install DESTDIR=..."

mode() { stat -c %a "$dest$1"; }
for f in /usr/local/sbin/netbirdd /usr/local/sbin/netbirdctl; do
	check "$f installed, mode 755" test "$(mode $f)" = 755
done
for m in man8/netbirdd.8 man8/netbirdctl.8 man5/netbirdd.conf.5; do
	check "/usr/local/share/man/$m installed" \
	    test -f "$dest/usr/local/share/man/$m"
done
check "/etc/netbirdd.conf installed, mode 600" \
    test "$(mode /etc/netbirdd.conf)" = 600
check "/etc/netbirdd.conf.example installed" \
    test -f "$dest/etc/netbirdd.conf.example"
check "/var/lib/netbirdd installed, mode 700" \
    test "$(mode /var/lib/netbirdd)" = 700
unit=$dest/etc/systemd/system/netbirdd.service
check "systemd unit runs the installed binary" \
    grep -qx 'ExecStart=/usr/local/sbin/netbirdd -d' "$unit"
check "systemd unit restarts on failure" grep -qx 'Restart=on-failure' "$unit"
check "installed configuration parses" sh -c \
    "'$dest/usr/local/sbin/netbirdd' -n -f '$dest/etc/netbirdd.conf' 2>/dev/null"
finish
