#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# storm.sh - the random storm of storm.c against netmap.ko, inside the
# test VM: 4 processes x 3 threads for STORM_SECONDS (20) of guest time,
# with the seed STORM_SEED if set (else a fresh one, printed), and
# STORM_ARGS passed on (-U: no unknown or unsupported options).  Then no
# descriptor may be left, and the module must unload; the harness fails
# on any kernel complaint, the module's leak check included.
#   run-vm.sh -e STORM_SEED=N tests/vm/storm.sh ...   replays a seed
set -eu
. ./lib.sh
nm_load

step "storm"
./storm -t "${STORM_SECONDS:-20}" ${STORM_SEED:+-s "$STORM_SEED"} \
    ${STORM_ARGS:-}

step "everything closed: the module unloads"
refs=$(cat /sys/module/netmap/refcnt)
[ "$refs" = 0 ] || { echo "FAIL: module refcnt $refs after the storm" >&2;
    exit 1; }
rmmod netmap
echo "storm.sh: ok"
