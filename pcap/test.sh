#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-pcap: libpcap's netmap module (built by pcap/build.sh) on VALE
# ports of a private netmapd (the sanitized build), run as a user runs
# it: Debian's tcpdump with our libpcap first in its library path, the
# installed preload library (PCAP_PRELOAD, under the DESTDIR PCAP_ROOT
# of pcap/build.mk) taking its /dev/netmap to the daemon, the installed
# pkt-gen.  The checks are pcap/cases.sh's; the daemon must end with
# nothing left.
. tests/user/lib.sh
. pcap/cases.sh

W=$T
PL=$PWD/$O/pcap/lib
SYS_TCPDUMP=$(command -v tcpdump) || fail "tcpdump not installed"
# The preload only here: exported, it would go into netmapd too.
PRELOAD=$PWD/$PCAP_PRELOAD
[ -f "$PRELOAD" ] || fail "no $PRELOAD"
TCPDUMP="env LD_PRELOAD=$PRELOAD LD_LIBRARY_PATH=$PL"
TCPDUMP="$TCPDUMP timeout 20 $SYS_TCPDUMP -Z root"
PKTGEN="timeout 20 $PCAP_ROOT/usr/bin/pkt-gen"
REPLAY="env LD_PRELOAD=$PRELOAD $O/pcap/pcap-replay"

# check_ours PID: tcpdump loads our libpcap.
check_ours() {
	LD_LIBRARY_PATH=$PL ldd "$SYS_TCPDUMP" |
	    grep -q "libpcap.so.0.8 => $PL/" ||
	    fail "tcpdump does not load $PL/libpcap.so.0.8"
}

# build.sh refuses a header directory without our headers.
O=$O NETMAP_INCLUDE=$T ./pcap/build.sh >"$T/build.out" 2>&1 &&
    fail "build.sh took NETMAP_INCLUDE=$T"
grep -qF "no net/netmap_user.h in $T" "$T/build.out" ||
    fail "build.sh: $(cat "$T/build.out")"

start_daemon
baseline
pcap_cases
check_baseline
stop_daemon
echo "test-pcap: ok"
