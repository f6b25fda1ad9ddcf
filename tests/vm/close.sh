#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# close.sh - inside the test VM: tests/user/nmd_close.c against netmap.ko,
# whose close() releases the binding before it returns: exclusive
# re-binds, a persistent port deleted right after its close, dup()ed and
# forked descriptors, close_range and dup2 onto one. The same program
# checks netmapd in test-netmapd-close: the answers must be the module's.
set -eu
. ./lib.sh
nm_load

for t in excl persist dup fork scm paths; do
	step "nmd_close $t"
	./nmd_close $t
done
