#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-deb: `make deb` (with lintian), then the packages on this machine:
# dpkg -i all five; pkt-gen from /usr/bin over VALE and a pipe through
# /usr/bin/netmapd (counts and sequence checked), and as an ordinary user
# with Debian's PATH, who gets a daemon started on demand; a program built
# with the system's pkg-config against libnetmap-dev; a raw-ABI program under
# the packaged preload library; the unit checked by systemd-analyze; the
# netmap.ko DKMS built at install for KVER (linux/kdir.sh -r: the kernel
# the VM tests boot) loaded in QEMU by tests/vm/pipe.sh; then dpkg --purge,
# and no file of the packages nor DKMS's module may be left.
# Changes /usr, so: root only, refused when any file of the packages is
# already there, and the packages are purged on any exit.
# Usage: test-deb.sh VM_PROG...  (the static programs tests/vm/ gives QEMU)
set -u
O=${O:-build}
MAKE=${MAKE:-make}
PKGS="libnetmap1 libnetmap-dev netmap-tools netmapd netmap-dkms"

if [ "$(id -u)" -ne 0 ]; then
	echo "test-deb: SKIP: needs root (installs the packages with dpkg -i)"
	exit 0
fi
# Debian's packaging tools, and the kernel headers and QEMU of the VM
# tests so that DKMS has a kernel to build for and we one to boot.
./scripts/deps.sh deb && ./scripts/deps.sh vm || exit 1
T=$(mktemp -d /tmp/netmap-deb.XXXXXX)
NMD_PID=
U=
USER_PIDFILE=
INSTALLED=
MOK_NEW=
cleanup() {
	[ -n "$NMD_PID" ] && kill -KILL "$NMD_PID" 2>/dev/null
	[ -s "$USER_PIDFILE" ] &&
	    kill -KILL "$(cat "$USER_PIDFILE")" 2>/dev/null
	if [ -n "$INSTALLED" ]; then
		dpkg --purge $PKGS >"$T/purge.log" 2>&1 ||
		    cat "$T/purge.log" >&2
	fi
	# dkms made a module-signing key for its first build: not ours to
	# keep (none existed before).
	[ -n "$MOK_NEW" ] && rm -f /var/lib/dkms/mok.key /var/lib/dkms/mok.pub
	rm -rf "$T" ${U:+"$U"}
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
. tests/lib/sock.sh
t0=$(date +%s)

$MAKE --no-print-directory deb >"$T/deb.log" 2>&1 ||
    fail "make deb: $(tail -30 "$T/deb.log")"
echo "make deb (lintian clean): $(($(date +%s) - t0)) s"
ver=$(dpkg-parsechangelog -l debian/changelog -SVersion)
debs=
for p in $PKGS; do
	f=$(ls "$O"/deb/${p}_${ver}_*.deb 2>/dev/null)
	[ -f "$f" ] || fail "no $p .deb in $O/deb"
	debs="$debs $f"
done

# Refuse to touch a machine that has any of it already: purging would take
# away files we did not put there.
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed &&
	    { echo "test-deb: SKIP: $p is installed; remove it first"; exit 0; }
done
# Every path of the packages; the files must all be new, the directories
# that exist already (/usr/bin, ...) are noted: the others must go again.
for f in $debs; do
	dpkg-deb -c "$f" | awk '{ p = substr($6, 2); sub("/$", "", p);
	    print ($1 ~ /^d/ ? "d " : "f ") (p == "" ? "/" : p) }'
done | sort -u >"$T/contents"
: >"$T/before"
while read -r kind p; do
	[ -e "$p" ] || [ -L "$p" ] || continue
	if [ "$kind" = f ]; then
		echo "test-deb: SKIP: $p exists (make uninstall?), not ours"
		exit 0
	fi
	echo "$p" >>"$T/before"
done <"$T/contents"
[ -e /var/lib/dkms/mok.key ] || MOK_NEW=1

kver=$(./linux/kdir.sh -r 2>/dev/null || :)
INSTALLED=1
t1=$(date +%s)
dpkg -i $debs >"$T/install.log" 2>&1 ||
    fail "dpkg -i: $(tail -30 "$T/install.log")"
echo "dpkg -i (and DKMS for ${kver:-no kernel}): $(($(date +%s) - t1)) s"
for p in $PKGS; do
	dpkg -L "$p" >>"$T/listed" || fail "dpkg -L $p"
done
while read -r kind p; do
	[ "$p" = / ] && continue	# dpkg -L says /.
	grep -qx "$p" "$T/listed" || fail "$p not listed by dpkg -L"
	[ -e "$p" ] || fail "$p not installed"
done <"$T/contents"

# pkt-gen from /usr/bin through the installed netmapd, on a private socket.
export NETMAP_SOCKET="$T/netmapd.sock" NETMAP_HOST=user
export NETMAP_DAEMON=/nonexistent	# never start another one
/usr/bin/netmapd -f -s "$NETMAP_SOCKET" 2>"$T/netmapd.log" &
NMD_PID=$!
wait_sock "$NETMAP_SOCKET"
# pair TX RX: 20000 sequenced frames at a rate a loaded machine keeps up
# with (a VALE receiver may otherwise drop); all must arrive, in order.
# $RUN prefixes both pkt-gen commands.
RUN=
pair() {
	$RUN timeout 30 /usr/bin/pkt-gen -i "$2" -f rxseq -n 20000 -w 0 \
	    >"$T/rx" 2>&1 &
	rx=$!
	sleep 0.5
	$RUN timeout 30 /usr/bin/pkt-gen -i "$1" -f txseq -n 20000 \
	    -R 100000 -w 0 >"$T/tx" 2>&1 ||
	    fail "pkt-gen tx on $1: $(tail -3 "$T/tx")"
	wait $rx || fail "pkt-gen rx on $2: $(tail -3 "$T/rx")"
	grep -q '^Received 20000 packets' "$T/rx" &&
	    grep -q 'Sequence check: 0 gaps (0 packets missing), 0 out of' \
	    "$T/rx" || fail "pkt-gen rx on $2: $(tail -3 "$T/rx")"
	echo "/usr/bin/pkt-gen $1 -> $2: $(grep '^Received' "$T/rx")"
}
pair vale0:a "vale0:b@conf:slots=4096"
pair "netmap:deb{1" "netmap:deb}1"

