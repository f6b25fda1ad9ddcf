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

# As root the daemon gives persistent ports a tap of their name (pp0,
# pv0, ...): in a network namespace of its own, they clash with nothing
# of the host's or of another test run's.
if [ "$(id -u)" = 0 ]; then
	unshare -n "$O/san/netmapd" -f -s "$NETMAP_SOCKET" \
	    2>"$T/netmapd.log" &
	wait_socket
else
	start_daemon
fi
baseline
nmtest hostile valeH || fail "nmtest hostile"
nmtest conform valeN || fail "nmtest conform"
nmtest monitor valeM || fail "nmtest monitor"
# NS_INDIRECT: the client copies the fragments (user/nmc_ind.c)
nmtest indirect valeI || fail "nmtest indirect"
# ... by a process that received the descriptor with SCM_RIGHTS
nmtest scm valeS || fail "nmtest scm"
nmtest persist valeP pp0 || fail "nmtest persist"

# vale-ctl as in tests/vm/persist.sh
vc() {
	LD_PRELOAD="$PWD/$O/libnetmap-preload.so" "$O/vale-ctl" "$@"
}
vc -n pv0 && vc -n pv1 && vc -a valeQ:pv0 && vc -a valeQ:pv1 ||
    fail "vale-ctl -n, -a"
vc >"$T/list" || fail "vale-ctl"
printf '%s\n' 'valeQ:pv0 bridge_idx 0 port_idx 0' \
    'valeQ:pv1 bridge_idx 0 port_idx 1' | cmp - "$T/list" ||
    fail "vale-ctl list: $(cat "$T/list")"
vc -l valeQ:pv1 | grep -q '^port_idx: *1$' || fail "vale-ctl -l"
# an interface of the host that is not Ethernet: EOPNOTSUPP, as for
# netmap:lo (netmapd's interfaces: test-netmapd-nic)
vc -a valeQ:lo 2>"$T/err" && fail "vale-ctl -a valeQ:lo"
grep -q 'Operation not supported' "$T/err" ||
    fail "vale-ctl -a valeQ:lo: $(cat "$T/err")"
vc -r pv0 2>"$T/err" && fail "vale-ctl -r of an attached port"
grep -q 'Device or resource busy' "$T/err" ||
    fail "vale-ctl -r: $(cat "$T/err")"
# the daemon keeps persistent ports with no client
sleep 0.2
vc -l valeQ:pv0 | grep -q '^port_idx: *0$' || fail "pv0 went away"
vc -d valeQ:pv0 && vc -r pv0 && vc -d valeQ:pv1 && vc -r pv1 ||
    fail "vale-ctl -d, -r"
[ -z "$(vc)" ] || fail "ports left: $(vc)"
check_baseline
stop_daemon
echo "test-netmapd-nmtest: ok"
