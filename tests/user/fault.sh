#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-fault: a REGISTER or VALE_ATTACH that runs out of memory
# part of the way through undoes what it did, the port's region (and
# its charge) included. The sanitized netmapd fails the Nth allocation
# (heap or memfd) of each such request (NM_FAULT_ALLOC=N, built in with
# NM_FAULT_INJECT only there); for N = 1, 2, ... until no request
# reaches N allocations, `nmc_harden fault` registers a VALE port, pipe
# ends, persistent ports (fresh ones: their region is made by the
# request) and a pipe of one, and attaches one to a switch: each request
# works or fails with ENOMEM, a failed one leaves no region behind, and
# at the end the daemon is back to its baseline (regions, heap) and
# exits with no leak.
. tests/user/lib.sh

H="$O/tests/user/nmc_harden"
VC="$O/vale-ctl"
n=1
nok=0
while :; do
	[ $n -gt 200 ] && fail "more than 200 allocations in a REGISTER"
	NM_FAULT_ALLOC=$n start_daemon
	baseline
	"$H" fault valeF:a flt{1 valeF:b}2 >"$T/fault.out" 2>&1 ||
	    fail "nmc_harden fault, allocation $n: $(cat "$T/fault.out")"
	check_baseline >/dev/null
	# Persistent ports keep the region a successful REGISTER made.
	for p in flt0 flt1 flt2; do
		"$VC" -n $p >/dev/null || fail "vale-ctl -n $p"
	done
	base=$(nmd_stat regions)
	"$H" fault flt0 +valeF:flt1 flt2{1 >"$T/fault2.out" 2>&1 ||
	    fail "nmc_harden fault, allocation $n: $(cat "$T/fault2.out")"
	r=$(nmd_stat regions)
	k=$(grep -c ' ok$' "$T/fault2.out")
	[ "$r" = $((base + k)) ] || fail "allocation $n: regions $r," \
	    "expected $base + $k: $(cat "$T/fault2.out")"
	for p in flt0 flt1 flt2; do
		"$VC" -r $p >/dev/null || fail "vale-ctl -r $p"
	done
	check_baseline >/dev/null
	stop_daemon
	grep -q "fault injection" "$T/netmapd.log" || break
	cat "$T/fault2.out" >>"$T/fault.out"
	grep -q enomem "$T/fault.out" || nok=$((nok + 1))
	n=$((n + 1))
done
echo "test-netmapd-fault: allocations 1 to $((n - 1)) failed in turn," \
    "$nok of them without a request failing"
echo "test-netmapd-fault: ok"
