#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# params.sh - netmap.ko's read-only *_curr_* parameters, inside the test
# VM: reading them on a fresh module lays nothing out (they read 0 until
# the global allocator exists, then its geometry), nor does a
# PORT_INFO_GET of the global allocator's size (a query); readers looping on
# them while the module is loaded and unloaded PARAMS_CYCLES times must
# not crash the kernel (the files exist before init and after exit).
set -eu
. ./lib.sh

P=/sys/module/netmap/parameters
CURR="if_curr_size if_curr_num ring_curr_size ring_curr_num buf_curr_size
buf_curr_num"
cycles=${PARAMS_CYCLES:-50}

# curr NAME: the parameter's value.
curr() {
	cat "$P/$1"
}

step "a fresh module: an unprivileged read of *_curr_*, or PORT_INFO_GET" \
    "of the global allocator's size, creates nothing"
nm_load
for round in 1 2; do
	size=$(./params info)
	./params show >/tmp/curr
	cat /tmp/curr
	for f in $CURR; do
		grep -qx "$f=0" /tmp/curr || { echo "FAIL: $f on a fresh" \
		    "module (read $round): expected 0" >&2; exit 1; }
	done
done

step "once the global allocator exists, its geometry"
./params global
[ "$(./params info)" = "$size" ] || { echo "FAIL: PORT_INFO_GET says" \
    "$(./params info) once laid out, $size before" >&2; exit 1; }
sum=$(( $(curr if_curr_size) * $(curr if_curr_num) +
    $(curr ring_curr_size) * $(curr ring_curr_num) +
    $(curr buf_curr_size) * $(curr buf_curr_num) ))
[ "$sum" = "$size" ] || { echo "FAIL: *_curr_* give $sum bytes," \
    "PORT_INFO_GET $size" >&2; exit 1; }
[ "$(curr buf_curr_size)" = 2048 ] || { echo "FAIL: buf_curr_size" \
    "$(curr buf_curr_size), expected 2048" >&2; exit 1; }
echo "global allocator: $size bytes"
rmmod netmap

step "3 readers while the module is loaded and unloaded $cycles times"
pids=
for i in 1 2 3; do
	./params read 100000000 120 >/tmp/params.$i &
	pids="$pids $!"
done
i=0
while [ $i -lt "$cycles" ]; do
	insmod ./netmap.ko
	rmmod netmap
	i=$((i + 1))
done
for p in $pids; do
	kill -0 "$p" 2>/dev/null || { wait "$p" ||
	    echo "FAIL: reader $p died (status $?)" >&2; exit 1; }
done
kill -TERM $pids
for p in $pids; do
	wait_pid "$p" "reader $p"
done
cat /tmp/params.1 /tmp/params.2 /tmp/params.3
nm_load
echo "params: ok"
