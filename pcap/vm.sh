#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pcap/vm.sh - test-pcap-vm: libpcap's netmap module on netmap.ko, inside
# the test VM (tests/vm/run-vm.sh).  The guest gets Debian's tcpdump with
# our libpcap.so.0.8 in /test (LD_LIBRARY_PATH), pcap-replay and the
# static pkt-gen.  As pcap/test.sh does on netmapd:
#   1. tcpdump -i netmap:vale0:x captures a pkt-gen txseq stream, every
#      frame counted and decoded;
#   2. pcap-replay injects the capture on vale0:y: pkt-gen rxseq gets
#      every frame in order, a second tcpdump the same bytes;
#   3. bad port names are refused with libpcap's netmap error.
set -eu
. ./lib.sh
nm_load

N=500			# fits in one 1024-slot ring: VALE drops nothing
export LD_LIBRARY_PATH=/test

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# wait_listening FILE: until tcpdump says it listens (its port is open).
wait_listening() {
	n=0
	until grep -q '^tcpdump: listening on netmap:' "$1" 2>/dev/null; do
		n=$((n + 1))
		[ $n -lt 200 ] || fail "tcpdump did not start: $(cat "$1")"
		sleep 0.05
	done
}

# Debian's tcpdump, which would drop root for a user the guest has not.
TCPDUMP="./tcpdump -Z root"

step "tcpdump -i netmap:vale0:x: $N frames of pkt-gen txseq"
$TCPDUMP -i netmap:vale0:x -c $N -w /tmp/cap.pcap \
    'udp and src host 10.0.0.1 and dst port 1234' 2>/tmp/td1.err &
td=$!
wait_listening /tmp/td1.err
grep -q ' /test/libpcap.so.0.8$' /proc/$td/maps ||
    fail "tcpdump does not run on /test/libpcap.so.0.8"
./pkt-gen -i vale0:a -f txseq -l 60 -n $N -w 0 >/tmp/tx.out 2>&1 ||
    fail "pkt-gen tx: $(tail -3 /tmp/tx.out)"
wait_pid $td "tcpdump capture"
cat /tmp/td1.err
grep -q "^$N packets captured" /tmp/td1.err || fail "capture count"
$TCPDUMP -n -e -r /tmp/cap.pcap >/tmp/cap.txt 2>/tmp/r.err ||
    fail "tcpdump -r: $(cat /tmp/r.err)"
good=$(grep -c '> ff:ff:ff:ff:ff:ff, ethertype IPv4 (0x0800), length 60: 10\.0\.0\.1\.1234 > 10\.1\.0\.1\.1234: UDP, length 18$' \
    /tmp/cap.txt || true)
[ "$good" = $N ] || fail "decoded $good of $N frames as pkt-gen's:" \
    "$(head -3 /tmp/cap.txt)"
echo "capture: $N frames, all decoded as sent"

step "pcap-replay on netmap:vale0:y into pkt-gen rxseq and tcpdump"
./pkt-gen -i vale0:z -f rxseq -n $N -w 0 >/tmp/rx.out 2>&1 &
rx=$!
$TCPDUMP -i netmap:vale0:w -c $N -w /tmp/cap2.pcap \
    2>/tmp/td2.err &
td=$!
wait_listening /tmp/td2.err
sleep 0.5		# pkt-gen rx has no ready line: give it its port
./pcap-replay netmap:vale0:y /tmp/cap.pcap
wait_pid $rx "pkt-gen rxseq"
cat /tmp/rx.out
grep -q "^Received $N packets" /tmp/rx.out &&
    grep -q "Sequence check: 0 gaps (0 packets missing), 0 out of order" \
    /tmp/rx.out || fail "pkt-gen rxseq"
wait_pid $td "tcpdump on vale0:w"
$TCPDUMP -r /tmp/cap.pcap -t -x >/tmp/a.hex 2>/dev/null
$TCPDUMP -r /tmp/cap2.pcap -t -x >/tmp/b.hex 2>/dev/null
cmp /tmp/a.hex /tmp/b.hex || fail "injected frames differ from the file"
echo "inject: $N frames, in order, byte for byte"

step "bad names"
for dev in netmap:vale0: netmap:nosuchif0; do
	if $TCPDUMP -i "$dev" -c 1 -w /dev/null >/tmp/bad.out 2>&1; then
		fail "tcpdump -i $dev worked"
	fi
	grep -q "netmap open: cannot access $dev" /tmp/bad.out ||
	    fail "tcpdump -i $dev: $(cat /tmp/bad.out)"
done
echo "bad names: refused"
echo "pcap-vm: ok"
