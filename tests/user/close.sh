#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-close: close() of a netmap descriptor returns once the
# daemon has released the binding, as the kernel module's does
# (tests/user/nmd_close.c): exclusive re-binds, a persistent port deleted
# right after the close (by the program and by vale-ctl -r), a dup()ed
# a forked and an SCM_RIGHTS-passed descriptor that keep the binding,
# close_range and dup2 onto a descriptor. Then the cost of an
# open/register/close cycle, for the record.
. tests/user/lib.sh

C="$O/tests/user/nmd_close"
start_daemon
baseline
for t in excl persist dup fork scm paths; do
	"$C" $t >"$T/$t.out" 2>&1 || fail "nmd_close $t: $(cat "$T/$t.out")"
	tail -1 "$T/$t.out"
done
i=0
while [ $i -lt 20 ]; do
	"$O/vale-ctl" -n clv0 >"$T/ctl.out" 2>&1 ||
	    fail "vale-ctl -n: $(cat "$T/ctl.out")"
	LD_PRELOAD="$PWD/$O/libnetmap-preload.so" \
	    "$O/tests/user/nmtest" send -n 1 clv0 >"$T/send.out" 2>&1 ||
	    fail "send on clv0: $(cat "$T/send.out")"
	"$O/vale-ctl" -r clv0 >"$T/ctl.out" 2>&1 ||
	    fail "vale-ctl -r right after the close: $(cat "$T/ctl.out")"
	i=$((i + 1))
done
echo "vale-ctl -r right after a close: 20 of 20"
"$C" bench 1000 || fail "nmd_close bench"
check_baseline
stop_daemon
echo "test-netmapd-close: ok"
