#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Runs one test script inside a QEMU (TCG) guest booting the distribution's
# kernel, so netmap.ko can be tested on machines that cannot load modules.
#
# The guest's initramfs holds busybox, iproute2's ip, dash (as /bin/sh) and
# bash with their libraries, veth.ko and tun.ko (modprobe works for them),
# and the test: SCRIPT and each FILE go to /test/ (the script's working
# directory).  Dynamic ELF files get their libraries copied too.
#
# The test's stdout and stderr go to the guest's second serial port and
# are printed here.  After the script, the guest's /init kills what the
# test left running, unloads netmap.ko if loaded (failing if it will not
# unload), scans the kernel log written since the test started for
# warnings, oopses and corruption reports (failing on any, and printing
# the log), then reports the status on a marker line and powers off.  The
# exit status is the script's, or 90 for a kernel log complaint, 91 for a
# module that would not unload, 124 for a timeout, 125 when the guest died
# without a marker (a panic: the kernel console is printed).  The guest
# kills the script after 4/5 of the timeout, so that the kernel log of a
# hung test is still scanned and printed.
#
# The kernel runs with SLUB red zones, poisoning and checks on the kmalloc
# caches (an overflow or use after free there is reported as a BUG and so
# fails the test; about 0.3 s of boot) and a 4 MB log buffer.  -D drops the
# checks, for measurements.
#
# The kernel is the one netmap.ko is built for (linux/kdir.sh -r: KDIR,
# else the running kernel's headers, else the newest under /lib/modules/).
# The ELF vmlinux inside /boot/vmlinuz-KVER is extracted once and booted
# directly (no decompression in the guest); it and the base initramfs are
# cached in build/vm/ (NM_VM_CACHE overrides).
#
# Usage: run-vm.sh [-vD] [-c CPUS] [-k KVER] [-t SECONDS] [-a KERNEL-ARGS]
#                  [-e NAME=VALUE]... [-n NICS] SCRIPT [FILE...]
#   -v  also print the kernel console and timings
#   -D  no kernel memory debugging
#   -c  virtual CPUs of the guest, default 2 (1 to 8; under TCG each is
#       a host thread: more than the host has only slows the guest)
#   -k  kernel release to boot (default: linux/kdir.sh -r)
#   -t  timeout for the whole run, default 600
#   -a  more kernel command line
#   -e  set NAME to VALUE in the script's environment
#   -n  give the guest N virtio-net interfaces (52:54:00:00:00:01, ...)
#       joined by one QEMU hub, so that what one sends the others receive;
#       the script loads virtio_pci and virtio_net (modprobe) to see them
set -eu

usage() {
	echo "usage: run-vm.sh [-vD] [-c CPUS] [-k KVER] [-t SECONDS]" \
	    "[-a KERNEL-ARGS]" \
	    "[-e NAME=VALUE]... [-n NICS] SCRIPT [FILE...]" >&2
	exit 2
}

# shquote WORD: WORD quoted for sh.
shquote() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}
nl='
'

top=$(cd "$(dirname "$0")/../.." && pwd)
self=$top/tests/vm/run-vm.sh
cmdline="console=ttyS0 quiet loglevel=4 oops=panic panic=-1 log_buf_len=4M"
debug="slub_debug=FZPU,kmalloc-*"
verbose=
kver=
tmo=600
kargs=
env=
nics=0
cpus=2
while getopts vDc:k:t:a:e:n: opt; do
	case $opt in
	v) verbose=1 ;;
	D) debug= ;;
	c) cpus=$OPTARG ;;
	k) kver=$OPTARG ;;
	t) tmo=$OPTARG ;;
	a) kargs=$OPTARG ;;
	e)
		case $OPTARG in
		[A-Za-z_]*=*) ;;
		*) usage ;;
		esac
		env="$env$(printf 'export %s=' "${OPTARG%%=*}")"
		env="$env$(shquote "${OPTARG#*=}")$nl"
		;;
	n) nics=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
case $tmo in
''|*[!0-9]*) usage ;;
esac
case $nics in
''|*[!0-9]*) usage ;;
esac
[ "$nics" -le 9 ] || usage
case $cpus in
[1-8]) ;;
*) usage ;;
esac
# The guest's interfaces: ports of hub 0 (no option ROM: nothing boots
# from them).
netargs=
i=1
while [ $i -le "$nics" ]; do
	netargs="$netargs -netdev hubport,id=nic$i,hubid=0"
	netargs="$netargs -device virtio-net-pci,netdev=nic$i,romfile="
	netargs="$netargs,mac=52:54:00:00:00:0$i"
	i=$((i + 1))
