#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# nic.sh - interfaces as netmap ports (the emulated adapter), on veth
# pairs between two network namespaces: netmap:veth0 in namespace a, its
# peer veth1 in namespace b driven through AF_PACKET (nmtest afsend /
# afrecv: counts, order and every byte).
#   - pkt-gen on netmap:veth0 with explicit MACs reaches the peer;
#     nmtest's frames both ways, 60 bytes and 9000 bytes (MTU 9000,
#     5-slot NS_MOREFRAG frames) both ways;
#   - a 4-queue veth pair: 4 ring pairs, frames sent on all 4 TX rings;
#   - bad requests: an unknown interface (ENXIO), slot offsets
#     (EOPNOTSUPP), a non-Ethernet interface (EOPNOTSUPP), a ring the
#     interface does not have (EINVAL);
#   - host rings: SW, NIC_SW, ONE_SW and nr_host_tx/rx_rings; frames of
#     the host TX ring reach the stack (an AF_PACKET socket on veth0 sees
#     them come in), what the stack sends on veth0 (AF_PACKET) arrives on
#     the host RX ring, 60 and 9000 bytes; ping works both ways through
#     transparent mode (NR_FORWARD, NS_FORWARD) with nothing done but
#     releasing slots (bridge -i netmap:IFNAME: bridge-nic.sh);
#   - a frame longer than the MTU allows is dropped, not sent;
#   - while bound the stack neither receives nor sends on the interface;
#     after close, after SIGKILL mid-traffic and after `ip link del` of
#     the bound interface, the stack works again (ping), and the module
#     unloads (the harness checks).
set -eu
. ./lib.sh

nic_load
ip netns add a
ip netns add b
A="ip netns exec a"
B="ip netns exec b"

# pair NQUEUES: veth0 (10.0.0.1, in a) <-> veth1 (10.0.0.2, in b)
pair() {
	ip -n a link del veth0 2>/dev/null || :
	ip link add veth0 numtxqueues "$1" numrxqueues "$1" netns a \
	    type veth peer name veth1 numtxqueues "$1" numrxqueues "$1" \
	    netns b
	ip -n a addr add 10.0.0.1/24 dev veth0
	ip -n b addr add 10.0.0.2/24 dev veth1
	ip -n a link set veth0 up
	ip -n b link set veth1 up
}

# stack_ok: the stack of both namespaces talks over the pair again.
stack_ok() {
	$A ping -c 1 -W 5 10.0.0.2 >/dev/null ||
	    { echo "FAIL: ping a -> b: $*" >&2; exit 1; }
}

# to_peer NMTEST-SEND-ARGS -- AFRECV-ARGS: netmap:veth0 -> AF_PACKET veth1
to_peer() {
	sargs=
	while [ "$1" != -- ]; do sargs="$sargs $1"; shift; done
	shift
	: >/tmp/af.out
	$B ./nmtest afrecv "$@" veth1 >/tmp/af.out 2>&1 &
	rpid=$!
	wait_ready /tmp/af.out
	# one CPU: veth hands each frame to the backlog of the CPU that
	# sent it, so a sender that moves may see its frames reordered
	# shellcheck disable=SC2086
	$A taskset 1 ./nmtest send -w $sargs veth0
	wait_log $rpid /tmp/af.out "afrecv$*"
}

# from_peer AFSEND-ARGS -- NMTEST-RECV-ARGS: AF_PACKET veth1 -> netmap:veth0
from_peer() {
	sargs=
	while [ "$1" != -- ]; do sargs="$sargs $1"; shift; done
	shift
	: >/tmp/nm.out
	$A ./nmtest recv -x "$@" veth0 >/tmp/nm.out 2>&1 &
	rpid=$!
	wait_ready /tmp/nm.out
	# shellcheck disable=SC2086
	$B ./nmtest afsend $sargs veth1
	wait_log $rpid /tmp/nm.out "recv $*"
}

pair 1
stack_ok "before any binding"

step "pkt-gen on netmap:veth0 -> AF_PACKET on veth1, 1000 frames"
: >/tmp/af.out
$B ./nmtest afrecv -P -S 1 -D 2 -l 60 -n 1000 veth1 >/tmp/af.out 2>&1 &
rpid=$!
wait_ready /tmp/af.out
$A ./pkt-gen -i netmap:veth0 -f tx -n 1000 -l 60 \
    -S 02:00:00:00:00:01 -D 02:00:00:00:00:02 \
    -s 10.0.0.1 -d 10.0.0.2 2>&1 | tail -n 2
wait_log $rpid /tmp/af.out "afrecv of pkt-gen's frames"

step "netmap:veth0 -> veth1: 1000 frames of 60 bytes, checked"
to_peer -n 1000 -l 60 -- -n 1000 -l 60
step "veth1 -> netmap:veth0: 1000 frames of 60 bytes, checked"
from_peer -n 1000 -l 60 -- -n 1000 -l 60
# RX mitigation off, then an interval longer than the burst: frames are
# shown a quarter ring at a time, the last ones by the interval's end.
MIT=/sys/module/netmap/parameters/generic_mit
mit0=$(cat $MIT)
for mit in 0 1000000000; do
	step "the same with generic_mit=$mit"
	echo $mit >$MIT
	from_peer -n 1000 -l 60 -- -n 1000 -l 60
done
echo "$mit0" >$MIT
stack_ok "after close"

step "MTU 9000: 200 frames of 9000 bytes in 5 slots, both ways"
$A ip link set veth0 mtu 9000
$B ip link set veth1 mtu 9000
to_peer -n 200 -l 9000 -F 5 -- -n 200 -l 9000
from_peer -n 200 -l 9000 -- -n 200 -l 9000
grep -q 'in 1000 slots' /tmp/nm.out ||
    { echo "FAIL: 9000-byte frames not in 5 slots each" >&2; exit 1; }
