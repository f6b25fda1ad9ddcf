#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# netns.sh - VALE switches per network namespace in netmap.ko, inside the
# test VM: vale0 of two namespaces are two switches (names, listings and
# traffic apart), and a namespace that goes away takes its persistent
# ports and, with them, its switches: NM_MAX_BRIDGES (8) namespaces with a
# switch each, deleted, then 8 new ones find room.
set -eu
. ./lib.sh
nm_load

step "vale0 in two namespaces: two switches"
ip netns add nsa
ip netns add nsb
ip netns exec nsa ./vale-ctl -n pa
ip netns exec nsa ./vale-ctl -a vale0:pa
ip netns exec nsb ./vale-ctl -n pa
ip netns exec nsb ./vale-ctl -a vale0:pa
[ "$(ip netns exec nsa ./vale-ctl)" = "vale0:pa bridge_idx 0 port_idx 0" ]
[ "$(ip netns exec nsb ./vale-ctl)" = "vale0:pa bridge_idx 1 port_idx 0" ]
[ -z "$(./vale-ctl)" ]
# the interface is in the namespace of the NEWIF
ip netns exec nsa ip link show pa >/dev/null
if ip link show pa >/dev/null 2>&1; then
	echo "FAIL: nsa's pa is an interface of the initial namespace" >&2
	exit 1
fi
# a receiver in nsb would see nsa's frames as a sequence restarting
ip netns exec nsb ./nmtest recv -n 100 vale0:b >/tmp/recv.out &
rpid=$!
wait_ready /tmp/recv.out
ip netns exec nsa ./nmtest send -n 50 vale0:a
ip netns exec nsb ./nmtest send -n 100 vale0:c
wait_pid $rpid "recv in nsb"
cat /tmp/recv.out
ip netns del nsa
ip netns del nsb

step "ping through two persistent ports on a switch, between namespaces"
./vale-ctl -n ha
./vale-ctl -n hb
./vale-ctl -a vale5:ha
./vale-ctl -a vale5:hb
ip netns add h1
ip netns add h2
ip link set ha netns h1
ip link set hb netns h2
ip netns exec h1 ip addr add 10.5.0.1/24 dev ha
ip netns exec h1 ip link set ha up
ip netns exec h2 ip addr add 10.5.0.2/24 dev hb
ip netns exec h2 ip link set hb up
ip netns exec h1 ping -c 3 -W 2 10.5.0.2
# a netmap client on the switch sees the stack's frames too
./nmtest recv -g -n 1 -t 5000 vale5:watch >/tmp/watch.out 2>&1 &
wpid=$!
ip netns exec h1 ping -c 2 -W 1 10.5.0.9 >/dev/null 2>&1 || true
if wait $wpid; then
	echo "FAIL: a test receiver took an ARP request" >&2
	exit 1
fi
grep -q 'not a test frame' /tmp/watch.out || { cat /tmp/watch.out >&2;
    echo "FAIL: nothing of the stack's reached the switch" >&2; exit 1; }
# down, it is upstream's device again: nothing goes through
ip netns exec h2 ip link set hb down
if ip netns exec h1 ping -c 1 -W 1 10.5.0.2 >/dev/null 2>&1; then
	echo "FAIL: ping through a port whose interface is down" >&2
	exit 1
fi
ip netns del h1
ip netns del h2
n=0
until ./vale-ctl -d vale5:ha 2>/dev/null; do
	n=$((n + 1))
	[ $n -lt 100 ] || { echo "FAIL: ha never came back" >&2; exit 1; }
	sleep 0.1
done
./vale-ctl -d vale5:hb
./vale-ctl -r ha
./vale-ctl -r hb

step "namespaces that go take their ports and switches"
round=0
while [ $round -lt 2 ]; do
	i=0
	while [ $i -lt 8 ]; do
		ip netns add "n$round$i"
		ip netns exec "n$round$i" ./vale-ctl -n p
		# the previous round's namespaces are cleaned up
		# asynchronously: their switches free up in a while
		n=0
		until ip netns exec "n$round$i" ./vale-ctl -a vale0:p \
		    2>/tmp/err; do
			n=$((n + 1))
			[ $n -lt 100 ] || { cat /tmp/err >&2;
			    echo "FAIL: no switch for n$round$i" >&2; exit 1; }
			sleep 0.1
		done
		i=$((i + 1))
	done
	i=0
	while [ $i -lt 8 ]; do
		ip netns del "n$round$i"
		i=$((i + 1))
	done
	round=$((round + 1))
done
echo "netns: ok"
