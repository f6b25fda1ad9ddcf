#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# bench.sh - `make bench-vm`: netmap.ko against the kernel's own peers
# inside one VM boot, so that the figures compare (TCG speed varies up to
# ~40% from boot to boot; within a boot it is steady).  Rounds interleave
# the paths: pkt-gen over VALE (vale0:a -> vale0:b) and over a pipe, and
# the kernel's own peers over a veth pair (va -> vb): bench/'s
# afp-tx/afp-rx (AF_PACKET) and the kernel's pktgen module, each at 60
# and 1514 bytes; and pkt-gen on the interface itself (the emulated
# adapter, netmap:va), sending to vb (nictx, counted like pktgen: vb's
# rx_packets) and receiving what afp-tx sends on vb (nicrx).
# The figure is frames delivered to the receiver per second of sending.
# Prints one "BENCH path bytes round pps" line per run ("n/a" for a path
# that cannot run here, with a "BENCHNOTE path why" line);
# tests/vm/bench-json.sh turns them into medians, ratios and JSON on the
# host.
set -eu
. ./lib.sh
# NIC ports use the global allocator: 64 MB of buffers, not 320.
nm_load buf_num=32768
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

# nictx LEN: pkt-gen on netmap:va for SECS seconds; prints the pps vb's
# receive path got (its rx_packets, as for pktgen: afp-rx counts only its
# own EtherType, and pkt-gen sends IPv4/UDP).
run_nictx() {
	rx0=$(cat /sys/class/net/vb/statistics/rx_packets)
	timeout -s INT "$SECS" ./pkt-gen -i netmap:va -f tx -w 0 -l "$1" \
	    >/tmp/tx.out 2>&1 || :
	rx1=$(cat /sys/class/net/vb/statistics/rx_packets)
	: >/tmp/rx.out
	show
	echo "    vb rx_packets +$((rx1 - rx0))" >&2
	echo "$((rx1 - rx0)) $SECS" | awk '{ printf "%.0f", $1 / $2 }'
}

# sleeps PID: the times the process's threads went to sleep (woken since).
sleeps() {
	cat /proc/"$1"/task/*/status 2>/dev/null |
	    awk '/^voluntary_ctxt_switches:/ { n += $2 } END { print n + 0 }'
}

# nicrx LEN: afp-tx on vb to pkt-gen on netmap:va; prints pps received.
# Also, for the record, how often the receiver was woken (generic_mit).
run_nicrx() {
	./pkt-gen -i netmap:va -f rx -w 0 >/tmp/rx.out 2>&1 &
	rx=$!
	sleep 0.3
	w0=$(sleeps $rx)
	./afp-tx -i vb -t "$SECS" -l "$1" >/tmp/tx.out 2>&1 || :
	w1=$(sleeps $rx)
	sleep 0.3
	kill -INT $rx
	wait $rx || :
	show
	echo "    pkt-gen rx woken $((w1 - w0)) times" >&2
	echo "$(received /tmp/rx.out) $SECS" | awk '{ printf "%.0f", $1 / $2 }'
}

# pktgen (net/core/pktgen.c): pktgen.ko comes in /test/ (build.mk copies
# the guest kernel's own, decompressed).  Its thread kpktgend_0 sends on
# va to vb's MAC; the frames (IPv4/UDP to 0.0.0.0) are counted on vb's
# rx_packets, i.e. as the veth pair handed them to vb's receive path,
# where IP drops them as martians (afp-rx's frames, EtherType 0x88b5,
# are likewise dropped by the stack once the packet socket has them).
# clone_skb and burst must stay 0 and 1: veth does not advertise
# IFF_TX_SKB_SHARING, so pktgen rejects both.
PG=/proc/net/pktgen
pg_why=
# pg_set FILE COMMAND: one pktgen command; fails unless pktgen says OK.
pg_set() {
	echo "$2" >"$1" 2>/dev/null && grep -q '^Result: OK' "$1"
}
if [ ! -f ./pktgen.ko ]; then
	pg_why="no pktgen.ko for $KVER on the host"
elif ! grep -q '^pktgen ' /proc/modules &&
    ! insmod ./pktgen.ko 2>/tmp/pg.err; then
	pg_why="insmod pktgen.ko failed: $(tr '\n' ' ' </tmp/pg.err)"
elif ! pg_set $PG/kpktgend_0 rem_device_all ||
    ! pg_set $PG/kpktgend_0 "add_device va"; then
	pg_why="kpktgend_0 would not take va: $(grep Result $PG/kpktgend_0)"
else
	for c in "count 0" "clone_skb 0" "burst 1" "delay 0" \
	    "dst_mac $(cat /sys/class/net/vb/address)"; do
		pg_set $PG/va "$c" && continue
		pg_why="pktgen rejected '$c': $(grep Result $PG/va)"
		break
	done
fi
[ -z "$pg_why" ] || echo "BENCHNOTE pktgen $pg_why"

# run_pktgen LEN: pktgen for SECS seconds; prints pps received on vb.
run_pktgen() {
	pg_set $PG/va "pkt_size $1" || { echo "pktgen: pkt_size $1:" \
	    "$(grep Result $PG/va)" >&2; echo 0; return; }
	rx0=$(cat /sys/class/net/vb/statistics/rx_packets)
	echo start >$PG/pgctrl &	# returns when stopped
	pg=$!
	sleep "$SECS"
	echo stop >$PG/pgctrl
	wait $pg || :
	rx1=$(cat /sys/class/net/vb/statistics/rx_packets)
	# "Result: OK: 2000123(c1999000+d1123) usec, 123456 (60byte,0frags)"
	res=$(grep -A1 '^Result:' $PG/va | tr '\n' ' ')
	echo "    pktgen $res; vb rx_packets +$((rx1 - rx0))" >&2
	us=$(echo "$res" | sed -n 's/^Result: OK: \([0-9][0-9]*\).*/\1/p')
	[ -n "$us" ] && [ "$us" -gt 0 ] || us=$((SECS * 1000000))
	echo "$((rx1 - rx0)) $us" | awk '{ printf "%.0f", $1 * 1e6 / $2 }'
}

r=1
while [ $r -le "$ROUNDS" ]; do
	for len in 60 1514; do
		echo "BENCH vale $len $r $(run_netmap vale0:a vale0:b $len)"
		echo "BENCH pipe $len $r $(run_netmap 'netmap:bp{1' \
		    'netmap:bp}1' $len)"
		echo "BENCH afpacket $len $r $(run_afpacket $len)"
		echo "BENCH nictx $len $r $(run_nictx $len)"
		echo "BENCH nicrx $len $r $(run_nicrx $len)"
		if [ -z "$pg_why" ]; then
			echo "BENCH pktgen $len $r $(run_pktgen $len)"
		else
			echo "BENCH pktgen $len $r n/a"
		fi
	done
	r=$((r + 1))
done
