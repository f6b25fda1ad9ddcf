#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-kill: clients SIGKILLed in the middle of traffic. While a
# witness pair keeps a sequenced stream going on its own switch, senders
# and receivers on another switch and on a pipe are killed at full
# speed, and a program kills 30 more children at random moments. The
# witness must lose nothing (15 Kpps into 4096 slots: 270 ms of slack
# for a receiver starved by the killing), and the daemon's connections,
# regions and heap must come back to their baseline.
. tests/user/lib.sh

PG="$O/pkt-gen"
start_daemon
baseline

start_witness vale5 90000

# victims NAME TX_PORT RX_PORT FIRST: both at full speed; kill -9 the
# FIRST (tx or rx) mid-traffic, then the other.
victims() {
	bg "$PG" -i "$3" -f rx -w 0 -T 100 >"$T/$1.rx" 2>&1
	vrx=$LAST
	sleep 0.2
	bg "$PG" -i "$2" -f tx -w 0 -T 100 >"$T/$1.tx" 2>&1
	vtx=$LAST
	sleep 0.4
	if [ "$4" = tx ]; then
		kill -KILL "$vtx"
		sleep 0.2
		kill -KILL "$vrx"
	else
		kill -KILL "$vrx"
		sleep 0.2
		kill -KILL "$vtx"
	fi
	wait "$vtx" "$vrx" 2>/dev/null
	grep -q "[1-9][0-9.]* [KM]pps" "$T/$1.rx" ||
	    fail "$1: no traffic before the kill: $(cat "$T/$1.rx" "$T/$1.tx")"
}

victims vt vale6:a vale6:b tx
victims vr vale7:a vale7:b rx
victims pt "netmap:kp{1" "netmap:kp}1" tx
victims pr "netmap:kq{1" "netmap:kq}1" rx
"$O/tests/user/nmd_func" kill >"$T/func.kill" 2>&1 ||
    fail "nmd_func kill: $(cat "$T/func.kill")"
echo "killed 8 pkt-gen and 30 other clients mid-traffic"

check_witness
[ "$(nmd_stat disconnects)" = 0 ] || fail "the daemon saw protocol errors"
check_baseline
stop_daemon
echo "test-netmapd-kill: ok"
