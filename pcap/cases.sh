# SPDX-License-Identifier: BSD-2-Clause
# pcap/cases.sh: the checks of libpcap's netmap module, sourced by
# pcap/test.sh (test-pcap, on netmapd) and pcap/vm.sh (test-pcap-vm, on
# netmap.ko in the test VM).  pcap_cases runs, on VALE ports:
#   1. tcpdump -i netmap:vale0:x captures a pkt-gen txseq stream through
#      a BPF filter: the count, and every frame decoded by tcpdump -r;
#   2. pcap-replay injects that capture with pcap_inject on vale0:y:
#      pkt-gen rxseq on vale0:z gets every frame in order;
#   3. the same again: a second tcpdump on vale0:w records the same
#      bytes as the file holds;
#   4. bad port names are refused with libpcap's netmap error, and bad
#      input to pcap-replay with its own.
# Each case is a function of the ports it uses, for other kinds of port.
# The caller sets W (a scratch directory), TCPDUMP (the command that runs
# tcpdump on our libpcap, split into words), PKTGEN and REPLAY, and
# defines fail MESSAGE, bg COMMAND... (runs it in the background and
# sets LAST to its PID) and check_ours PID (PID, a tcpdump that listens,
# runs on our libpcap).

PCAP_N=500		# fits in one 1024-slot ring: VALE drops nothing
# How tcpdump -e -n prints a frame of pkt-gen -l 60.
PCAP_PKTGEN_LINE='> ff:ff:ff:ff:ff:ff, ethertype IPv4 (0x0800), length 60: '
PCAP_PKTGEN_LINE="${PCAP_PKTGEN_LINE}10.0.0.1.1234 > 10.1.0.1.1234: UDP,"
PCAP_PKTGEN_LINE="$PCAP_PKTGEN_LINE length 18"
# What tcpdump keeps of it: not what else an interface may carry.
PCAP_FILTER='udp and src host 10.0.0.1 and dst port 1234'

# wait_listening FILE: until tcpdump says it listens (its port is open).
wait_listening() {
	_n=0
	until grep -q '^tcpdump: listening on netmap:' "$1" 2>/dev/null; do
		_n=$((_n + 1))
		[ $_n -le 500 ] || fail "tcpdump did not start: $(cat "$1")"
		sleep 0.01
	done
}

# pcap_case_capture TX CAP: tcpdump on CAP gets a pkt-gen stream sent on
# TX, through the filter, into $W/cap.pcap.
pcap_case_capture() {
	# shellcheck disable=SC2086
	bg $TCPDUMP -i "$2" -c $PCAP_N -w "$W/cap.pcap" "$PCAP_FILTER" \
	    2>"$W/td.err"
	_td=$LAST
	wait_listening "$W/td.err"
	check_ours $_td
	$PKTGEN -i "$1" -f txseq -l 60 -n $PCAP_N -w 0 >"$W/tx.out" 2>&1 ||
	    fail "pkt-gen tx: $(tail -3 "$W/tx.out")"
	wait $_td || fail "tcpdump capture: $(cat "$W/td.err")"
	grep -q "^$PCAP_N packets captured" "$W/td.err" ||
	    fail "capture count: $(cat "$W/td.err")"
	# shellcheck disable=SC2086
	$TCPDUMP -n -e -r "$W/cap.pcap" >"$W/cap.txt" 2>"$W/r.err" ||
	    fail "tcpdump -r: $(cat "$W/r.err")"
	_good=$(grep -cF -- "$PCAP_PKTGEN_LINE" "$W/cap.txt" || true)
	[ "$_good" = $PCAP_N ] || fail "decoded $_good of $PCAP_N frames" \
	    "as pkt-gen's: $(grep -vF -- "$PCAP_PKTGEN_LINE" "$W/cap.txt" |
	    head -3)"
	echo "capture: $PCAP_N frames from $1 on $2, all decoded as sent"
}

# replay PORT: pcap-replay sends $W/cap.pcap on PORT.
replay() {
	$REPLAY "$1" "$W/cap.pcap" >"$W/replay.out" 2>&1 ||
	    fail "pcap-replay: $(cat "$W/replay.out")"
	grep -q "^pcap-replay: $PCAP_N frames sent on $1$" \
	    "$W/replay.out" || fail "pcap-replay: $(cat "$W/replay.out")"
}

