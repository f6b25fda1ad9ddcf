#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# race.sh - a REGISTER that fails must never be seen half done, inside
# the test VM: threads of one process sync, poll and mmap a descriptor
# while another thread keeps making REGISTERs on it that carry an option
# netmap.ko refuses (unknown, EXTMEM, CSB), each naming a new VALE port or
# pipe, and a second descriptor makes and drops ports meanwhile.  Every
# sync, poll and mmap must fail (the descriptor is never bound); the
# harness fails on any oops or SLUB report.
set -eu
. ./lib.sh
nm_load

step "sync, poll and mmap against refused REGISTERs, 5 s"
./harden race 5
echo "race: ok"
