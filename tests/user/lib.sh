# SPDX-License-Identifier: BSD-2-Clause
# tests/user/lib.sh: sourced by the netmapd test scripts. Gives each test
# its own netmapd (the sanitized build) on a private socket in a private
# temporary directory, helpers to read the daemon's counters, and a
# cleanup that kills only what the test started, by PID.

set -u
O=${O:-build}
T=$(mktemp -d /tmp/nmd-test.XXXXXX)
export NETMAP_SOCKET="$T/netmapd.sock"
export NETMAP_HOST=user
# Should a client start a daemon by itself, make it ours too.
export NETMAP_DAEMON="$O/san/netmapd"
export ASAN_OPTIONS="detect_leaks=1:exitcode=23"
export UBSAN_OPTIONS="print_stacktrace=1"
NMD_PID=
NMD_BG=

nmd_cleanup() {
	for p in $NMD_BG; do
		kill -KILL "$p" 2>/dev/null
	done
	if [ -n "$NMD_PID" ]; then
		kill -KILL "$NMD_PID" 2>/dev/null
	fi
	rm -rf "$T"
}
trap nmd_cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	if [ -s "$T/netmapd.log" ]; then
		echo "--- netmapd log" >&2
		cat "$T/netmapd.log" >&2
	fi
	exit 1
}

# Run a client in the background; remember its PID for the cleanup.
bg() {
	"$@" &
	NMD_BG="$NMD_BG $!"
	LAST=$!
}

# start_witness SWITCH COUNT: a sequenced pkt-gen pair on its own switch
# (15 Kpps into 4096 slots) that must lose nothing while a test attacks
# the daemon; check_witness waits for it and checks the count and order.
# A VALE port drops what does not fit its ring, so a receiver starved of
# CPU for longer than the ring lasts loses frames without any fault of
# the daemon's: at 30 Kpps (130 ms) the kill and limits tests lost some
# under a loaded make test. Hence 270 ms, and as root the receiver runs
# at a higher priority than the attack.
start_witness() {
	WITNESS_COUNT=$2
	_nice=
	[ "$(id -u)" = 0 ] && _nice="nice -n -10"
	bg $_nice timeout 20 "$O/pkt-gen" -i "$1:b@conf:slots=4096" -f rxseq \
	    -n "$2" -w 0 >"$T/witness.rx" 2>&1
	WITNESS_RX=$LAST
	sleep 0.3
	bg timeout 20 "$O/pkt-gen" -i "$1:a" -f txseq -n "$2" -R 15000 \
	    -w 0 >"$T/witness.tx" 2>&1
	WITNESS_TX=$LAST
}

check_witness() {
	wait "$WITNESS_TX" ||
	    fail "witness sender: $(tail -3 "$T/witness.tx")"
	wait "$WITNESS_RX" ||
	    fail "witness receiver: $(tail -3 "$T/witness.rx")"
	grep -q "^Received $WITNESS_COUNT packets" "$T/witness.rx" &&
	    grep -q "Sequence check: 0 gaps (0 packets missing), 0 out of order" \
	    "$T/witness.rx" || fail "witness: $(tail -3 "$T/witness.rx")"
	echo "witness: $(grep '^Received' "$T/witness.rx")"
}

. tests/lib/sock.sh

# wait_ready FILE: a background program printed its "ready" line.
wait_ready() {
	i=0
	while ! grep -q ready "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 500 ] && fail "not ready: $(cat "$1")"
		sleep 0.01
	done
}

# wait_socket [PATH]: the daemon just started (NMD_PID) listens on PATH
# ($NETMAP_SOCKET by default), within 5 s.
wait_socket() {
	NMD_PID=$!
	wait_sock "${1:-$NETMAP_SOCKET}"
}

# start_daemon [OPTION...]: the options go to netmapd.
start_daemon() {
	"$O/san/netmapd" -f -s "$NETMAP_SOCKET" "$@" 2>"$T/netmapd.log" &
	wait_socket
}

# nmd_stat NAME: one of the daemon's counters (netmapd -S).
nmd_stat() {
	"$O/netmapd" -S | awk -v k="$1" '$1 == k { print $2 }'
}

# Wait until no client is left, then compare with the baseline taken
# by `baseline`: no connection, no region, heap back within 64 KiB.
baseline() {
	BASE_HEAP=$(nmd_stat heap_bytes)
	BASE_REGIONS=$(nmd_stat regions)
}

check_baseline() {
	i=0
	while :; do
		c=$(nmd_stat conns)
		r=$(nmd_stat regions)
		h=$(nmd_stat heap_bytes)
		if [ "$c" = 0 ] && [ "$r" = "$BASE_REGIONS" ] &&
		    [ "$h" -le $((BASE_HEAP + 65536)) ]; then
			echo "daemon back to baseline: conns $c regions $r" \
			    "heap $h (was $BASE_HEAP)"
			return 0
		fi
		i=$((i + 1))
		[ $i -gt 100 ] && fail "not back to baseline: conns $c" \
		    "regions $r heap $h (was $BASE_HEAP)"
		sleep 0.05
	done
}

# SIGTERM, and the sanitizers' verdict in the exit status.
stop_daemon() {
	kill -TERM "$NMD_PID"
	wait "$NMD_PID"
	st=$?
	NMD_PID=
	[ $st -eq 0 ] || fail "netmapd exited with status $st"
	grep -q "ERROR: \|runtime error" "$T/netmapd.log" &&
	    fail "sanitizer report in the netmapd log"
	for f in "$NETMAP_SOCKET" "$NETMAP_SOCKET.lock" "$NETMAP_SOCKET.pid"
	do
		[ ! -e "$f" ] || fail "$f left behind"
	done
	return 0
}
