#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-storm: tests/user/nmc_storm.c, processes and threads doing
# random netmap calls through the client for STORM_SECS (20) seconds
# against a sanitized netmapd; then the daemon must have dropped no
# client for a protocol error and be back to its baseline, and exit
# clean. UNIT_SEED replays a storm (its seed is printed).
. tests/user/lib.sh

start_daemon
baseline
"$O/tests/user/nmc_storm" "${STORM_SECS:-20}" >"$T/storm.out" 2>&1 ||
    fail "nmc_storm: $(cat "$T/storm.out")"
cat "$T/storm.out"
[ "$(nmd_stat disconnects)" = 0 ] || fail "the daemon saw protocol errors"
check_baseline
stop_daemon
echo "test-netmapd-storm: ok"