# pcap_case_inject_seq REPLAY RX: the capture replayed on REPLAY reaches
# pkt-gen rxseq on RX, every frame, in order.
pcap_case_inject_seq() {
	bg $PKTGEN -i "$2" -f rxseq -n $PCAP_N -w 0 >"$W/rx.out" 2>&1
	_rx=$LAST
	sleep 0.3	# pkt-gen rx has no ready line: give it its port
	replay "$1"
	wait $_rx || fail "pkt-gen rxseq: $(tail -3 "$W/rx.out")"
	grep -q "^Received $PCAP_N packets" "$W/rx.out" &&
	    grep -q "Sequence check: 0 gaps (0 packets missing), 0 out of" \
	    "$W/rx.out" || fail "pkt-gen rxseq: $(tail -3 "$W/rx.out")"
	echo "inject: $PCAP_N frames by pcap_inject on $1 reach $2 in order"
}

# pcap_case_inject_bytes REPLAY CAP: tcpdump on CAP records the capture
# replayed on REPLAY byte for byte.
pcap_case_inject_bytes() {
	# shellcheck disable=SC2086
	bg $TCPDUMP -i "$2" -c $PCAP_N -w "$W/cap2.pcap" "$PCAP_FILTER" \
	    2>"$W/td.err"
	_td=$LAST
	wait_listening "$W/td.err"
	replay "$1"
	wait $_td || fail "tcpdump on $2: $(cat "$W/td.err")"
	# shellcheck disable=SC2086
	$TCPDUMP -r "$W/cap.pcap" -t -x >"$W/a.hex" 2>/dev/null &&
	    $TCPDUMP -r "$W/cap2.pcap" -t -x >"$W/b.hex" 2>/dev/null ||
	    fail "tcpdump -r -x"
	cmp -s "$W/a.hex" "$W/b.hex" ||
	    fail "frames injected on $1 differ on $2 from the file"
	echo "inject: $PCAP_N frames by pcap_inject on $1 reach $2 byte for" \
	    "byte"
}

# An empty port name and an unknown kind of port.
pcap_case_bad_names() {
	for _dev in netmap:vale0: netmap:nosuchif0; do
		# shellcheck disable=SC2086
		$TCPDUMP -i "$_dev" -c 1 -w /dev/null >"$W/bad.out" 2>&1 &&
		    fail "tcpdump -i $_dev worked"
		grep -q "netmap open: cannot access $_dev" "$W/bad.out" ||
		    fail "tcpdump -i $_dev: $(cat "$W/bad.out")"
	done
	echo "bad names: refused"
}

# expect_fail TEXT COMMAND...: COMMAND fails and says TEXT.
expect_fail() {
	_text=$1
	shift
	"$@" >"$W/fail.out" 2>&1 && fail "$* worked"
	grep -qF -- "$_text" "$W/fail.out" ||
	    fail "$*: $(cat "$W/fail.out")"
}

# pcap-replay's bad input: usage, options, file, port (after a capture).
pcap_case_replay_bad() {
	# shellcheck disable=SC2086
	expect_fail "usage: pcap-replay" $REPLAY netmap:vale0:y
	# shellcheck disable=SC2086
	expect_fail "bad count: x" $REPLAY -n x netmap:vale0:y "$W/cap.pcap"
	# shellcheck disable=SC2086
	expect_fail "bad timeout: -1" $REPLAY -t -1 netmap:vale0:y \
	    "$W/cap.pcap"
	# shellcheck disable=SC2086
	expect_fail "$W/nosuchfile" $REPLAY netmap:vale0:y "$W/nosuchfile"
	# shellcheck disable=SC2086
	expect_fail "netmap open: cannot access netmap:vale0:" \
	    $REPLAY netmap:vale0: "$W/cap.pcap"
	echo "pcap-replay: bad input refused"
}

# The cases on VALE ports.
pcap_cases() {
	pcap_case_capture vale0:a netmap:vale0:x
	pcap_case_inject_seq netmap:vale0:y vale0:z
	pcap_case_inject_bytes netmap:vale0:y netmap:vale0:w
	pcap_case_bad_names
	pcap_case_replay_bad
}

# The cases on an interface, netmap:v1, the far end of a veth pair from
# netmap:v0 (netmap.ko's emulated adapter; the caller makes the pair).
pcap_cases_nic() {
	pcap_case_capture netmap:v0 netmap:v1
	pcap_case_inject_seq netmap:v0 netmap:v1
	pcap_case_inject_bytes netmap:v0 netmap:v1
}
