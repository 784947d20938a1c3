#!/bin/sh
# The kernel WireGuard backend (netbirdd/wg_kernel.c, netlink.c) where it
# really runs: a stock Debian kernel with its wireguard module, booted
# under qemu from an initramfs made here of the built programs (wg_drive,
# netbirdd, netbirdctl), wg(8), ip(8), bash and busybox, with the host's
# shared libraries.  No network, no disk: the VM prints its checks
# (guest.sh) on the serial console and powers off; this script prints
# them again.  Skips (status 0) without qemu, a kernel image or its
# wireguard module.
#
# Environment: NBD_VM_KERNEL (a vmlinuz; its modules must be in
# /lib/modules/VERSION), NBD_VM_TIMEOUT (seconds, default 300),
# NBD_VM_ACCEL=kvm (default tcg), NBD_VM_KEEP=1 (keep the work
# directory: initramfs and console log).
. "$(dirname "$0")/../lib.sh"

VM=$TOP/regress/vm
DRIVE=$TOP/regress/netns/wg_drive
LIMIT=${NBD_VM_TIMEOUT:-300}
name=$(basename "$0")

if [ "$(uname -m)" != x86_64 ]; then
	skip "$name: the VM runs this host's x86_64 programs"
	exit 0
fi
need_cmd qemu-system-x86_64 modprobe busybox bash cpio gzip ip wg timeout

# kver_of VMLINUZ: the kernel version its name carries.
kver_of() { basename "$1" | sed 's/^vmlinuz-//'; }

# The newest kernel whose modules include wireguard (or that has it
# built in), unless NBD_VM_KERNEL names one.
kernel=${NBD_VM_KERNEL:-}
if [ -z "$kernel" ]; then
	for k in $(ls /boot/vmlinuz-* 2>/dev/null | sort -rV); do
		if modprobe -S "$(kver_of "$k")" --show-depends wireguard \
		    >/dev/null 2>&1; then
			kernel=$k
			break
		fi
	done
fi
if [ -z "$kernel" ]; then
	skip "$name: no /boot/vmlinuz-* with a wireguard module" \
	    "(apt-get install linux-image-amd64)"
	exit 0
fi
if [ ! -r "$kernel" ]; then
	skip "$name: cannot read $kernel"
	exit 0
fi
kver=$(kver_of "$kernel")
if ! deps=$(modprobe -S "$kver" --show-depends wireguard 2>/dev/null); then
	skip "$name: no wireguard module for $kver"
	exit 0
fi
vdeps=$(modprobe -S "$kver" --show-depends veth 2>/dev/null)

for p in "$TOP/netbirdd/netbirdd" "$TOP/netbirdctl/netbirdctl"; do
	if [ ! -x "$p" ]; then
		notok "$name: $p is not built (make all)"
		finish
	fi
done
if [ ! -x "$DRIVE" ] && ! make -s -C "$TOP/regress/netns" wg_drive; then
	notok "$name: build wg_drive"
	finish
fi

tmp=$(mktemp -d)
cleanup() {
	if [ "${NBD_VM_KEEP:-0}" = 1 ]; then
		echo "# kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
root=$tmp/root

# copy_prog PATH [NAME]: the program as /bin/NAME with its libraries at
# the paths the dynamic linker looks for them.
copy_prog() {
	cp -L "$1" "$root/bin/${2:-$(basename "$1")}" || return 1
	for lib in $(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
	    $1 ~ /^\// { print $1 }'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib" || return 1
	done
}

# add_modules DEPS: "insmod FILE" lines from modprobe --show-depends;
# each module goes in decompressed, its name in /modules in load order.
add_modules() {
	echo "$1" | while read -r verb file _; do
		[ "$verb" = insmod ] || continue
		m=$(basename "$file" | sed 's/\.ko.*$//')
		grep -qx "$m" "$root/modules" 2>/dev/null && continue
		case $file in
		*.ko.xz)  xz -dc "$file" ;;
		*.ko.zst) zstd -qdc "$file" ;;
		*.ko.gz)  gzip -dc "$file" ;;
		*.ko)     cat "$file" ;;
		*)        false ;;
		esac >"$root/lib/modules/$m.ko" || return 1
		echo "$m" >>"$root/modules"
	done
}

