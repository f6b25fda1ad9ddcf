#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# valenic.sh - interfaces on a VALE switch (VALE_ATTACH of an interface):
# veth0 of the initial namespace on vale0, its peer veth1 in namespace b
# driven through AF_PACKET (nmtest afsend / afrecv: counts, order and
# every byte), the switch's other ports netmap clients.
#   - every request with its errno (nmtest valenic);
#   - vale-ctl -a: a VALE port's frames leave by veth0 (pkt-gen, nmtest:
#     60 bytes and, at MTU 9000, 9000 bytes in 5 slots) and what veth1
#     sends reaches the VALE port; the stack is off veth0 (ping fails);
#   - vale-ctl -h: the host stack is a second port, ping goes both ways
#     through the switch, and checked frames between veth0's stack
#     (AF_PACKET on veth0) and a VALE port;
#   - polling mode (vale-ctl -p/-P), single CPU and, on a 2-queue pair,
#     multi CPU: threads forward with no client of the interface, and
#     are gone after -P;
#   - 20 cycles of attach (-a or -h), polling on and off, detach while
#     a VALE port and veth1 send at full speed;
#   - `ip link del` of an attached, polled interface: it leaves the
#     switch and its threads stop; SIGKILL of VALE clients mid-traffic;
#     rmmod with an interface attached and polled, after which veth0's
#     stack works again;
#   - a namespace going away lets go of the (virtio, -n 1) interface its
#     switch had: back in the initial namespace it binds again.
# run-vm-args: -c 4 -n 1
set -eu
. ./lib.sh

nic_load
ip netns add b
B="ip netns exec b"

# pair NQUEUES: veth0 (10.0.0.1) <-> veth1 (10.0.0.2, in b)
pair() {
	ip link del veth0 2>/dev/null || :
	ip link add veth0 numtxqueues "$1" numrxqueues "$1" type veth \
	    peer name veth1 numtxqueues "$1" numrxqueues "$1" netns b
	ip addr add 10.0.0.1/24 dev veth0
	$B ip addr add 10.0.0.2/24 dev veth1
	ip link set veth0 up
	$B ip link set veth1 up
}

# to_peer NMTEST-SEND-ARGS -- AFRECV-ARGS: vale0:p -> AF_PACKET veth1
to_peer() {
	sargs=
	while [ "$1" != -- ]; do sargs="$sargs $1"; shift; done
	shift
	: >/tmp/af.out
	$B ./nmtest afrecv "$@" veth1 >/tmp/af.out 2>&1 &
	rpid=$!
	wait_ready /tmp/af.out
	# shellcheck disable=SC2086
	taskset 1 ./nmtest send -w $sargs vale0:p
	wait_log $rpid /tmp/af.out "afrecv$*"
}

# from_peer AFSEND-ARGS -- NMTEST-RECV-ARGS: AF_PACKET veth1 -> vale0:p
from_peer() {
	sargs=
	while [ "$1" != -- ]; do sargs="$sargs $1"; shift; done
	shift
	: >/tmp/nm.out
	./nmtest recv -x "$@" vale0:p >/tmp/nm.out 2>&1 &
	rpid=$!
	wait_ready /tmp/nm.out
	# shellcheck disable=SC2086
	$B ./nmtest afsend $sargs veth1
	wait_log $rpid /tmp/nm.out "recv $*"
}

# pollers N: N polling threads, no more, no fewer.
pollers() {
	n=$(ps | grep -c '[n]etmap-poll/' || :)
	[ "$n" -eq "$1" ] ||
	    { echo "FAIL: $n polling threads, expected $1" >&2; ps >&2;
	    exit 1; }
}

# no_ping WHY: the stack cannot reach the peer.
no_ping() {
	if ping -c 1 -W 1 10.0.0.2 >/dev/null 2>&1; then
		echo "FAIL: ping went through: $*" >&2
		exit 1
	fi
}

pair 1
ping -c 1 -W 5 10.0.0.2 >/dev/null

step "requests and their errnos"
./nmtest valenic vale0 veth0
[ -z "$(./vale-ctl)" ]

