#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# smoke.sh - runs inside the test VM (tests/vm/run-vm.sh): loads netmap.ko,
# checks that /dev/netmap appears, runs the smoke program.  The harness
# unloads the module and checks the kernel log afterwards.
set -eu

insmod ./netmap.ko
# No udev here: make the node from sysfs if devtmpfs did not.
if [ ! -c /dev/netmap ]; then
	[ -r /sys/class/misc/netmap/dev ] || {
		echo "smoke: no /sys/class/misc/netmap" >&2; exit 1; }
	IFS=: read -r major minor </sys/class/misc/netmap/dev
	mknod /dev/netmap c "$major" "$minor"
fi
[ -c /dev/netmap ] || { echo "smoke: no /dev/netmap" >&2; exit 1; }
./smoke
