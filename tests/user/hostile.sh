#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-hostile: tests/user/nmd_hostile.c breaks the protocol in
# many ways while a witness pair keeps traffic going. Every attack must
# end with that one client disconnected (or told off); the witness must
# not notice, and the daemon must end clean.
. tests/user/lib.sh

start_daemon
baseline
start_witness valeH 60000

"$O/tests/user/nmd_hostile" || fail "nmd_hostile"
d=$(nmd_stat disconnects)
[ "$d" -ge 20 ] || fail "only $d clients were disconnected"
echo "netmapd disconnected $d hostile clients"

check_witness
check_baseline
stop_daemon
echo "test-netmapd-hostile: ok"
