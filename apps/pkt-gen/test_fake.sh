#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Data path tests of pkt-gen against the stand-in port of test_fakeport.c
# (no netmap backend needed).  The stand-in checks every transmitted
# frame and prints its totals as a "fake: ..." line at exit; we check
# that line and pkt-gen's own output.
# usage: test_fake.sh path/to/pkt-gen-fake

PG=${1:?usage: test_fake.sh pkt-gen-fake}

# run NAME [VAR=value...] -- pkt-gen arguments
run() {
	name=$1
	shift
	cases=$((cases + 1))
	vars=
	while [ "$1" != "--" ]; do
		vars="$vars $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	env $vars timeout 60 "$PG" "$@" >"$T/out" 2>&1
	rc=$?
}

# T, fails, cases; fail, expect, expect_rc, check_end
. "$(dirname "$0")/../../tests/lib/check.sh"

clean_tx() {
	expect "fake: tx_pkts $1 .*bad 0 seq_err 0 no_report 0"
}

run "tx count" -- -i vale0:a -f tx -n 10000
expect_rc 0
expect "^Sending on vale0:a: 1 queues, 1 threads and 1 cpus\.$"
expect "^10\.0\.0\.1 -> 10\.1\.0\.1 \(.* -> ff:ff:ff:ff:ff:ff\)$"
expect "^Sent 10000 packets 600000 bytes [0-9]+ events 60 bytes each in [0-9.]+ seconds\.$"
expect "^Speed: [0-9.]+ [KMG]?pps Bandwidth: [0-9.]+ [KMG]?bps \(raw [0-9.]+ [KMG]?bps\)\. Average batch: [0-9.]+ pkts$"
clean_tx 10000

run "name without prefix" -- -i eth9 -f tx -n 10 -w 0
expect_rc 0
expect "^Sending on netmap:eth9: 1 queues"

run "netmapd's note on the port" "FAKE_NOTE=eth9:_AF_XDP_copy" -- \
    -i eth9 -f tx -n 10 -w 0
expect_rc 0
expect "^[0-9.]+ eth9:_AF_XDP_copy$"

run "txseq with fragments" FAKE_CHECK_SEQ=1 -- -i vale0:a -f txseq -n 5000 -F 3 -l 1000
expect_rc 0
expect "^Sent 5000 packets 5000000 bytes"
clean_tx 5000

run "frames larger than a buffer" -- -i vale0:a -f tx -n 2000 -l 9000
expect_rc 0
expect "fake: tx_pkts 2000 tx_bytes 18000000 bad 0 seq_err 0 no_report 0"

run "fragment size" -- -i vale0:a -f tx -n 300 -l 1000 -F 2 -M 100
expect_rc 0
expect "fake: tx_pkts 300 tx_bytes 300000 bad 0"

run "random sizes and addresses" -- -i vale0:a -f tx -n 20000 -z -Z \
    -l 60 -l 1500 -s 10.0.0.1:1-10.0.0.9:5 -d 10.1.0.1:7-10.1.0.2:8
expect_rc 0
expect "^Sent 20000 packets"
clean_tx 20000

run "ipv6" FAKE_CHECK_SEQ=1 -- -i vale0:a -f txseq -6 -n 3000 -Z -l 100
expect_rc 0
clean_tx 3000

run "virtio-net header from the port" FAKE_VH=12 -- -i vale0:a -f tx -n 100
expect_rc 0
expect "Port requires virtio-net header, length = 12"
expect "fake: tx_pkts 100 tx_bytes 7200 bad 0"

run "virtio-net header by -H" FAKE_VH=10 -- -i vale0:a -f tx -n 100 -H 10
expect_rc 0
expect "fake: tx_pkts 100 tx_bytes 7000 bad 0"

run "rx count" FAKE_RX_COUNT=1000 -- -i vale0:a -f rx -n 1000
expect_rc 0
expect "^Receiving from vale0:a: 1 queues, 1 threads and 1 cpus\.$"
expect "^Received 1000 packets 60000 bytes [0-9]+ events 60 bytes each in"

run "rxseq with a hole and a swap" FAKE_RX_COUNT=1000 FAKE_RX_SKIP=100 \
    FAKE_RX_SWAP=500 FAKE_RX_FRAGS=3 -- -i vale0:a -f rxseq -n 1000