# An ordinary user, with the PATH Debian gives users (no sbin): the first
# pkt-gen starts /usr/bin/netmapd (netmapd(8)), which exits when idle; we
# end it by the PID in the pid file it writes next to its socket.
# (Its socket directory must be its own and private: not under $T.)
U=$(mktemp -d /tmp/netmap-deb-user.XXXXXX)
chown nobody "$U"
USER_PIDFILE=$U/netmapd.sock.pid
RUN="runuser -u nobody -- env -i PATH=/usr/local/bin:/usr/bin:/bin \
    NETMAP_HOST=user NETMAP_SOCKET=$U/netmapd.sock"
pair vale1:a "vale1:b@conf:slots=4096"
RUN=
[ -s "$USER_PIDFILE" ] || fail "no netmapd started for nobody"
kill -TERM "$(cat "$USER_PIDFILE")"

# libnetmap-dev: the system's pkg-config, the system's headers and library.
cp dist/test-install.c "$T/"
(cd "$T" && ${CC:-cc} -Wall -Werror -o prog test-install.c \
    $(pkg-config --cflags --libs libnetmap)) >"$T/cc.log" 2>&1 ||
    fail "building against libnetmap-dev: $(cat "$T/cc.log")"
ldd "$T/prog" | grep -Eq '=> (/usr)?/lib/[^ ]*/libnetmap\.so\.1 ' ||
    fail "prog does not load /usr/lib/.../libnetmap.so.1: $(ldd "$T/prog")"
out=$("$T/prog" debprog 20000 2>&1) || fail "prog: $out"
[ "$out" = "test-install: 20000 frames sent and received" ] ||
    fail "prog: $out"
echo "libnetmap-dev: $out"

# netmapd: its preload library under a raw-ABI program; its unit.
preload=$(grep '/libnetmap-preload\.so$' "$T/listed")
LD_PRELOAD=$preload "$O/tests/user/nmd_raw" >"$T/raw" 2>&1 ||
    fail "nmd_raw under $preload: $(cat "$T/raw")"
echo "nmd_raw under LD_PRELOAD=$preload: ok"
kill -TERM "$NMD_PID"
wait "$NMD_PID" || fail "netmapd exited with $?: $(cat "$T/netmapd.log")"
NMD_PID=
systemd-analyze verify /lib/systemd/system/netmapd.service \
    >"$T/verify" 2>&1 || fail "netmapd.service: $(cat "$T/verify")"
[ -L /etc/systemd/system/multi-user.target.wants/netmapd.service ] ||
    fail "netmapd.service is not enabled"

# netmap-dkms: the module DKMS built at install, booted in QEMU.
ko=
if [ -z "$kver" ]; then
	echo "test-deb: no kernel headers: DKMS built nothing (not checked)"
else
	dkms status -m netmap -v "$ver" -k "$kver" | grep -q ': installed' ||
	    fail "dkms status: $(dkms status -m netmap)"
	ko=$(modinfo -k "$kver" -n netmap 2>/dev/null)
	case "$ko" in
	*/updates/dkms/netmap.ko) ;;
	*) fail "DKMS's netmap.ko for $kver: '$ko'" ;;
	esac
	echo "dkms: $(dkms status -m netmap -v "$ver" -k "$kver")"
	if command -v qemu-system-x86_64 >/dev/null; then
		t1=$(date +%s)
		./tests/vm/run-vm.sh -k "$kver" -t 300 tests/vm/pipe.sh \
		    "$ko" "$@" tests/vm/lib.sh >"$T/vm" 2>&1 ||
		    fail "pipe.sh on DKMS's module: $(tail -30 "$T/vm")"
		echo "tests/vm/pipe.sh on DKMS's netmap.ko: ok," \
		    "$(($(date +%s) - t1)) s"
	else
		echo "test-deb: no QEMU: DKMS's module built, not loaded"
	fi
fi

t1=$(date +%s)
dpkg --purge $PKGS >"$T/purge.log" 2>&1 ||
    fail "dpkg --purge: $(tail -30 "$T/purge.log")"
INSTALLED=
echo "dpkg --purge: $(($(date +%s) - t1)) s"
# What dpkg -L listed is gone, but for the directories that were there.
left=
while read -r p; do
	[ "$p" = /. ] && continue
	[ -e "$p" ] || [ -L "$p" ] || continue
	grep -qx "$p" "$T/before" || left="$left $p"
done <"$T/listed"
[ -n "$ko" ] && [ -e "$ko" ] && left="$left $ko"
[ -e /etc/systemd/system/multi-user.target.wants/netmapd.service ] &&
    left="$left netmapd.service enabled"
dkms status -m netmap 2>/dev/null | grep -q . && left="$left dkms:netmap"
[ -z "$left" ] || fail "left after dpkg --purge:$left"
echo "test-deb: ok ($(($(date +%s) - t0)) s)"
