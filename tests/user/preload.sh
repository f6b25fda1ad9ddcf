#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-preload: a raw-ABI program built for the kernel module
# (tests/user/nmd_raw.c: open, ioctl, mmap, poll only) runs against
# netmapd under LD_PRELOAD, and, where there is no /dev/netmap, fails
# without it.
. tests/user/lib.sh

start_daemon
baseline
if [ ! -e /dev/netmap ]; then
	env -u NETMAP_HOST "$O/tests/user/nmd_raw" >"$T/raw.out" 2>&1
	[ $? -eq 2 ] || fail "nmd_raw without the preload: $(cat "$T/raw.out")"
fi
LD_PRELOAD="$PWD/$O/libnetmap-preload.so" "$O/tests/user/nmd_raw" ||
    fail "nmd_raw under LD_PRELOAD"
# Without NETMAP_HOST the preload picks netmapd when there is no device.
if [ ! -e /dev/netmap ]; then
	env -u NETMAP_HOST LD_PRELOAD="$PWD/$O/libnetmap-preload.so" \
	    "$O/tests/user/nmd_raw" || fail "nmd_raw, netmapd by default"
fi
check_baseline
stop_daemon
echo "test-netmapd-preload: ok"
