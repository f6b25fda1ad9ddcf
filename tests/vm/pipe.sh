#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pipe.sh - netmap pipes in netmap.ko, inside the test VM.  A pipe never
# drops: the sender waits (in poll) for the receiver to release slots, so
# every transfer here must arrive whole and in order, which exercises the
# wake-ups both ways.  Each end is its own process.
set -eu
. ./lib.sh
nm_load

xfer() {
	: >/tmp/recv.out	# wait_ready must not see the last "ready"
	./nmtest recv -n "$3" $5 "$2" >/tmp/recv.out &
	rpid=$!
	wait_ready /tmp/recv.out
	./nmtest send -w -n "$3" $4 "$1"
	wait_pid $rpid "recv on $2"
	cat /tmp/recv.out
}

step "20000 frames of 60 bytes, master -> slave, poll on both sides"
xfer 'pa{1' 'pa}1' 20000 "-l 60" "-l 60"
step "20000 frames of 60 bytes, slave -> master, epoll receiver"
xfer 'pa}2' 'pa{2' 20000 "-l 60" "-e -l 60"
step "3000 frames of 5000 bytes in 3 slots each"
xfer 'pb{1' 'pb}1' 3000 "-l 5000 -F 3" "-l 5000"
step "a pipe of a VALE port"
xfer 'vale4:p{1' 'vale4:p}1' 5000 "-l 200" "-l 200"

check_seq() {
	cat "$1"
	grep -q 'Sequence check: 0 gaps (0 packets missing), 0 out of order, 0 fragment mismatches' \
	    "$1" || { echo "FAIL: sequence check" >&2; exit 1; }
	grep -Eq "^Received $2 packets" "$1" ||
	    { echo "FAIL: not all $2 frames received" >&2; exit 1; }
}

step "pkt-gen txseq -> rxseq over a pipe"
./pkt-gen -i 'netmap:pc}1' -f rxseq -n 100000 >/tmp/pg.rx 2>&1 &
rpid=$!
sleep 0.3
./pkt-gen -i 'netmap:pc{1' -f txseq -n 100000 -l 60 2>&1 | tail -n 3
wait_pid $rpid "pkt-gen rxseq"
check_seq /tmp/pg.rx 100000

step "pkt-gen txseq -> rxseq over a pipe, 3000 bytes in 2 slots"
./pkt-gen -i 'netmap:pc}2' -f rxseq -n 20000 >/tmp/pg.rx 2>&1 &
rpid=$!
sleep 0.3
./pkt-gen -i 'netmap:pc{2' -f txseq -n 20000 -l 3000 -F 2 2>&1 | tail -n 3
wait_pid $rpid "pkt-gen rxseq"
check_seq /tmp/pg.rx 20000
echo "pipe: ok"
