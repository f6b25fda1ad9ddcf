#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# make netmapd-syncbench: the cost of syncs through the doorbell, against
# the optimised netmapd (not the sanitized one).
. tests/user/lib.sh
"$O/netmapd" -f -s "$NETMAP_SOCKET" 2>"$T/netmapd.log" &
NMD_PID=$!
while [ ! -S "$NETMAP_SOCKET" ]; do sleep 0.01; done
"$O/tests/user/nmd_syncbench" "$@"
kill -TERM "$NMD_PID"
wait "$NMD_PID"
NMD_PID=
