#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# bridge-nic.sh - bridge and pkt-gen on interfaces (issue 7, items 4
# and 5), inside the test VM.
#
#  - bridge -i netmap:v0 (the NIC and its host rings): ping from the
#    stack keeps working through bridge, zero copy (one region);
#  - bridge between two interfaces, each the far end of a veth pair
#    into its own namespace: ping between the namespaces passes
#    through bridge, both ways;
#  - pkt-gen on a NIC takes the interface's MAC as -S's default, and
#    pkt-gen -f ping / -f pong answer each other across a veth pair.
set -eu
. ./lib.sh
nm_load
modprobe veth

# has FILE PATTERN: a line of FILE matches (grep -E), or the test fails.
has() {
	grep -Eq -- "$2" "$1" ||
	    { echo "FAIL: no '$2' in $1:" >&2; cat "$1" >&2; exit 1; }
}

mkdir -p /var/run/netns

step "bridge -i netmap:v0: the host stack's ping through the host rings"
ip netns add h1
ip link add v0 type veth peer name v1 netns h1
ip addr add 10.9.0.1/24 dev v0
ip link set v0 up
ip -n h1 addr add 10.9.0.2/24 dev v1
ip -n h1 link set v1 up
ping -c 3 -W 2 10.9.0.2 >/dev/null	# the path works without bridge
bridge_start host -w 0 -i netmap:v0
has /tmp/host.br "^bridging netmap:v0\^ <-> netmap:v0, zero copy,"
ping -c 5 -W 2 10.9.0.2
bridge_stop INT
# ARP and ICMP went each way: host -> NIC and NIC -> host.
has /tmp/host.br "^netmap:v0\^ -> netmap:v0: [1-9][0-9]* packets .* 0 copied, 0 dropped$"
has /tmp/host.br "^netmap:v0 -> netmap:v0\^: [1-9][0-9]* packets .* 0 copied, 0 dropped$"
ping -c 2 -W 2 10.9.0.2 >/dev/null	# and after bridge is gone

step "bridge between two interfaces: ping from namespace to namespace"
ip netns add a
ip netns add b
ip link add ba type veth peer name va netns a
ip link add bb type veth peer name vb netns b
ip link set ba up
ip link set bb up
ip -n a addr add 10.9.1.1/24 dev va
ip -n a link set va up
ip -n b addr add 10.9.1.2/24 dev vb
ip -n b link set vb up
bridge_start two -w 0 -i netmap:ba -i netmap:bb
has /tmp/two.br "^bridging netmap:ba <-> netmap:bb, zero copy,"
ip netns exec a ping -c 5 -W 2 10.9.1.2
ip netns exec b ping -c 5 -W 2 10.9.1.1
bridge_stop INT
has /tmp/two.br "^netmap:ba -> netmap:bb: [1-9][0-9]* packets .* 0 copied, 0 dropped$"
has /tmp/two.br "^netmap:bb -> netmap:ba: [1-9][0-9]* packets .* 0 copied, 0 dropped$"

step "pkt-gen: -S from SIOCGIFHWADDR, -f ping / -f pong across veth"
ip link add p0 address 02:00:00:00:0a:01 type veth peer name p1 \
    address 02:00:00:00:0a:02
ip link set p0 up
ip link set p1 up
timeout 30 ./pkt-gen -i netmap:p0 -f tx -n 10 -w 0 >/tmp/tx.out 2>&1
has /tmp/tx.out "\(02:00:00:00:0a:01 -> ff:ff:ff:ff:ff:ff\)$"
./pkt-gen -i netmap:p1 -f pong -w 0 >/tmp/pong.out 2>&1 &
pong=$!
sleep 0.5
# Without replies ping sends one a second: bounded by -n and timeout.
timeout 60 ./pkt-gen -i netmap:p0 -f ping -n 100 -w 0 >/tmp/ping.out 2>&1 ||
    { echo "FAIL: pkt-gen ping" >&2; cat /tmp/ping.out >&2; exit 1; }
kill -INT $pong
wait_pid $pong "pkt-gen pong"
cat /tmp/ping.out
has /tmp/ping.out "RTT over 100 packets: min [0-9]+ av [0-9]+"
echo "bridge-nic: ok"
