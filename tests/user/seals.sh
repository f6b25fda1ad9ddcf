#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-seals: a client shrinks, grows and re-seals the memfds it
# was handed (doorbell, region), wipes its region, then syncs and polls.
# The daemon must refuse every change of size (sealed memfds), survive,
# and keep a witness pair on another switch going. Also the documented
# trust boundary: a port can join another port's region by nr_mem_id.
. tests/user/lib.sh

start_daemon
baseline
start_witness valeW 30000

"$O/tests/user/nmd_hostile" seals || fail "nmd_hostile seals"
# What docs/netmapd.md says a client of the same user can receive.
"$O/tests/user/nmd_hostile" memid || fail "nmd_hostile memid"
kill -0 "$NMD_PID" 2>/dev/null || fail "netmapd died"

check_witness
check_baseline
stop_daemon
echo "test-netmapd-seals: ok"
