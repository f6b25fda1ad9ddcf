#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# make netmapd-syncbench: the cost of syncs through the doorbell, against
# the optimised netmapd (not the sanitized one).
. tests/user/lib.sh
"$O/netmapd" -f -s "$NETMAP_SOCKET" 2>"$T/netmapd.log" &
NMD_PID=$!
while [ ! -S "$NETMAP_SOCKET" ]; do sleep 0.01; done
echo "VALE (valeB:a -> valeB:b):"
"$O/tests/user/nmd_syncbench" "${1:-200000}" valeB:a valeB:b
echo "pipe (sb{1 -> sb}1):"
"$O/tests/user/nmd_syncbench" "${1:-200000}" "sb{1" "sb}1"
kill -TERM "$NMD_PID"
wait "$NMD_PID"
NMD_PID=