done
script=$1
shift
[ -f "$script" ] || { echo "run-vm: no such script: $script" >&2; exit 2; }
for f in "$@"; do
	[ -f "$f" ] || { echo "run-vm: no such file: $f" >&2; exit 2; }
done

[ -n "$kver" ] || kver=$("$top/linux/kdir.sh" -r)
vmlinuz=/boot/vmlinuz-$kver
moddir=/lib/modules/$kver
[ -r "$vmlinuz" ] || { echo "run-vm: cannot read $vmlinuz" >&2; exit 2; }
cache=${NM_VM_CACHE:-$top/build/vm}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

now() { date +%s.%N; }
# newer A B: A exists and was modified after B (or B does not exist).
newer() {
	[ -e "$1" ] && { [ ! -e "$2" ] || [ -n "$(find "$1" -newer "$2")" ]; }
}
elapsed() { echo "$1 $2" | awk '{ printf "%.2f", $2 - $1 }'; }
t0=$(now)

# ELF vmlinux: the payload of the bzImage is an XZ stream (Debian); boot
# the bzImage itself if it is anything else.
kernel=$cache/vmlinux-$kver
if [ ! -s "$kernel" ] || newer "$vmlinuz" "$kernel"; then
	tmpk=$kernel.$$
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -n 1 |
	    cut -d: -f1)
	if [ -n "$off" ] &&
	    tail -c +$((off + 1)) "$vmlinuz" |
	    xz -dc --single-stream >"$tmpk" 2>/dev/null &&
	    [ "$(head -c 4 "$tmpk" | tail -c 3)" = ELF ]
	then
		mv "$tmpk" "$kernel"
	else
		rm -f "$tmpk"
		echo "run-vm: no XZ ELF payload in $vmlinuz; booting it" >&2
		ln -sf "$vmlinuz" "$kernel"
	fi
fi

# The guest's /init.  Runs under dash.
write_init() {
	cat <<'EOF'
#!/bin/sh
# /init of the netmap test guest, written by tests/vm/run-vm.sh.
export PATH=/bin HOME=/root TERM=dumb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ip link set lo up
stty -F /dev/ttyS1 raw -echo 2>/dev/null
exec 3>/dev/ttyS1
. /test/.vm-env
echo "NETMAP-VM-INIT $NM_VM_NONCE" >&3

echo "netmap-vm: test start" >/dev/kmsg
echo 20 >/proc/sys/kernel/hung_task_timeout_secs
cd /test
timeout -s KILL "$NM_VM_TIMEOUT" "./$NM_VM_SCRIPT" </dev/null >&3 2>&3
rc=$?
cd /
if [ $rc -eq 137 ]; then
	echo "netmap-vm: FAIL: killed: timed out after" \
	    "${NM_VM_TIMEOUT}s (or out of memory)" >&3
	rc=124
fi

# What the test left running might hold the module: end it first.
kill -9 -1 2>/dev/null
n=0
while [ $n -lt 50 ]; do
	left=
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = 1 ] || [ ! -s "$p/cmdline" ] || left=1
	done
	[ -z "$left" ] && break
	sleep 0.1
	n=$((n + 1))
done

# A killed process has an empty cmdline before it has closed its files
# (the last fput runs late in exit): give those a few seconds.
if grep -q '^netmap ' /proc/modules; then
	n=0
	until rmmod netmap 2>/tmp/rmmod.err; do
		n=$((n + 1))
		[ $n -lt 50 ] || break
		sleep 0.1
	done
	if grep -q '^netmap ' /proc/modules; then
		echo "netmap-vm: FAIL: netmap.ko does not unload:" >&3
		cat /tmp/rmmod.err >&3
		grep '^netmap ' /proc/modules >&3
		[ $rc -ne 0 ] || rc=91
	fi
fi

# The kernel log since the test started; if that start scrolled out of
# the ring buffer, the kernel said far too much: fail on that alone.
dmesg >/tmp/kmsg
if grep -q 'netmap-vm: test start' /tmp/kmsg; then
	sed -n '/netmap-vm: test start/,$p' /tmp/kmsg >/tmp/kmsg.test
	why="the kernel complained"
	grep -Eq "$NM_VM_BAD" /tmp/kmsg.test && bad=1 || bad=
