#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# nicvirtio.sh - interfaces of a real driver as netmap ports: the guest
# has two virtio-net interfaces joined by a QEMU hub (run-vm.sh -n 2),
# put in two namespaces.  nmtest's frames from netmap:nic1 to netmap:nic2
# and back (each once, every byte; in any order: under load QEMU's hub
# was seen to swap two frames, with the guests' counters showing every
# frame sent and received once), pkt-gen tx on one and rx on the other,
# then the stack works again on both (ping through the hub).
# run-vm-args: -n 2
set -eu
. ./lib.sh

nm_load buf_num=16384
modprobe virtio_pci
modprobe virtio_net
mkdir -p /var/run
ip netns add a
ip netns add b
# the interfaces in the order of their MACs (the hub's ports 1 and 2)
for i in 1 2; do
	for d in /sys/class/net/*; do
		[ "$(cat "$d/address")" = "52:54:00:00:00:0$i" ] || continue
		ip link set "${d##*/}" name "nic$i"
	done
done
ip link set nic1 netns a
ip link set nic2 netns b
A="ip netns exec a"
B="ip netns exec b"
$A ip addr add 10.1.0.1/24 dev nic1
$B ip addr add 10.1.0.2/24 dev nic2
$A ip link set nic1 up
$B ip link set nic2 up

$A ping -c 1 -W 5 10.1.0.2 >/dev/null ||
    { echo "FAIL: no ping through the hub before netmap" >&2; exit 1; }

step "netmap:nic1 -> netmap:nic2: 1000 frames of 60 bytes, checked"
: >/tmp/nm.out
$B ./nmtest recv -u -x -n 1000 -l 60 nic2 >/tmp/nm.out 2>&1 &
rpid=$!
wait_ready /tmp/nm.out
$A ./nmtest send -w -n 1000 -l 60 nic1
wait_log $rpid /tmp/nm.out "recv on netmap:nic2"

step "netmap:nic2 -> netmap:nic1: 300 frames of 1514 bytes, checked"
: >/tmp/nm.out
$A ./nmtest recv -u -x -n 300 -l 1514 nic1 >/tmp/nm.out 2>&1 &
rpid=$!
wait_ready /tmp/nm.out
$B ./nmtest send -w -n 300 -l 1514 nic2
wait_log $rpid /tmp/nm.out "recv on netmap:nic1"

step "pkt-gen tx on netmap:nic1, pkt-gen rx on netmap:nic2"
$B timeout 60 ./pkt-gen -i netmap:nic2 -f rx -n 2000 >/tmp/pg.rx 2>&1 &
rpid=$!
sleep 1
$A ./pkt-gen -i netmap:nic1 -f tx -n 2000 -l 60 \
    -S 52:54:00:00:00:01 -D 52:54:00:00:00:02 \
    -s 10.1.0.1 -d 10.1.0.2 2>&1 | tail -n 2
wait_pid $rpid "pkt-gen rx on netmap:nic2"
tail -n 3 /tmp/pg.rx

$A ping -c 1 -W 5 10.1.0.2 >/dev/null ||
    { echo "FAIL: no ping through the hub after netmap" >&2; exit 1; }
step "nicvirtio.sh: ok"
