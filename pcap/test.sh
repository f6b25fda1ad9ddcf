#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-pcap: libpcap's netmap module (built by pcap/build.sh) on VALE
# ports of netmapd, through the preload library, as a user runs it:
#   1. the system's tcpdump captures a pkt-gen txseq stream on vale0:x:
#      count, and every frame decoded by tcpdump -r;
#   2. pcap-replay injects that capture with pcap_inject on vale0:y:
#      pkt-gen rxseq gets every frame in order, and a second tcpdump
#      gets the same bytes as the file holds;
#   3. bad port names are refused with libpcap's netmap error.
. tests/user/lib.sh

N=500			# fits in one 1024-slot ring: VALE drops nothing
PL=$O/pcap/lib
PRELOAD=$PWD/$O/libnetmap-preload.so
TCPDUMP=$(command -v tcpdump) || fail "tcpdump not installed"

# tcpdump [ARG...]: the system's binary on our libpcap, bounded; the
# preload library takes its /dev/netmap to netmapd (not exported: it
# would also go into the sanitized netmapd).
tcpdump() {
	LD_PRELOAD=$PRELOAD LD_LIBRARY_PATH=$PL timeout 20 "$TCPDUMP" -Z root \
	    "$@"
}

# wait_listening FILE: until tcpdump says it listens (its port is open).
wait_listening() {
	i=0
	until grep -q '^tcpdump: listening on netmap:' "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 500 ] && fail "tcpdump did not start: $(cat "$1")"
		sleep 0.01
	done
}

start_daemon
baseline

# The library is ours, and it is the one tcpdump runs on.
LD_LIBRARY_PATH=$PL ldd "$TCPDUMP" | grep -q "libpcap.so.0.8 => $PL/" ||
    fail "tcpdump does not load $PL/libpcap.so.0.8"

# 1. Capture.
bg tcpdump -i netmap:vale0:x -c $N -w "$T/cap.pcap" \
    'udp and src host 10.0.0.1 and dst port 1234' 2>"$T/td1.err"
TD=$LAST
wait_listening "$T/td1.err"
"$O/pkt-gen" -i vale0:a -f txseq -l 60 -n $N -w 0 >"$T/tx.out" 2>&1 ||
    fail "pkt-gen tx: $(tail -3 "$T/tx.out")"
wait "$TD" || fail "tcpdump capture: $(cat "$T/td1.err")"
grep -q "^$N packets captured" "$T/td1.err" ||
    fail "capture count: $(cat "$T/td1.err")"
# shellcheck disable=SC2086
tcpdump -n -e -r "$T/cap.pcap" >"$T/cap.txt" 2>"$T/r.err" ||
    fail "tcpdump -r: $(cat "$T/r.err")"
good=$(grep -c '> ff:ff:ff:ff:ff:ff, ethertype IPv4 (0x0800), length 60: 10\.0\.0\.1\.1234 > 10\.1\.0\.1\.1234: UDP, length 18$' \
    "$T/cap.txt")
[ "$good" = $N ] || fail "decoded $good of $N frames as pkt-gen's:" \
    "$(grep -v 'length 18$' "$T/cap.txt" | head -3)"
echo "capture: $N frames on netmap:vale0:x, all decoded as sent"

# 2. Injection: the capture replayed on vale0:y reaches pkt-gen rxseq on
# vale0:z and tcpdump on vale0:w.
bg timeout 20 "$O/pkt-gen" -i vale0:z -f rxseq -n $N -w 0 >"$T/rx.out" 2>&1
RX=$LAST
bg tcpdump -i netmap:vale0:w -c $N -w "$T/cap2.pcap" 2>"$T/td2.err"
TD=$LAST
wait_listening "$T/td2.err"
sleep 0.3		# pkt-gen rx has no ready line: give it its port
LD_PRELOAD=$PRELOAD "$O/pcap/pcap-replay" netmap:vale0:y "$T/cap.pcap" >"$T/replay.out" \
    2>&1 || fail "pcap-replay: $(cat "$T/replay.out")"
grep -q "^pcap-replay: $N frames sent on netmap:vale0:y$" "$T/replay.out" ||
    fail "pcap-replay: $(cat "$T/replay.out")"
wait "$RX" || fail "pkt-gen rxseq: $(tail -3 "$T/rx.out")"
grep -q "^Received $N packets" "$T/rx.out" &&
    grep -q "Sequence check: 0 gaps (0 packets missing), 0 out of order" \
    "$T/rx.out" || fail "pkt-gen rxseq: $(tail -3 "$T/rx.out")"
wait "$TD" || fail "tcpdump on vale0:w: $(cat "$T/td2.err")"
tcpdump -r "$T/cap.pcap" -t -x >"$T/a.hex" 2>/dev/null &&
    tcpdump -r "$T/cap2.pcap" -t -x >"$T/b.hex" 2>/dev/null ||
    fail "tcpdump -r -x"
cmp -s "$T/a.hex" "$T/b.hex" || fail "injected frames differ from the file"
echo "inject: $N frames by pcap_inject on netmap:vale0:y, in order," \
    "byte for byte"

# 3. Bad names: an empty port and an unknown kind of port.
for dev in netmap:vale0: netmap:nosuchif0; do
	tcpdump -i "$dev" -c 1 -w /dev/null >"$T/bad.out" 2>&1 &&
	    fail "tcpdump -i $dev worked"
	grep -q "netmap open: cannot access $dev" "$T/bad.out" ||
	    fail "tcpdump -i $dev: $(cat "$T/bad.out")"
done
echo "bad names: refused"

check_baseline
stop_daemon
echo "test-pcap: ok"
