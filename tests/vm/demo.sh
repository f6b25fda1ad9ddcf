#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# demo.sh - `make demo-vm`: netmap.ko at work inside the VM.  pkt-gen
# sends on vale0:a for about 5 s while another pkt-gen receives on
# vale0:b, both printing their rate lines; then the same over a netmap
# pipe (demo{1 -> demo}1), and through bridge between two pipes of one
# parent (zero copy), with bridge's rate lines too.  Under TCG the figures are 10-100x below what
# the same kernel does on hardware.
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
step "done"
