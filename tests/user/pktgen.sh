#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-pktgen: many pkt-gen processes at once on one netmapd:
# txseq/rxseq pairs over three VALE switches and two pipes (one pair
# with 9000-byte frames in 5 slots), and a ping/pong pair. Pipes cannot
# lose frames; VALE drops what a full receiver ring cannot take, so VALE
# senders are rate limited and their receivers have 4096-slot rings
# (160 ms of slack at the rate) so that they keep up even on a loaded
# machine: every count must match, with no gap and nothing out of order.
. tests/user/lib.sh

PG="$O/pkt-gen"
N=100000
RATE=100000
NV=25000
VRATE=25000
NJ=5000

start_daemon
baseline

# pair NAME TX_PORT RX_PORT COUNT [extra pkt-gen args]
pair() {
	name=$1 tx=$2 rx=$3 n=$4
	shift 4
	bg timeout 20 "$PG" -i "$rx" -f rxseq -n $n -w 0 "$@" \
	    >"$T/$name.rx" 2>&1
	eval "rx_$name=$LAST"
}

pair v1 vale1:a "vale1:b@conf:slots=4096" $NV
pair v2 vale2:a "vale2:b@conf:slots=4096" $NV
pair p1 "netmap:pp1{1" "netmap:pp1}1" $N
pair p2 "netmap:pp2{1" "netmap:pp2}1" $N
# Jumbo frames are 5 slots each: a fifth of the rate fills as fast.
pair j1 vale3:a "vale3:b@conf:slots=4096" $NJ -l 9000 -F 5
bg timeout 20 "$PG" -i vale4:b -f pong -w 0 >"$T/pong" 2>&1
pong=$LAST
sleep 0.5

txs=
for p in "v1 vale1:a" "v2 vale2:a" "p1 netmap:pp1{1" "p2 netmap:pp2{1" \
    "j1 vale3:a"; do
	set -- $p
	case $1 in
	v*) extra="-n $NV -R $VRATE" ;;
	j1) extra="-n $NJ -R $((VRATE / 5)) -l 9000 -F 5" ;;
	*) extra="-n $N -R $RATE" ;;
	esac
	bg timeout 20 "$PG" -i "$2" -f txseq -w 0 $extra \
	    >"$T/$1.tx" 2>&1
	txs="$txs $LAST"
done
"$PG" -i vale4:a -f ping -n 2000 -w 0 >"$T/ping" 2>&1 ||
    fail "ping: $(cat "$T/ping")"

for p in $txs; do
	wait "$p" || fail "a sender failed"
done
for n in v1 v2 p1 p2 j1; do
	case $n in
	v*) want=$NV ;;
	j1) want=$NJ ;;
	*) want=$N ;;
	esac
	eval "wait \$rx_$n" || fail "receiver $n: $(cat "$T/$n.rx")"
	grep -q "^Received $want packets" "$T/$n.rx" ||
	    fail "receiver $n: $(tail -3 "$T/$n.rx")"
	grep -q "Sequence check: 0 gaps (0 packets missing), 0 out of order, 0 fragment" "$T/$n.rx" ||
	    fail "receiver $n: $(tail -3 "$T/$n.rx")"
	echo "$n: $(grep '^Received' "$T/$n.rx")"
done
grep -i "rtt\|min" "$T/ping" | tail -2
kill -INT "$pong"
wait "$pong"
check_baseline
stop_daemon
echo "test-netmapd-pktgen: ok"
