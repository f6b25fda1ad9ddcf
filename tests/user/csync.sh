#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-csync: syncs in the client (user/nmd_csync.h) against
# clients that die holding a ring's lock (TX and RX), one that
# scribbles on the shared kring state and one killed asleep in poll (its
# count of sleepers is taken back); a reader with nothing to read
# sleeps. All while a VALE witness pair of the
# same daemon loses nothing; then the daemon is back to its baseline and
# exits clean under the sanitizers.
. tests/user/lib.sh

start_daemon
baseline
start_witness valeC 60000

"$O/tests/user/nmd_csync" >"$T/csync.out" 2>&1 ||
    fail "nmd_csync: $(cat "$T/csync.out")"
cat "$T/csync.out" | grep -v "checks passed"
kill -0 "$NMD_PID" 2>/dev/null || fail "netmapd died"

check_witness
[ "$(nmd_stat disconnects)" = 0 ] || fail "the daemon saw protocol errors"
check_baseline
stop_daemon
echo "test-netmapd-csync: ok"
