#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pcap/vm.sh - test-pcap-vm: libpcap's netmap module on netmap.ko, inside
# the test VM (tests/vm/run-vm.sh), with pcap/cases.sh's checks.  The
# guest gets Debian's tcpdump with our libpcap.so.0.8 in /test (found
# through LD_LIBRARY_PATH), pcap-replay and the static pkt-gen.
# The cases run on VALE ports, then on a veth pair (netmap:v0 sends,
# netmap:v1 receives: the emulated adapter), then tcpdump on v1's host
# rings catches what the stack sends on v1.
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

step "libpcap's netmap module on netmap.ko: VALE ports"
pcap_cases

step "libpcap's netmap module on netmap.ko: a veth pair"
modprobe veth
# Only pkt-gen's frames on the pair: no IPv6 chatter.
echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
ip link add v0 type veth peer name v1
ip link set v0 up
ip link set v1 up
pcap_cases_nic

step "tcpdump -i netmap:v1^: what the stack sends on v1, by the host rings"
ip addr add 10.9.0.1/24 dev v1
# shellcheck disable=SC2086
bg $TCPDUMP -i 'netmap:v1^' -c 1 -w "$W/host.pcap" arp 2>"$W/td.err"
td=$LAST
wait_listening "$W/td.err"
ping -c 2 -W 1 10.9.0.2 >/dev/null 2>&1 || :	# nobody answers: ARP
wait $td || fail "tcpdump on netmap:v1^: $(cat "$W/td.err")"
# shellcheck disable=SC2086
$TCPDUMP -n -r "$W/host.pcap" 2>/dev/null >"$W/host.txt"
grep -q 'ARP, Request who-has 10.9.0.2 tell 10.9.0.1' "$W/host.txt" ||
    fail "host rings: $(cat "$W/host.txt")"
echo "host rings: the stack's ARP request on netmap:v1^"
echo "pcap-vm: ok"