expect_rc 0
expect "Sequence GAP: exp 100 found 105"
expect "^Received 1000 packets"
expect "^Sequence check: 3 gaps \(7 packets missing\), 1 out of order, 0 fragment mismatches\.$"

run "rxseq clean" FAKE_RX_COUNT=50000 FAKE_RX_FRAGS=2 -- -i vale0:a -f rxseq -n 50000
expect_rc 0
expect "^Sequence check: 0 gaps \(0 packets missing\), 0 out of order, 0 fragment mismatches\.$"

run "rx exits when idle" FAKE_RX_COUNT=500 -- -i vale0:a -f rx -W
expect_rc 0
expect "^Received 500 packets"

run "threads tx" FAKE_RINGS=4 -- -i vale0:a -f tx -n 100001 -p 4
expect_rc 0
expect "^Sending on vale0:a: 4 queues, 4 threads and 1 cpus\.$"
expect "^Sent 100001 packets"
clean_tx 100001

run "threads rx" FAKE_RINGS=2 FAKE_RX_COUNT=5000 -- -i vale0:a -f rx -p 2 -n 10000
expect_rc 0
expect "^Received 10000 packets"

run "threads rx, one busy ring" FAKE_RINGS=2 FAKE_RX_RINGS=1 FAKE_RX_COUNT=3000 \
    -- -i vale0:a -f rx -p 2 -n 3000
expect_rc 0
expect "^Received 3000 packets"

run "too many threads" FAKE_RINGS=2 -- -i vale0:a -f tx -p 3
expect_rc 1
expect "bad nthreads 3, have 2 queues"

run "drain gives up" FAKE_TX_HOLD=1 -- -i vale0:a -f tx -n 100
expect_rc 0
expect "slots still pending"
expect "^Sent 100 packets"

run "ping" FAKE_ECHO=1 -- -i vale0:a -f ping -n 100
expect_rc 0
expect "^Working on vale0:a: 1 queues, 1 threads and 1 cpus\.$"
expect "RTT over 100 packets: min [0-9]+ av [0-9]+ ns"
clean_tx 100

run "pong" FAKE_RX_COUNT=300 -- -i vale0:a -f pong -n 300
expect_rc 0
clean_tx 300

run "null sender" -- -i null -f tx -n 100000 -z
expect_rc 0
expect "^Sending on null: 1 queues"
expect "^Sent 100000 packets"

run "rate" -- -i vale0:a -f tx -R 20000 -n 20000
expect_rc 0
expect "^Sent 20000 packets .* in (0\.9[0-9]|1\.[01][0-9]) seconds\.$"

run "report line" -- -i vale0:a -f tx -R 10000 -n 10000 -T 300 -A
expect "[0-9.]+ [KM]?pps \[avg/std [0-9.]+ [KM]?/[0-9.]+ [KM]? pps\] \([0-9.]+ [KM]?pkts [0-9.]+ [KMG]?bps in [0-9]+ usec\) [0-9.]+ avg_batch [0-9]+ min_space$"

run "no normalisation" -- -i vale0:a -f tx -n 100000 -N
expect "^Speed: [0-9]+ pps Bandwidth: [0-9]+ bps \(raw [0-9]+ bps\)"

run "cannot open" -- -i netmap:nonexistent0 -f rx
expect_rc 1
expect "cannot open netmap:nonexistent0"

for sig in INT TERM; do
	name="SIG$sig"
	cases=$((cases + 1))
	# Not under timeout(1), which passes signals on to its group.
	"$PG" -i vale0:a -f tx >"$T/out" 2>&1 &
	pid=$!
	(sleep 30; kill -9 $pid) >/dev/null 2>&1 &
	watchdog=$!
	# Let it start sending, then interrupt it.
	i=0
	while [ $i -lt 100 ] && ! grep -q "^Sending on" "$T/out"; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.5
	kill -"$sig" $pid
	wait $pid
	rc=$?
	kill $watchdog 2>/dev/null
	expect_rc 0
	expect "^Sent [0-9]+ packets"
	expect "fake: tx_pkts [0-9]+ .*bad 0 seq_err 0 no_report 0"
done

check_end "test_fake.sh"