else
	mv /tmp/kmsg /tmp/kmsg.test
	why="the kernel log overflowed during the test"
	bad=1
fi
if [ -n "$bad" ]; then
	n=$(wc -l </tmp/kmsg.test)
	echo "netmap-vm: FAIL: $why; its log since the test started" \
	    "($n lines):" >&3
	head -n 400 /tmp/kmsg.test >&3
	[ "$n" -le 400 ] || echo "netmap-vm: ... $((n - 400)) more lines" >&3
	[ $rc -ne 0 ] || rc=90
fi

echo "NETMAP-VM-STATUS $NM_VM_NONCE: $rc" >&3
exec 3>&-		# the last close of the tty waits until it drained
reboot -f
EOF
}

# What the kernel must not say during a test.
bad='WARNING|BUG|Oops|refcount|list_(add|del) corruption|general protection'
bad="$bad|Call Trace|UBSAN|KASAN|soft lockup|hard LOCKUP|blocked for more than"
bad="$bad|rcu.*stall|kernel BUG|Kernel panic"

# copy_elf FILE DEST: copies FILE to DEST under the staging root and every
# library it loads to the same path as on the host.
copy_elf() {
	mkdir -p "$stage$(dirname "$2")"
	cp -L "$1" "$stage$2"
	ldd "$1" 2>/dev/null | awk '/=> \// { print $3 } /^\t\// { print $1 }' |
	while read -r lib; do
		[ -e "$stage$lib" ] && continue
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
}

# Modules the tests may load: veth and tun; virtio_pci and virtio_net for
# the guest's virtio-net interfaces (-n).
mods="veth tun virtio_pci virtio_net"

# Base initramfs, cached per kernel; rebuilt when this script or one of
# the binaries it copies changes.
base=$cache/base-$kver.cpio
bins="/bin/busybox /usr/sbin/ip /usr/bin/dash /usr/bin/bash"
stale=
[ -s "$base" ] || stale=1
for f in "$self" $bins; do
	newer "$f" "$base" && stale=1
done
stage=
tmp=$(mktemp -d "$cache/run.XXXXXX")
trap 'rm -rf "$tmp" ${stage:+"$stage"}' EXIT
trap 'exit 130' INT TERM
# The marker carries a nonce, so that no test output passes for it.
nonce=$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
if [ -n "$stale" ]; then
	for f in $bins; do
		[ -x "$f" ] || { echo "run-vm: missing $f (scripts/deps.sh" \
		    "vm installs it)" >&2; exit 2; }
	done
	stage=$(mktemp -d "$cache/base.XXXXXX")
	mkdir -p "$stage/bin" "$stage/lib" "$stage/usr" "$stage/etc" \
	    "$stage/proc" "$stage/sys" "$stage/dev" "$stage/tmp" \
	    "$stage/run" "$stage/root" "$stage/test"
	ln -s bin "$stage/sbin"
	ln -s ../bin "$stage/usr/bin"
	ln -s ../bin "$stage/usr/sbin"
	ln -s ../lib "$stage/usr/lib"
	cp /bin/busybox "$stage/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$stage/bin/$a"
	done
	# Ours, not busybox's: busybox's ip cannot make veth pairs, and a
	# shell that prefers applets would pick busybox's ip over ours.
	rm -f "$stage/bin/sh" "$stage/bin/ip" "$stage/bin/bash"
	copy_elf /usr/sbin/ip /bin/ip
	copy_elf /usr/bin/dash /bin/dash
	copy_elf /usr/bin/bash /bin/bash
	ln -s dash "$stage/bin/sh"
	# glibc dlopens libgcc_s for pthread_exit; ldd does not list it.
	gcc_s=$(ls /lib/x86_64-linux-gnu/libgcc_s.so.1 \
	    /usr/lib/x86_64-linux-gnu/libgcc_s.so.1 2>/dev/null | head -n 1)
	[ -n "$gcc_s" ] && cp -L "$gcc_s" "$stage/lib/x86_64-linux-gnu/"
	# The modules, with what they depend on (modules.dep's lines for
	# them), where modprobe looks for them.
	mkdir -p "$stage$moddir"
	: >"$stage$moddir/modules.dep"
	for m in $mods; do
		line=$(grep -E "^([^:]*/)?$m\.ko[^:]*:" "$moddir/modules.dep" |
		    head -n 1)
		[ -n "$line" ] || { echo "run-vm: no $m.ko in $moddir" >&2;
		    exit 2; }
		for ko in $(echo "$line" | tr -d ':'); do
			grep -q "^$ko:" "$stage$moddir/modules.dep" && continue
			mkdir -p "$stage$moddir/$(dirname "$ko")"
			cp "$moddir/$ko" "$stage$moddir/$ko"
			grep "^$ko:" "$moddir/modules.dep" \
			    >>"$stage$moddir/modules.dep"
		done
	done
	# Aliases, so that the kernel's requests (ip link add type veth)
	# load them through busybox's modprobe.
	awk '$3 == "veth" || $3 == "tun"' "$moddir/modules.alias" \
	    >"$stage$moddir/modules.alias"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$stage/etc/passwd"
	echo 'root:x:0:' >"$stage/etc/group"
	write_init >"$stage/init"
	chmod 755 "$stage/init"
	(cd "$stage" && find . | LC_ALL=C sort |
	    cpio -o -H newc -R 0:0 --quiet) >"$base.$$"
	mv "$base.$$" "$base"
	rm -rf "$stage"
	stage=
