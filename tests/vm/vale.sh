#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# vale.sh - VALE in netmap.ko, inside the test VM: the learning switch,
# lossless transfers with every byte checked (one slot and multi-slot
# frames, poll and epoll receivers), then pkt-gen txseq/rxseq streams,
# where a full receiver ring may drop but nothing may be reordered or
# damaged.  Each sender and receiver is its own process.
set -eu
. ./lib.sh
nm_load

step "4-port learning switch: flooding, learning, unicast"
./nmtest learn vale1

# xfer PORT-A PORT-B COUNT SEND-ARGS RECV-ARGS: one checked transfer.
xfer() {
	: >/tmp/recv.out	# wait_ready must not see the last "ready"
	./nmtest recv -n "$3" $5 "$2" >/tmp/recv.out &
	rpid=$!
	wait_ready /tmp/recv.out
	./nmtest send -n "$3" $4 "$1"
	wait_pid $rpid "recv on $2"
	cat /tmp/recv.out
}

# Counts that fit the receiver's ring (1024 slots): nothing may be lost.
step "1000 frames of 60 bytes, poll receiver"
xfer vale2:a vale2:b 1000 "-l 60" "-l 60"
step "1000 frames of 1514 bytes, epoll receiver"
xfer vale2:a vale2:b 1000 "-l 1514" "-e -l 1514"
step "300 frames of 5000 bytes in 3 slots each"
xfer vale2:a vale2:b 300 "-l 5000 -F 3" "-l 5000"
step "100 frames of 16000 bytes in 10 slots each"
xfer vale2:c vale2:d 100 "-l 16000 -F 10" "-l 16000"

# check_seq FILE: pkt-gen's receiver saw frames, in order, undamaged.
check_seq() {
	cat "$1"
	grep -q 'Sequence check: .* 0 out of order, 0 fragment mismatches' \
	    "$1" || { echo "FAIL: sequence check" >&2; exit 1; }
	grep -Eq '^Received [1-9][0-9]* packets' "$1" ||
	    { echo "FAIL: nothing received" >&2; exit 1; }
}

step "pkt-gen txseq -> rxseq over VALE, 60 bytes"
./pkt-gen -i vale3:b -f rxseq -W >/tmp/pg.rx 2>&1 &
rpid=$!
sleep 0.3
./pkt-gen -i vale3:a -f txseq -n 50000 -l 60 2>&1 | tail -n 3
wait_pid $rpid "pkt-gen rxseq"
check_seq /tmp/pg.rx

step "pkt-gen txseq -> rxseq over VALE, 4000 bytes in 2 slots"
./pkt-gen -i vale3:d -f rxseq -W >/tmp/pg.rx 2>&1 &
rpid=$!
sleep 0.3
./pkt-gen -i vale3:c -f txseq -n 10000 -l 4000 -F 2 2>&1 | tail -n 3
wait_pid $rpid "pkt-gen rxseq"
check_seq /tmp/pg.rx
echo "vale: ok"