step "vale-ctl -a; pkt-gen on vale0:pg -> AF_PACKET on veth1, 1000 frames"
./vale-ctl -a vale0:veth0
[ "$(./vale-ctl)" = "vale0:veth0 bridge_idx 0 port_idx 0" ]
./vale-ctl -l vale0:veth0 | grep -qx 'port_idx: *0'
if ./vale-ctl -a vale0:veth0 2>/tmp/err; then
	echo "FAIL: a second vale-ctl -a succeeded" >&2
	exit 1
fi
grep -q 'Device or resource busy' /tmp/err
: >/tmp/af.out
$B ./nmtest afrecv -P -S 1 -D 2 -l 60 -n 1000 veth1 >/tmp/af.out 2>&1 &
rpid=$!
wait_ready /tmp/af.out
./pkt-gen -i vale0:pg -f tx -n 1000 -l 60 \
    -S 02:00:00:00:00:01 -D 02:00:00:00:00:02 \
    -s 10.0.0.1 -d 10.0.0.2 2>&1 | tail -n 2
wait_log $rpid /tmp/af.out "afrecv of pkt-gen's frames"

step "vale0:p -> veth1: 1000 frames of 60 bytes, checked"
to_peer -n 1000 -l 60 -- -n 1000 -l 60
step "veth1 -> vale0:p: 1000 frames of 60 bytes, checked"
from_peer -n 1000 -l 60 -- -n 1000 -l 60
step "MTU 9000: 200 frames of 9000 bytes in 5 slots, both ways"
ip link set veth0 mtu 9000
$B ip link set veth1 mtu 9000
to_peer -n 200 -l 9000 -F 5 -- -n 200 -l 9000
from_peer -n 200 -l 9000 -- -n 200 -l 9000
ip link set veth0 mtu 1500
$B ip link set veth1 mtu 1500
step "without -h the stack is off the interface"
no_ping "veth0 attached without its host stack"

step "vale-ctl -h: ping both ways through the switch"
./vale-ctl -d vale0:veth0
[ -z "$(./vale-ctl)" ]
./vale-ctl -h vale0:veth0
./vale-ctl | grep -qx 'vale0:veth0 bridge_idx 0 port_idx 0'
./vale-ctl | grep -qx 'vale0:veth0^ bridge_idx 0 port_idx 1'
ip neigh flush dev veth0
ping -c 3 -W 5 10.0.0.2 >/dev/null ||
    { echo "FAIL: ping veth0 -> veth1 through vale0" >&2; exit 1; }
$B ping -c 3 -W 5 10.0.0.1 >/dev/null ||
    { echo "FAIL: ping veth1 -> veth0 through vale0" >&2; exit 1; }
from_peer -n 1000 -l 60 -- -n 1000 -l 60
step "-h: veth0's stack (AF_PACKET) <-> vale0:p, 1000 checked frames each way"
: >/tmp/nm.out
./nmtest recv -x -n 1000 -l 60 vale0:p >/tmp/nm.out 2>&1 &
rpid=$!
wait_ready /tmp/nm.out
./nmtest afsend -n 1000 -l 60 veth0
wait_log $rpid /tmp/nm.out "recv of the stack's frames"
: >/tmp/af.out
./nmtest afrecv -n 1000 -l 60 veth0 >/tmp/af.out 2>&1 &
rpid=$!
wait_ready /tmp/af.out
taskset 1 ./nmtest send -w -n 1000 -l 60 vale0:p
wait_log $rpid /tmp/af.out "afrecv of the host port's frames"

step "polling, single CPU: forwards with no client of veth0"
pollers 0
# vale-ctl's errors, as upstream's: the kernel's errno in its words
./vale-ctl -P vale0:veth0 2>/tmp/err && exit 1
grep -qx 'failed to disable polling on vale0:veth0: Bad address' /tmp/err
./vale-ctl -p vale0:veth0 -C 1,0,9 2>/tmp/err && exit 1
grep -qx 'failed to enable polling on vale0:veth0: Invalid argument' /tmp/err
./vale-ctl -d vale0:nosuch 2>/tmp/err && exit 1
grep -qx 'failed to detach vale0:nosuch: No such device or address' /tmp/err
./vale-ctl -p vale0:veth0
pollers 1
from_peer -n 1000 -l 60 -- -n 1000 -l 60
to_peer -n 1000 -l 60 -- -n 1000 -l 60
ping -c 2 -W 5 10.0.0.2 >/dev/null ||
    { echo "FAIL: ping with polling" >&2; exit 1; }