build_initrd() {
	mkdir -p "$root/bin" "$root/lib/modules" "$root/etc" "$root/proc" \
	    "$root/sys" "$root/dev" "$root/run" "$root/tmp" \
	    "$root/var/lib" "$root/root" || return 1
	ln -s bin "$root/sbin" && ln -s ../run "$root/var/run" &&
	    mkdir -p "$root/usr" && ln -s ../bin "$root/usr/bin" &&
	    ln -s ../bin "$root/usr/sbin" || return 1
	copy_prog "$DRIVE" && copy_prog "$TOP/netbirdd/netbirdd" &&
	    copy_prog "$TOP/netbirdctl/netbirdctl" &&
	    copy_prog "$(command -v wg)" && copy_prog "$(command -v ip)" &&
	    copy_prog "$(command -v bash)" &&
	    copy_prog "$(command -v busybox)" || return 1
	for a in $(busybox --list); do
		[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
	done
	: >"$root/modules"
	add_modules "$deps" && add_modules "$vdeps" || return 1
	cp "$VM/init" "$root/init" && cp "$VM/guest.sh" "$root/guest.sh" &&
	    cp "$TOP/regress/lib.sh" "$root/lib.sh" || return 1
	chmod 755 "$root/init" "$root/guest.sh"
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
	    '_netbird:x:999:999::/nonexistent:/bin/false' \
	    'nobody:x:65534:65534::/nonexistent:/bin/false' \
	    >"$root/etc/passwd"
	printf '%s\n' 'root:x:0:' '_netbird:x:999:' 'nogroup:x:65534:' \
	    >"$root/etc/group"
	printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
	: >"$root/etc/resolv.conf"
	(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 \
	    >"$tmp/initrd"
}

if ! build_initrd; then
	notok "$name: build the initramfs"
	finish
fi

# TCG by default: slow but the same everywhere (nested KVM can fail
# in odd ways).  NBD_VM_ACCEL=kvm for speed where KVM works.
if [ "${NBD_VM_ACCEL:-tcg}" = kvm ]; then
	accel=kvm cpu=host
else
	accel=tcg cpu=max
fi
size=$(($(stat -c %s "$tmp/initrd") / 1024))
echo "# $kernel ($kver), $accel, initramfs $size KiB"
start=$(date +%s)
timeout "$LIMIT" qemu-system-x86_64 -machine q35,accel=$accel -cpu $cpu \
    -smp 2 -m 512 -nodefaults -no-user-config -nic none -display none \
    -serial "file:$tmp/console" -no-reboot \
    -kernel "$kernel" -initrd "$tmp/initrd" \
    -append "console=ttyS0 quiet panic=-1 oops=panic" </dev/null
status=$?
elapsed=$(($(date +%s) - start))

tr -d '\r' <"$tmp/console" >"$tmp/out"
grep -E '^(ok|not ok|skip) - |^# ' "$tmp/out"
FAILED=$(grep -c '^not ok - ' "$tmp/out")
done=$(sed -n 's/^=== guest done, status //p' "$tmp/out")
if [ -z "$done" ]; then
	if [ "$status" -eq 124 ]; then
		notok "$name: the VM finished within $LIMIT s"
	else
		notok "$name: the VM ran its checks to the end" \
		    "(qemu status $status)"
	fi
elif [ "$done" != 0 ] && [ "$FAILED" -eq 0 ]; then
	notok "$name: guest.sh exited with status $done"
fi
if [ -z "$done" ] || [ "$done" != 0 ]; then
	tail -n 40 "$tmp/out" | grep -Ev '^(ok|not ok|skip) - |^# ' |
	    sed 's/^/# console: /'
fi
echo "# VM run: $elapsed s"
finish
