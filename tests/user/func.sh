#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-func: tests/user/nmd_func.c against a sanitized netmapd,
# then the daemon's counters back to their baseline and a clean exit.
. tests/user/lib.sh

start_daemon
baseline
"$O/tests/user/nmd_func" || fail "nmd_func"
check_baseline
stop_daemon
echo "test-netmapd-func: ok"
