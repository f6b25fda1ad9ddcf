#!/bin/sh
# test-netmapd-harden: the client library's guarantees (issue 12), with
# tests/user/nmc_harden.c: close() racing calls in flight.
. tests/user/lib.sh

H="$O/tests/user/nmc_harden"
start_daemon
baseline
for t in race; do
	"$H" $t >"$T/$t.out" 2>&1 || fail "nmc_harden $t: $(cat "$T/$t.out")"
	tail -2 "$T/$t.out"
done
check_baseline
stop_daemon
echo "test-netmapd-harden: ok"
