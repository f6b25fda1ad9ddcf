#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Runs test_nic: the port-name and error cases, then, in a user and
# network namespace of its own (no privileges needed, no traffic), a
# veth with a chosen MAC and MTU that pkt-gen's look-ups must report.
# Where the machine allows no user namespaces, or has no iproute2, that
# part is skipped, saying so (tests/vm/bridge-nic.sh checks the MAC in
# the VM too).
# usage: test_nic.sh path/to/test_nic

NIC=${1:?usage: test_nic.sh test_nic}
MAC=02:5a:00:12:34:56
MTU=1400

"$NIC" || exit 1
if ! command -v ip >/dev/null; then
	echo "test_nic.sh: SKIP the veth case: no ip(8) here"
	exit 0
fi
if ! unshare -rn true 2>/dev/null; then
	echo "test_nic.sh: SKIP the veth case: no user namespaces here"
	exit 0
fi
unshare -rn sh -c "ip link add pgt0 address $MAC mtu $MTU type veth \
    peer name pgt1 && exec \"$NIC\" pgt0 $MAC $MTU"