step "a frame longer than the MTU is not sent"
$A ip link set veth0 mtu 1500
: >/tmp/af.out
$B ./nmtest afrecv -n 1 -l 1500 -t 3000 veth1 >/tmp/af.out 2>&1 &
rpid=$!
wait_ready /tmp/af.out
$A ./nmtest send -w -n 1 -l 2000 -F 1 veth0
$A ./nmtest send -w -n 1 -l 1500 veth0
wait_log $rpid /tmp/af.out "afrecv after an oversize frame"
$B ip link set veth1 mtu 1500
stack_ok "after the MTU tests"

step "bad requests"
$A ./nmtest nicerr veth0

step "host rings: modes and counts"
$A ./nmtest nichost veth0
step "host TX ring -> veth0's stack: 1000 frames of 60 bytes, checked"
: >/tmp/af.out
$A ./nmtest afrecv -n 1000 -l 60 veth0 >/tmp/af.out 2>&1 &
rpid=$!
wait_ready /tmp/af.out
$A taskset 1 ./nmtest send -w -n 1000 -l 60 'veth0^'
wait_log $rpid /tmp/af.out "afrecv of the host TX ring's frames"
step "veth0's stack -> host RX ring: 1000 frames of 60 bytes, checked"
: >/tmp/nm.out
$A ./nmtest recv -x -n 1000 -l 60 'veth0^' >/tmp/nm.out 2>&1 &
rpid=$!
wait_ready /tmp/nm.out
$A ./nmtest afsend -n 1000 -l 60 veth0
wait_log $rpid /tmp/nm.out "recv on the host RX ring"
step "host rings at MTU 9000: 200 frames of 9000 bytes both ways"
$A ip link set veth0 mtu 9000
: >/tmp/af.out
$A ./nmtest afrecv -n 200 -l 9000 veth0 >/tmp/af.out 2>&1 &
rpid=$!
wait_ready /tmp/af.out
$A taskset 1 ./nmtest send -w -n 200 -l 9000 -F 5 'veth0^'
wait_log $rpid /tmp/af.out "afrecv of 9000-byte frames from the host TX ring"
: >/tmp/nm.out
$A ./nmtest recv -x -n 200 -l 9000 'veth0^' >/tmp/nm.out 2>&1 &
rpid=$!
wait_ready /tmp/nm.out
$A ./nmtest afsend -n 200 -l 9000 veth0
wait_log $rpid /tmp/nm.out "recv of 9000-byte frames on the host RX ring"
$A ip link set veth0 mtu 1500

step "ping both ways through transparent mode"
$A ip neigh flush dev veth0
: >/tmp/fwd.out
$A ./nmtest transparent veth0 >/tmp/fwd.out 2>&1 &
fpid=$!
wait_ready /tmp/fwd.out
$A ping -c 3 -W 5 10.0.0.2 >/dev/null ||
    { echo "FAIL: ping a -> b through transparent mode" >&2; exit 1; }
$B ping -c 3 -W 5 10.0.0.1 >/dev/null ||
    { echo "FAIL: ping b -> a through transparent mode" >&2; exit 1; }
kill -TERM $fpid
wait_pid $fpid "transparent"
stack_ok "after the host rings"

step "while bound, the stack is off the interface"
: >/tmp/nm.out
$A ./nmtest recv -x -n 0 -t 0 veth0 >/tmp/nm.out 2>&1 &
rpid=$!
wait_ready /tmp/nm.out
if $A ping -c 1 -W 1 10.0.0.2 >/dev/null 2>&1; then
	echo "FAIL: ping through a bound interface" >&2
	exit 1
fi
kill -TERM $rpid
wait_pid $rpid "recv until killed"
stack_ok "after the receiver's close"

step "SIGKILL mid-traffic (sender and receiver), then the stack again"
$A ./nmtest send -n 0 -l 60 veth0 >/dev/null 2>&1 &
spid=$!
$B ./nmtest afsend -n 1000000 -l 60 veth1 >/dev/null 2>&1 &
apid=$!
sleep 1
$A ./nmtest recv -x -g -n 0 -t 0 veth0 >/dev/null 2>&1 &
rpid=$!
sleep 1
kill -KILL $spid $rpid
kill -KILL $apid
wait $spid $rpid $apid 2>/dev/null || :
stack_ok "after SIGKILL"

step "ip link del of the bound interface"
$A ./nmtest send -n 0 -l 60 veth0 >/tmp/send.out 2>&1 &
spid=$!
: >/tmp/nm.out
$A ./nmtest recv -x -g -n 0 -t 0 veth0 >/tmp/nm.out 2>&1 &
rpid=$!
wait_ready /tmp/nm.out
sleep 1
ip -n a link del veth0
sleep 1
kill -0 $spid $rpid ||
    { echo "FAIL: a process bound to a deleted interface died" >&2;
    exit 1; }
kill -TERM $spid $rpid
wait_pid $spid "send to a deleted interface"
wait_pid $rpid "recv from a deleted interface"
pair 1
stack_ok "a new veth0 after the deletion"
step "the new veth0 is a new port"
to_peer -n 100 -l 60 -- -n 100 -l 60

step "4 queues: 4 ring pairs, frames on each TX ring"
pair 4
stack_ok "a 4-queue pair"
$A ./nmtest nicrings veth0 4 4
to_peer -q -n 1000 -l 60 -- -u -n 1000 -l 60
from_peer -n 1000 -l 60 -- -n 1000 -l 60
stack_ok "after the 4-queue tests"
step "nic.sh: ok"
