#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# bridge.sh - apps/bridge over netmap.ko, inside the test VM: the copy
# path (pipes of two parents, two VALE switches) and the zero-copy path
# (two pipes of one parent), both ways at once, with multi-slot frames
# through small rings and bursts, and -L on a pipe end; every byte
# checked by nmtest recv (pkt-gen rxseq for -L), and the path that ran
# read from bridge's totals (slots swapped against slots copied).  The same cases run against netmapd in
# tests/user/bridge.sh.  NIC and host-ring cases: bridge-nic.sh.
set -eu
. ./lib.sh
nm_load

# recv_start NAME ARGS...: a checking receiver, ready before we go on.
recv_start() {
	rname=$1
	shift
	: >"/tmp/$rname.rx"
	./nmtest recv "$@" >"/tmp/$rname.rx" 2>&1 &
	eval "rx_$rname=$!"
	wait_ready "/tmp/$rname.rx"
}

# recv_wait NAME COUNT BYTES: every frame arrived, each intact.
recv_wait() {
	eval "wait_pid \$rx_$1 \"receiver $1\""
	grep -q ": $2 frames, $3 bytes" "/tmp/$1.rx" ||
	    { echo "FAIL: receiver $1" >&2; cat "/tmp/$1.rx" >&2; exit 1; }
	tail -n 1 "/tmp/$1.rx"
}

# has FILE PATTERN: a line of FILE matches, or the test fails.
has() {
	grep -q -- "$2" "$1" ||
	    { echo "FAIL: no '$2' in $1:" >&2; cat "$1" >&2; exit 1; }
}

# totals FROM TO LINE: bridge's end line for that direction.
totals() {
	grep -qF "$1 -> $2: $3" "/tmp/$bname.br" ||
	    { echo "FAIL: $bname: no '$1 -> $2: $3'" >&2; exit 1; }
}

step "copy: pipes of two parents, both ways, 60 B and 3-slot frames"
A='netmap:ba{1' B='netmap:bb{1'
bridge_start copy -w 0 -i "$A" -i "$B"
has /tmp/copy.br ", copy, burst 1024$"
recv_start c1 -n 20000 -l 60 'bb}1'
recv_start c2 -n 3000 -l 5000 'ba}1'
./nmtest send -w -n 3000 -l 5000 -F 3 'bb}1' >/dev/null &
s2=$!
./nmtest send -w -n 20000 -l 60 'ba}1' >/dev/null
wait_pid $s2 "sender c2"
recv_wait c1 20000 1200000
recv_wait c2 3000 15000000
bridge_stop INT
totals "$A" "$B" "20000 packets 1200000 bytes, 0 slots swapped, 20000 copied, 0 dropped"
totals "$B" "$A" "3000 packets 15000000 bytes, 0 slots swapped, 9000 copied, 0 dropped"

step "zero copy: pipes of one parent, both ways, 10-slot frames," \
    "64-slot rings, burst 7"
A='netmap:bz{1@conf:slots=64' B='netmap:bz{2@conf:slots=64'
bridge_start zc -w 0 -b 7 -i "$A" -i "$B"
has /tmp/zc.br ", zero copy, burst 7$"
recv_start z1 -n 5000 -l 200 'bz}2'
recv_start z2 -n 2000 -l 9000 'bz}1'
./nmtest send -w -n 2000 -l 9000 -F 10 'bz}2' >/dev/null &
s2=$!
./nmtest send -w -n 5000 -l 200 'bz}1' >/dev/null
wait_pid $s2 "sender z2"
recv_wait z1 5000 1000000
recv_wait z2 2000 18000000
bridge_stop TERM
totals "$A" "$B" "5000 packets 1000000 bytes, 5000 slots swapped, 0 copied, 0 dropped"
totals "$B" "$A" "2000 packets 18000000 bytes, 20000 slots swapped, 0 copied, 0 dropped"

# VALE ends a TX sync's trailing chain that has no last slot, so a frame
# split across two syncs would arrive cut; 140 frames of 7 slots fit
# the 1024-slot RX rings on the way, so VALE has no reason to drop.
step "copy between VALE switches, 7-slot frames into a 32-slot ring"
A='vale1:b@conf:tx-slots=32' B='vale2:b@conf:tx-slots=32'
bridge_start vale -w 0 -b 5 -i "$A" -i "$B"
recv_start v1 -n 140 -l 7000 vale2:r
./nmtest send -n 140 -l 7000 -F 7 vale1:s >/dev/null
recv_wait v1 140 980000
bridge_stop INT
totals "$A" "$B" "140 packets 980000 bytes, 0 slots swapped, 980 copied, 0 dropped"

step "-L: a pipe end sends back what it receives (pkt-gen /T and /R)"
A='netmap:bl{1'
bridge_start loop -w 0 -L -i "$A"
./pkt-gen -i 'netmap:bl}1/R' -f rxseq -n 20000 -w 0 >/tmp/loop.rx 2>&1 &
lrx=$!
sleep 0.3
./pkt-gen -i 'netmap:bl}1/T' -f txseq -n 20000 -l 3000 -F 2 -w 0 \
    >/tmp/loop.tx 2>&1
wait_pid $lrx "pkt-gen rxseq"
has /tmp/loop.rx "^Received 20000 packets 60000000 bytes"
has /tmp/loop.rx "Sequence check: 0 gaps (0 packets missing), 0 out of order, 0 fragment mismatches"
bridge_stop INT
totals "$A" "$A" "20000 packets 60000000 bytes, 40000 slots swapped, 0 copied, 0 dropped"

step "one port: its host rings, which a VALE port has not"
if ./bridge -w 0 -i vale3:x >/tmp/host.out 2>&1; then
	echo "FAIL: bridge on the host rings of a VALE port" >&2
	exit 1
fi
has /tmp/host.out 'cannot open vale3:x^$'
echo "bridge: ok"
