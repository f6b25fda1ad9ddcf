#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# demo.sh - `make demo-vm`: netmap.ko at work inside the VM.  pkt-gen
# sends on vale0:a for about 5 s while another pkt-gen receives on
# vale0:b, both printing their rate lines; then the same over a netmap
# pipe (demo{1 -> demo}1), and through bridge between two pipes of one
# parent (zero copy), with bridge's rate lines too.  Then interfaces (the
# emulated adapter): pkt-gen from one end of a veth pair to the other,
# and bridge -i netmap:veth0 (the interface and its host rings) carrying
# a ping from the host stack to the peer in its own namespace.  Under TCG
# the figures are 10-100x below what the same kernel does on hardware.
set -eu
. ./lib.sh
nm_load

# prefix TEXT: copies stdin to stdout a line at a time, each after TEXT.
prefix() {
	while IFS= read -r line; do
		printf '%s%s\n' "$1" "$line"
	done
}

# demo TX-PORT RX-PORT TITLE
demo() {
	step "$3"
	./pkt-gen -i "$2" -f rx 2>&1 | prefix '  rx | ' &
	sleep 0.5
	timeout -s INT 5 ./pkt-gen -i "$1" -f tx -l 60 2>&1 |
	    prefix '  tx | ' || :
	sleep 1.2
	killall -INT pkt-gen 2>/dev/null || :
	wait
}

demo vale0:a vale0:b "VALE: pkt-gen -f tx -i vale0:a  ->  pkt-gen -f rx -i vale0:b"
demo 'netmap:demo{1' 'netmap:demo}1' \
    "pipe: pkt-gen -f tx -i netmap:demo{1  ->  pkt-gen -f rx -i netmap:demo}1"
step "bridge: pkt-gen -f tx -i netmap:br}1  ->  bridge netmap:br{1 <-> netmap:br{2  ->  pkt-gen -f rx -i netmap:br}2"
./bridge -w 0 -i 'netmap:br{1' -i 'netmap:br{2' 2>&1 | prefix '  br | ' &
sleep 0.5
./pkt-gen -i 'netmap:br}2' -f rx 2>&1 | prefix '  rx | ' &
sleep 0.5
timeout -s INT 5 ./pkt-gen -i 'netmap:br}1' -f tx -l 60 2>&1 |
    prefix '  tx | ' || :
sleep 1.2
killall -INT pkt-gen bridge 2>/dev/null || :
wait

modprobe veth
ip link add veth0 type veth peer name veth1
ip link set veth0 up
ip link set veth1 up
demo netmap:veth0 netmap:veth1 \
    "veth: pkt-gen -f tx -i netmap:veth0  ->  pkt-gen -f rx -i netmap:veth1"

step "bridge -i netmap:veth0 (NIC <-> host rings): ping 10.9.0.2 via it"
mkdir -p /var/run/netns
ip netns add peer
ip link set veth1 netns peer
ip addr add 10.9.0.1/24 dev veth0
ip -n peer addr add 10.9.0.2/24 dev veth1
ip -n peer link set veth1 up
./bridge -w 0 -i netmap:veth0 2>&1 | prefix '  br | ' &
sleep 1
ping -c 5 -W 2 10.9.0.2 2>&1 | prefix '  ping | ' || :
sleep 1.2
killall -INT bridge 2>/dev/null || :
wait
step "done"
