#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-nmtest: tests/vm/nmtest.c, the raw-ABI test program the
# kernel module's tests run in the VM, built for the host and run against
# netmapd under LD_PRELOAD: the same checks, the same expected answers,
# in both hosts.
. tests/user/lib.sh

NMTEST="$O/tests/user/nmtest"
nmtest() {
	LD_PRELOAD="$PWD/$O/libnetmap-preload.so" "$NMTEST" "$@"
}

start_daemon
baseline
nmtest conform valeN || fail "nmtest conform"
nmtest monitor valeM || fail "nmtest monitor"
# netmapd cannot read a client's memory honestly: NS_INDIRECT is refused
nmtest indirect -r valeI || fail "nmtest indirect"
check_baseline
stop_daemon
echo "test-netmapd-nmtest: ok"
