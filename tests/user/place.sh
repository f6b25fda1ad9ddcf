#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-place: the daemon thread of a connection runs on its
# client's CPU and follows it; hints the daemon cannot use put only that
# thread back on all CPUs (tests/user/nmd_place.c). Then the daemon must
# end clean.
. tests/user/lib.sh

start_daemon
baseline
"$O/tests/user/nmd_place" "$NMD_PID" || fail "nmd_place"
check_baseline
stop_daemon
echo "test-netmapd-place: ok"
