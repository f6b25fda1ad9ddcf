#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-csync: syncs in the client (user/nmd_csync.h) against
# clients that die holding a ring's lock (TX and RX), one that
# scribbles on the shared kring state and one killed asleep in poll (its
# count of sleepers is taken back); a reader with nothing to read
# sleeps. All while a VALE witness pair of the
# same daemon loses nothing; then the daemon is back to its baseline and
# exits clean under the sanitizers. vchurn: the memfds of other ports
# asked for while ports come and go are memfds, and the asker stays
# connected. Last, a VALE port over the memory quota for its kring state
# (nmd_csync vquota).
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

# A VALE port whose kring state is over its connection's quota keeps to
# the core, and so does its switch: -m the big port's region exactly.
start_daemon
baseline
size=$("$O/tests/user/nmd_csync" vquota 0) || fail "vquota: $size"
check_baseline
stop_daemon
start_daemon -m "$size"
baseline
"$O/tests/user/nmd_csync" vquota "$size" || fail "vquota over the quota"
grep -q "over the connection's memory quota" "$T/netmapd.log" ||
    fail "no log of the kring state's refusal"
check_baseline
stop_daemon
echo "test-netmapd-csync: ok"
