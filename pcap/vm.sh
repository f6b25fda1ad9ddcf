#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pcap/vm.sh - test-pcap-vm: libpcap's netmap module on netmap.ko, inside
# the test VM (tests/vm/run-vm.sh), with pcap/cases.sh's checks.  The
# guest gets Debian's tcpdump with our libpcap.so.0.8 in /test (found
# through LD_LIBRARY_PATH), pcap-replay and the static pkt-gen.
# PCAP_VM_CASES (run-vm.sh -e) picks the cases: "vale" (the default) or
# "nic", on a veth pair (test-pcap-vm-nic, which needs netmap.ko's
# emulated adapter).
set -eu
. ./lib.sh
. ./cases.sh
nm_load

export LD_LIBRARY_PATH=/test
W=/tmp
# Debian's tcpdump would drop root for a user the guest has not;
# busybox's timeout execs the program in its own process (check_ours).
TCPDUMP="timeout 30 ./tcpdump -Z root"
PKTGEN="timeout 30 ./pkt-gen"
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

case ${PCAP_VM_CASES:-vale} in
vale)
	step "libpcap's netmap module on netmap.ko: VALE ports"
	pcap_cases
	;;
nic)
	step "libpcap's netmap module on netmap.ko: a veth pair"
	modprobe veth
	# Only pkt-gen's frames on the pair: no IPv6 chatter.
	echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
	ip link add v0 type veth peer name v1
	ip link set v0 up
	ip link set v1 up
	pcap_cases_nic
	;;
*)
	fail "PCAP_VM_CASES=$PCAP_VM_CASES: vale or nic"
	;;
esac
echo "pcap-vm: ok"