if ./vale-ctl -d vale0:veth0 2>/tmp/err; then
	echo "FAIL: vale-ctl -d while polling succeeded" >&2
	exit 1
fi
grep -q 'Device or resource busy' /tmp/err
./vale-ctl -P vale0:veth0
pollers 0
from_peer -n 100 -l 60 -- -n 100 -l 60

step "polling, multi CPU on a 2-queue pair: a thread per ring"
./vale-ctl -d vale0:veth0
pair 2
./vale-ctl -a vale0:veth0
./vale-ctl -p vale0:veth0 -C 1,0,2
pollers 2
from_peer -n 1000 -l 60 -- -n 1000 -l 60
to_peer -n 1000 -l 60 -- -n 1000 -l 60
./vale-ctl -P vale0:veth0
pollers 0

step "attach, poll, unpoll, detach 20 times under traffic both ways"
./vale-ctl -d vale0:veth0
./nmtest send -n 0 -l 60 vale0:t >/dev/null 2>&1 &
tpid=$!
$B ./nmtest afsend -n 100000000 -l 60 veth1 >/dev/null 2>&1 &
apid=$!
i=0
while [ $i -lt 20 ]; do
	if [ $((i % 2)) = 0 ]; then
		./vale-ctl -h vale0:veth0
	else
		./vale-ctl -a vale0:veth0
	fi
	[ $((i % 3)) = 0 ] || ./vale-ctl -p vale0:veth0 -C 1,0,2
	[ $((i % 3)) = 0 ] || ./vale-ctl -P vale0:veth0
	./vale-ctl -d vale0:veth0
	i=$((i + 1))
done
kill -0 $tpid && kill -0 $apid ||
    { echo "FAIL: a sender died during the cycles" >&2; exit 1; }
kill -TERM $tpid $apid
wait $tpid $apid 2>/dev/null || :
pollers 0
[ "$(./vale-ctl)" = "" ]

step "ip link del of an attached, polled interface"
./vale-ctl -a vale0:veth0
./vale-ctl -p vale0:veth0 -C 1,0,2
pollers 2
ip link del veth0
[ -z "$(./vale-ctl)" ]
pollers 0

step "a namespace goes: its switch lets go of a (virtio) interface"
modprobe virtio_pci
modprobe virtio_net
nic=$(basename "$(dirname "$(grep -l 52:54:00:00:00:01 \
    /sys/class/net/*/address)")")
ip netns add c
ip link set "$nic" netns c
ip netns exec c ./vale-ctl -a "vale0:$nic"
ip netns exec c ./vale-ctl -p "vale0:$nic"
pollers 1
ip netns del c
# the kernel gives the interface back to the initial namespace
n=0
until ip link show "$nic" >/dev/null 2>&1; do
	n=$((n + 1))
	[ $n -lt 100 ] || { echo "FAIL: $nic never came back" >&2; exit 1; }
	sleep 0.05
done
pollers 0
./nmtest nicrings "$nic" 1 1

step "SIGKILL of VALE clients mid-traffic, then rmmod with veth0 attached"
pair 1
./vale-ctl -h vale0:veth0
./vale-ctl -p vale0:veth0
./nmtest send -n 0 -l 60 vale0:k >/tmp/k.out 2>&1 &
spid=$!
./pkt-gen -i vale0:r -f rx >/tmp/r.out 2>&1 &
kpid=$!
$B ./nmtest afsend -n 1000000 -l 60 veth1 >/dev/null 2>&1 &
apid=$!
sleep 1
kill -KILL $spid $kpid || { cat /tmp/k.out /tmp/r.out >&2; exit 1; }
wait $spid $kpid 2>/dev/null || :
kill -KILL $apid
wait $apid 2>/dev/null || :
./vale-ctl | grep -qx 'vale0:veth0 bridge_idx 0 port_idx 0'
rmmod netmap
pollers 0
ip neigh flush dev veth0
ping -c 1 -W 5 10.0.0.2 >/dev/null ||
    { echo "FAIL: veth0's stack after rmmod" >&2; exit 1; }
echo "valenic: ok"
