#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pcap/build.sh: the body of `make pcap`.  Fetches Debian's libpcap source
# with apt-get source through a private apt configuration (a deb-src list,
# state and cache of our own under $O/pcap/apt; the machine's /etc/apt is
# left alone), builds it with its netmap module (pcap-netmap.c, which
# Debian's own build leaves out because Debian ships no netmap headers)
# against our headers, and puts the shared library, with Debian's soname
# libpcap.so.0.8, into $O/pcap/lib.  The system's tcpdump (and any other
# program linked against Debian's libpcap) then runs on it with
# LD_LIBRARY_PATH=$O/pcap/lib.  pcap.h and friends for programs built
# here go to $O/pcap/include.
#
# pcap-netmap.c uses the legacy helpers of net/netmap_user.h (nm_open,
# nm_dispatch, nm_inject), which open /dev/netmap themselves: on netmapd
# a program needs the preload library (docs/pcap.md).
#
# NETMAP_INCLUDE names the directory holding net/netmap_user.h (default:
# the tree's include/).
set -eu

O=${O:-build}
P=$PWD/$O/pcap
NETMAP_INCLUDE=${NETMAP_INCLUDE:-$PWD/include}

log() {
	printf 'pcap: %s\n' "$*" >&2
}

[ -f "$NETMAP_INCLUDE/net/netmap_user.h" ] || {
	log "no net/netmap_user.h in $NETMAP_INCLUDE"
	exit 1
}
./scripts/deps.sh pcap

# The private apt configuration: only deb-src lines, of the release this
# machine runs.
APT=$P/apt
mkdir -p "$APT/etc/parts" "$APT/state/lists/partial" \
    "$APT/cache/archives/partial" "$P/src" "$P/lib" "$P/include"
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
key=/usr/share/keyrings/debian-archive-keyring.gpg
url=http://deb.debian.org
cat >"$APT/etc/sources.list" <<LIST
deb-src [signed-by=$key] $url/debian $suite main
deb-src [signed-by=$key] $url/debian $suite-updates main
deb-src [signed-by=$key] $url/debian-security $suite-security main
LIST
apt_private() {
	"$@" -o Dir::Etc::sourcelist="$APT/etc/sources.list" \
	    -o Dir::Etc::sourceparts="$APT/etc/parts" \
	    -o Dir::State="$APT/state" -o Dir::Cache="$APT/cache" \
	    -o APT::Sandbox::User="$(id -un)" -q
}

src=$(ls -d "$P"/src/libpcap-*/ 2>/dev/null | head -n 1)
if [ -z "$src" ]; then
	log "fetching Debian's libpcap source"
	apt_private apt-get update >/dev/null
	(cd "$P/src" && apt_private apt-get source libpcap >/dev/null)
	src=$(ls -d "$P"/src/libpcap-*/ | head -n 1)
fi
src=${src%/}

# A fresh configure each time: the headers may have changed.
log "building $(basename "$src") with netmap against $NETMAP_INCLUDE"
cd "$src"
[ ! -f Makefile ] || make -s distclean >/dev/null 2>&1 || true
./configure -q --enable-netmap --disable-dbus --disable-bluetooth \
    --disable-rdma --disable-usb --without-dpdk \
    CPPFLAGS="-I$NETMAP_INCLUDE" CFLAGS="-O2 -g" >/dev/null
grep -q '^#define PCAP_SUPPORT_NETMAP 1' config.h || {
	log "configure did not enable netmap:"
	grep -A3 'whether we can compile the netmap support' config.log >&2
	exit 1
}
make -s shared CPPFLAGS="-I$NETMAP_INCLUDE" >/dev/null
lib=$(ls libpcap.so.[0-9]*.[0-9]*.[0-9]* | head -n 1)
rm -f "$P"/lib/libpcap.so*
cp "$lib" "$P/lib/"
ln -s "$lib" "$P/lib/libpcap.so.0.8"
ln -s libpcap.so.0.8 "$P/lib/libpcap.so"
rm -rf "$P/include/pcap" "$P/include/pcap.h"
mkdir -p "$P/include/pcap"
cp pcap.h "$P/include/"
cp pcap/*.h "$P/include/pcap/"
# pcap-netmap.c's error message: the module is in.
grep -q 'netmap open: cannot access' "$P/lib/$lib" || {
	log "$lib has no netmap module"
	exit 1
}
log "built $P/lib/libpcap.so.0.8 -> $lib"
