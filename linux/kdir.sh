#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Prints the kernel build directory netmap.ko is built against: $KDIR if
# set, else the running kernel's /lib/modules/$(uname -r)/build, else the
# newest headers installed under /lib/modules/*/build (the machines we
# test on run a kernel without headers and boot Debian's under QEMU).
# With -r, prints that kernel's release (its UTS_RELEASE, which is what
# /lib/modules/ and /boot/vmlinuz-* are named after) instead.
# Usage: kdir.sh [-r]
set -eu

kdir=${KDIR:-}
if [ -z "$kdir" ]; then
	kdir=/lib/modules/$(uname -r)/build
	if [ ! -f "$kdir/Makefile" ]; then
		kdir=$(ls -d /lib/modules/*/build/Makefile 2>/dev/null |
		    sort -V | tail -n 1)
		kdir=${kdir%/Makefile}
	fi
fi
if [ -n "${KDIR:-}" ] && [ ! -f "$kdir/Makefile" ]; then
	echo "kdir.sh: KDIR=$kdir holds no kernel build tree" >&2
	exit 1
elif [ -z "$kdir" ]; then
	echo "kdir.sh: no kernel headers found (scripts/deps.sh vm installs" \
	    "Debian's)" >&2
	exit 1
fi
if [ "${1:-}" = -r ]; then
	sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
	    "$kdir/include/generated/utsrelease.h"
else
	echo "$kdir"
fi
