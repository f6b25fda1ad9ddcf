#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pcap/vm.sh - test-pcap-vm: libpcap's netmap module on netmap.ko, inside
# the test VM (tests/vm/run-vm.sh), with pcap/cases.sh's checks.  The
# guest gets Debian's tcpdump with our libpcap.so.0.8 in /test (found
# through LD_LIBRARY_PATH), pcap-replay and the static pkt-gen.
set -eu
. ./lib.sh
. ./cases.sh
nm_load

export LD_LIBRARY_PATH=/test
W=/tmp
# Debian's tcpdump would drop root for a user the guest has not.
TCPDUMP="./tcpdump -Z root"
PKTGEN=./pkt-gen
REPLAY=./pcap-replay

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

bg() {
	"$@" &
	LAST=$!
}

# check_ours PID: the running tcpdump mapped our libpcap.
check_ours() {
	grep -q ' /test/libpcap.so.0.8$' "/proc/$1/maps" ||
	    fail "tcpdump does not run on /test/libpcap.so.0.8"
}

step "libpcap's netmap module on netmap.ko"
pcap_cases
echo "pcap-vm: ok"
