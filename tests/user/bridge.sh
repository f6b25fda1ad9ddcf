#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-bridge: apps/bridge between ports of netmapd.  nmtest (the
# raw-ABI test program of tests/vm, run under the preload library) sends
# frames whose every byte is a function of their sequence number and
# length, and checks each one on the far side.  Covered: the copy path
# (pipes of two parents, VALE ports) and the zero-copy path (two pipes
# of one parent), both ways at once; multi-slot frames kept whole
# across small rings and bursts; -c; -L; a frame too large for the other
# side dropped without stalling what follows; SIGINT and SIGTERM; the
# rate line; a port without host rings refused.  Which path ran is read
# from the totals bridge prints (slots swapped against slots copied).
. tests/user/lib.sh

BR="$O/bridge"
NMTEST="$O/tests/user/nmtest"
PRE="$PWD/$O/libnetmap-preload.so"

start_daemon
baseline

# Exec'd through env, so that $LAST is nmtest's own PID (signals).
nmt() {
	env LD_PRELOAD="$PRE" "$NMTEST" "$@"
}

# bridge_start NAME ARGS...: start bridge, wait for its "bridging" line.
bridge_start() {
	bname=$1
	shift
	bg "$BR" "$@" >"$T/$bname.br" 2>&1
	BR_PID=$LAST
	i=0
	until grep -q '^bridging ' "$T/$bname.br"; do
		i=$((i + 1))
		[ $i -lt 200 ] || fail "$bname: bridge did not start:" \
		    "$(cat "$T/$bname.br")"
		sleep 0.05
	done
}

# bridge_stop SIGNAL: stop it and require a clean exit.
bridge_stop() {
	kill -"$1" "$BR_PID"
	wait "$BR_PID" || fail "$bname: bridge exited with $?:" \
	    "$(cat "$T/$bname.br")"
	cat "$T/$bname.br"
}

# recv_start NAME ARGS...: a checking receiver, ready before we go on.
recv_start() {
	rname=$1
	shift
	bg env LD_PRELOAD="$PRE" "$NMTEST" recv "$@" >"$T/$rname.rx" 2>&1
	eval "rx_$rname=$LAST"
	i=0
	until grep -q ': ready' "$T/$rname.rx"; do
		i=$((i + 1))
		[ $i -lt 200 ] || fail "$rname: receiver not ready:" \
		    "$(cat "$T/$rname.rx")"
		sleep 0.05
	done
}

# recv_wait NAME COUNT BYTES: it got every frame, each intact.
recv_wait() {
	eval "wait \$rx_$1" || fail "receiver $1: $(cat "$T/$1.rx")"
	grep -q ": $2 frames, $3 bytes" "$T/$1.rx" ||
	    fail "receiver $1: $(cat "$T/$1.rx")"
	tail -n 1 "$T/$1.rx"
}

# totals FROM TO LINE: the bridge's end line for that direction.
totals() {
	grep -qF "$1 -> $2: $3" "$T/$bname.br" ||
	    fail "$bname: no '$1 -> $2: $3' in: $(cat "$T/$bname.br")"
}

echo "== copy: pipes of two parents, both ways, 60 B and 3-slot frames"
A='netmap:ba{1' B='netmap:bb{1'
bridge_start copy -w 0 -i "$A" -i "$B"
grep -q "^bridging $A <-> $B, copy, burst 1024$" "$T/copy.br" ||
    fail "copy: $(cat "$T/copy.br")"
recv_start c1 -n 20000 -l 60 'bb}1'
recv_start c2 -n 3000 -l 5000 'ba}1'
bg env LD_PRELOAD="$PRE" "$NMTEST" send -w -n 3000 -l 5000 -F 3 'bb}1'
s2=$LAST
nmt send -w -n 20000 -l 60 'ba}1' >/dev/null || fail "sender c1"
wait "$s2" || fail "sender c2"
recv_wait c1 20000 1200000
recv_wait c2 3000 15000000
# Not a timing check: the line must come, however long it takes.
i=0
until grep -q "^$A -> $B: [0-9]* pps, $B -> $A: [0-9]* pps$" \
    "$T/copy.br"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "copy: no rate line: $(cat "$T/copy.br")"
	sleep 0.05
done
bridge_stop INT
totals "$A" "$B" "20000 packets 1200000 bytes, 0 slots swapped, 20000 copied, 0 dropped"
totals "$B" "$A" "3000 packets 15000000 bytes, 0 slots swapped, 9000 copied, 0 dropped"

echo "== zero copy: pipes of one parent, both ways, 10-slot frames," \
    "64-slot rings, burst 7"
A='netmap:bz{1@conf:slots=64' B='netmap:bz{2@conf:slots=64'
bridge_start zc -v -w 0 -b 7 -i "$A" -i "$B"
grep -q "zero copy, burst 7$" "$T/zc.br" || fail "zc: $(cat "$T/zc.br")"
# -v: both ends name the same region, of 64-slot rings.
ma=$(sed -n "s/^$A: mem_id \([0-9]*\), 1 tx rings, 1 rx rings, 64 slots$/\1/p" \
    "$T/zc.br")
