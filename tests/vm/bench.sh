#!/bin/sh
# bench.sh - `make bench-vm`: netmap.ko against AF_PACKET inside one VM
# boot, so that the figures compare (TCG speed varies up to ~40% from
# boot to boot; within a boot it is steady).  Rounds interleave the paths:
# pkt-gen over VALE (vale0:a -> vale0:b) and over a pipe, and bench/'s
# afp-tx/afp-rx over a veth pair, each at 60 and 1514 bytes.  The figure
# is frames delivered to the receiver per second of sending.  Prints one
# "BENCH path bytes round pps" line per run, then medians and ratios;
# tests/vm/bench-json.sh turns that into JSON on the host.
set -eu
. ./lib.sh
nm_load
SECS=${BENCH_SECS:-2}
ROUNDS=${BENCH_ROUNDS:-3}

modprobe veth
ip link add va type veth peer name vb
ip link set va up
ip link set vb up

# received FILE: the receiver's packet count.
received() {
	sed -n 's/^Received \([0-9][0-9]*\) packets.*/\1/p' "$1" | tail -n 1
}

# netmap TX-PORT RX-PORT LEN: pkt-gen for SECS seconds; prints pps.
run_netmap() {
	./pkt-gen -i "$2" -f rx >/tmp/rx.out 2>&1 &
	rx=$!
	sleep 0.3
	timeout -s INT "$SECS" ./pkt-gen -i "$1" -f tx -l "$3" \
	    >/tmp/tx.out 2>&1 || :
	sleep 0.3
	kill -INT $rx
	wait $rx || :
	show
	echo "$(received /tmp/rx.out) $SECS" | awk '{ printf "%.0f", $1 / $2 }'
}

# show: the two programs' summaries, on stderr, for the record.
show() {
	grep -h -E '^(Sent|Received) ' /tmp/tx.out /tmp/rx.out |
	    sed 's/^/    /' >&2 || :
}

run_afpacket() {
	./afp-rx -i vb -t $((SECS + 1)) >/tmp/rx.out 2>&1 &
	rx=$!
	sleep 0.3
	./afp-tx -i va -t "$SECS" -l "$1" >/tmp/tx.out 2>&1 || :
	wait $rx || :
	show
	echo "$(received /tmp/rx.out) $SECS" | awk '{ printf "%.0f", $1 / $2 }'
}

r=1
while [ $r -le "$ROUNDS" ]; do
	for len in 60 1514; do
		echo "BENCH vale $len $r $(run_netmap vale0:a vale0:b $len)"
		echo "BENCH pipe $len $r $(run_netmap 'netmap:bp{1' \
		    'netmap:bp}1' $len)"
		echo "BENCH afpacket $len $r $(run_afpacket $len)"
	done
	r=$((r + 1))
done
