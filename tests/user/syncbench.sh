#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# make netmapd-syncbench: the cost of syncs through the doorbell, against
# the optimised netmapd (not the sanitized one); then the VALE sender's
# CPU time per frame with its receiver on the other core.
. tests/user/lib.sh
"$O/netmapd" -f -s "$NETMAP_SOCKET" 2>"$T/netmapd.log" &
NMD_PID=$!
while [ ! -S "$NETMAP_SOCKET" ]; do sleep 0.01; done
echo "VALE (valeB:a -> valeB:b):"
"$O/tests/user/nmd_syncbench" "${1:-200000}" valeB:a valeB:b
echo "pipe (sb{1 -> sb}1):"
"$O/tests/user/nmd_syncbench" "${1:-200000}" "sb{1" "sb}1"
echo "VALE, two processes (valeP:a -> valeP:b):"
for len in 60 1514; do
	"$O/tests/user/nmd_syncbench" pair valeP:a valeP:b "$len"
done
kill -TERM "$NMD_PID"
wait "$NMD_PID"
NMD_PID=