mb=$(sed -n "s/^$B: mem_id \([0-9]*\), 1 tx rings, 1 rx rings, 64 slots$/\1/p" \
    "$T/zc.br")
[ -n "$ma" ] && [ "$ma" = "$mb" ] || fail "zc -v: $(cat "$T/zc.br")"
recv_start z1 -n 5000 -l 200 'bz}2'
recv_start z2 -n 2000 -l 9000 'bz}1'
bg env LD_PRELOAD="$PRE" "$NMTEST" send -w -n 2000 -l 9000 -F 10 'bz}2'
s2=$LAST
nmt send -w -n 5000 -l 200 'bz}1' >/dev/null || fail "sender z1"
wait "$s2" || fail "sender z2"
recv_wait z1 5000 1000000
recv_wait z2 2000 18000000
bridge_stop TERM
totals "$A" "$B" "5000 packets 1000000 bytes, 5000 slots swapped, 0 copied, 0 dropped"
totals "$B" "$A" "2000 packets 18000000 bytes, 20000 slots swapped, 0 copied, 0 dropped"

echo "== -c: copies although the region is shared"
A='netmap:bc{1' B='netmap:bc{2'
bridge_start force -c -w 0 "$A" "$B" 16
grep -q ", copy, burst 16$" "$T/force.br" || fail "-c: $(cat "$T/force.br")"
recv_start f1 -n 1000 -l 3000 'bc}2'
nmt send -w -n 1000 -l 3000 -F 2 'bc}1' >/dev/null || fail "sender f1"
recv_wait f1 1000 3000000
bridge_stop INT
totals "$A" "$B" "1000 packets 3000000 bytes, 0 slots swapped, 2000 copied, 0 dropped"

# VALE ends a TX sync's trailing chain that has no last slot: a frame
# split across two syncs would arrive cut.  The bridge's TX ring is
# small, so room for a whole frame runs out in every pass.  140 frames
# of 7 slots fit in the 1024-slot RX rings on the way, so VALE, which
# drops when a receiver is full, has no reason to drop any.
echo "== copy between VALE switches, 7-slot frames into a 32-slot ring"
A='vale1:b@conf:tx-slots=32' B='vale2:b@conf:tx-slots=32'
bridge_start vale -w 0 -b 5 -i "$A" -i "$B"
recv_start v1 -n 140 -l 7000 vale2:r
nmt send -n 140 -l 7000 -F 7 vale1:s >/dev/null || fail "sender v1"
recv_wait v1 140 980000
bridge_stop INT
totals "$A" "$B" "140 packets 980000 bytes, 0 slots swapped, 980 copied, 0 dropped"

echo "== -L: a pipe end sends back what it receives (pkt-gen /T and /R)"
A='netmap:bl{1'
bridge_start loop -w 0 -L -i "$A"
bg timeout 20 "$O/pkt-gen" -i 'netmap:bl}1/R' -f rxseq -n 20000 -w 0 \
    >"$T/loop.rx" 2>&1
lrx=$LAST
"$O/pkt-gen" -i 'netmap:bl}1/T' -f txseq -n 20000 -l 3000 -F 2 -w 0 \
    >"$T/loop.tx" 2>&1 || fail "loop sender: $(tail -3 "$T/loop.tx")"
wait "$lrx" || fail "loop receiver: $(tail -3 "$T/loop.rx")"
grep -q "^Received 20000 packets 60000000 bytes" "$T/loop.rx" &&
    grep -q "Sequence check: 0 gaps (0 packets missing), 0 out of order, 0 fragment mismatches" \
    "$T/loop.rx" || fail "loop receiver: $(tail -3 "$T/loop.rx")"
bridge_stop INT
totals "$A" "$A" "20000 packets 60000000 bytes, 40000 slots swapped, 0 copied, 0 dropped"
[ "$(grep -c "^$A -> $A: [0-9]* packets" "$T/loop.br")" -eq 1 ] &&
    ! grep -q ' -> .* -> ' "$T/loop.br" ||
    fail "loop: one direction only: $(cat "$T/loop.br")"

echo "== a frame larger than the other side's ring is dropped, no stall"
A='netmap:bd{1@conf:slots=128' B='netmap:be{1@conf:slots=64'
bridge_start drop -w 0 -i "$A" -i "$B"
recv_start d1 -n 100 -l 60 'be}1'
nmt send -w -n 5 -l 6400 -F 64 'bd}1' >/dev/null || fail "sender d1 big"
nmt send -w -n 100 -l 60 'bd}1' >/dev/null || fail "sender d1"
recv_wait d1 100 6000
bridge_stop INT
totals "$A" "$B" "100 packets 6000 bytes, 0 slots swapped, 100 copied, 5 dropped"

echo "== one port: its host rings, which a VALE port has not"
"$BR" -w 0 -i vale3:x >"$T/host.out" 2>&1
[ $? -eq 1 ] || fail "host rings of a VALE port: $(cat "$T/host.out")"
grep -q "cannot open vale3:x^$" "$T/host.out" ||
    fail "host rings: $(cat "$T/host.out")"

check_baseline
stop_daemon
echo "test-netmapd-bridge: ok"