fi

# The test's part, appended as a second cpio archive (the kernel unpacks
# them in order).
stage=$tmp/stage
mkdir -p "$stage/test"
name=$(basename "$script")
cp "$script" "$stage/test/$name"
chmod 755 "$stage/test/$name"
for f in "$@"; do
	if ldd "$f" >/dev/null 2>&1; then
		copy_elf "$f" "/test/$(basename "$f")"
	else
		cp "$f" "$stage/test/"
	fi
done
{
	echo "NM_VM_SCRIPT='$name'"
	echo "NM_VM_BAD='$bad'"
	echo "NM_VM_TIMEOUT=$((tmo * 4 / 5))"
	echo "NM_VM_NONCE=$nonce"
	printf '%s' "$env"
	echo "export KVER='$kver'"
} >"$stage/test/.vm-env"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
    >"$tmp/test.cpio"
cat "$base" "$tmp/test.cpio" >"$tmp/initrd"
t1=$(now)

# A guest that dies before its /init runs (seen once under heavy host
# load: a panic in early APIC set-up under TCG) has not run the test:
# boot again, at most twice, saying so. Anything later is the test's.
boots=0
while :; do
	boots=$((boots + 1))
	rm -f "$tmp/console" "$tmp/out"
	set +e
	timeout -k 5 "$tmo" qemu-system-x86_64 -M pc -nodefaults \
	    -no-user-config -no-reboot -display none -monitor none -m 1G \
	    -smp "$cpus" -kernel "$kernel" -initrd "$tmp/initrd" \
	    -append "$cmdline $debug $kargs" \
	    -serial "file:$tmp/console" -serial "file:$tmp/out" \
	    $netargs </dev/null
	qrc=$?
	set -e
	touch "$tmp/out" "$tmp/console"
	grep -q "^NETMAP-VM-INIT $nonce" "$tmp/out" && break
	[ $qrc -ne 124 ] && [ $qrc -ne 137 ] && [ $boots -lt 3 ] || break
	echo "run-vm: $name: the guest died before its init ran" \
	    "(boot $boots); its console:" >&2
	tr -d '\r' <"$tmp/console" | tail -n 20 >&2
done
t2=$(now)

tr -d '\r' <"$tmp/out" |
    grep -v "^NETMAP-VM-STATUS $nonce: \|^NETMAP-VM-INIT $nonce" || :
status=$(tr -d '\r' <"$tmp/out" |
    sed -n "s/^NETMAP-VM-STATUS $nonce: \([0-9][0-9]*\)\$/\1/p" | tail -n 1)
if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
	echo "run-vm: $name: timed out after ${tmo}s" >&2
	status=124
elif [ -z "$status" ]; then
	echo "run-vm: $name: the guest died without reporting (qemu" \
	    "status $qrc)" >&2
	status=125
fi
if [ "$status" -ne 0 ] || [ -n "$verbose" ]; then
	echo "--- kernel console ($kver)" >&2
	tr -d '\r' <"$tmp/console" >&2
	echo "---" >&2
fi
if [ -n "$verbose" ]; then
	echo "run-vm: prepare $(elapsed "$t0" "$t1")s, boot+test" \
	    "$(elapsed "$t1" "$t2")s" >&2
fi
[ "$status" -eq 0 ] && echo "run-vm: $name: ok ($(elapsed "$t1" "$t2")s)" >&2
exit "$status"
