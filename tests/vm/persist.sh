#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# persist.sh - persistent VALE ports in netmap.ko, inside the test VM:
# nmtest persist (NEWIF, ATTACH, traffic while nobody has the port open,
# DETACH, DELIF and upstream's errnos), then vale-ctl -n/-a/-l/-d/-r and
# its listing, as upstream prints them; each port an interface of the
# host (ip link, EEXIST for a taken name, what the stack sends on no
# switch dropped and counted); ports left behind, which the
# module's unload must take.  tests/user/nmtest.sh runs the same against
# netmapd.
set -eu
. ./lib.sh
nm_load

step "nmtest persist"
./nmtest persist vale1 pp0

step "vale-ctl: create, attach, list, refuse, detach, delete"
./vale-ctl -n pv0
./vale-ctl -n pv1
./vale-ctl -a vale2:pv0
./vale-ctl -a vale2:pv1
# each is an interface of the host: shown by ip link, its name taken
ip link show pv0 >/dev/null
ip link show pv1 >/dev/null
if ./vale-ctl -n lo 2>/tmp/err; then
	echo "FAIL: vale-ctl -n lo succeeded" >&2
	exit 1
fi
grep -q 'File exists' /tmp/err
# lo is no Ethernet interface: no port of a switch (valenic.sh: veth)
if ./vale-ctl -a vale2:lo 2>/tmp/err; then
	echo "FAIL: vale-ctl -a vale2:lo succeeded" >&2
	exit 1
fi
grep -q 'Operation not supported' /tmp/err
# on no switch, what the stack sends on it is dropped and counted
./vale-ctl -n pv2
ip link set pv2 up
ip addr add 10.9.9.1/24 dev pv2
ping -c 1 -W 1 10.9.9.2 >/dev/null 2>&1 || true
[ "$(cat /sys/class/net/pv2/statistics/tx_dropped)" -gt 0 ]
./vale-ctl -r pv2
./vale-ctl >/tmp/list
cat /tmp/list
printf '%s\n' 'vale2:pv0 bridge_idx 0 port_idx 0' \
    'vale2:pv1 bridge_idx 0 port_idx 1' | cmp - /tmp/list
./vale-ctl -l vale2:pv1 | grep -q '^port_idx: *1$'
if ./vale-ctl -r pv0 2>/tmp/err; then
	echo "FAIL: vale-ctl -r of an attached port succeeded" >&2
	exit 1
fi
grep -q 'Device or resource busy' /tmp/err
./vale-ctl -d vale2:pv0
./vale-ctl -r pv0
./vale-ctl -d vale2:pv1
./vale-ctl -r pv1
[ -z "$(./vale-ctl)" ]
if ip link show pv0 >/dev/null 2>&1; then
	echo "FAIL: pv0 still an interface after vale-ctl -r" >&2
	exit 1
fi
step "ports left for the unload to take (the harness checks for leaks)"
./vale-ctl -n pleft0
./vale-ctl -n pleft1
./vale-ctl -a vale3:pleft1
echo "persist: ok"
