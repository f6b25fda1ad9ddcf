#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-harden: the client library's guarantees (issue 12). With
# tests/user/nmc_harden.c: close() and dup2() racing calls in flight, a
# stopped process sharing a descriptor, unknown ioctls, forks of a
# process whose threads are inside calls, a child killed asleep in poll
# (its sleeper count taken back), fcntl's arguments passed through, the
# doorbell's lock of a sharer that died; with nmc_fake.c, fake daemons
# that misbehave; last, a daemon SIGKILLed under a pipe transfer: both
# clients must get EIO.
. tests/user/lib.sh

H="$O/tests/user/nmc_harden"
start_daemon
baseline
for t in race dup2 stop enotty fork sleeper fcntl ownerdead openrace; do
	"$H" $t >"$T/$t.out" 2>&1 || fail "nmc_harden $t: $(cat "$T/$t.out")"
	tail -2 "$T/$t.out"
done
check_baseline
stop_daemon

# Fake daemons, on sockets of their own.
"$O/tests/user/nmc_fake" >"$T/fake.out" 2>&1 ||
    fail "nmc_fake: $(cat "$T/fake.out")"
cat "$T/fake.out"

# The daemon dies: nmc_harden kills it by PID, mid-transfer.
start_daemon
"$H" dead "$NMD_PID" >"$T/dead.out" 2>&1 ||
    fail "nmc_harden dead: $(cat "$T/dead.out")"
wait "$NMD_PID" 2>/dev/null
NMD_PID=
tail -1 "$T/dead.out"
echo "test-netmapd-harden: ok"
