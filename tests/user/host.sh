#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-host: host rings of interfaces in netmapd (a tap and two
# tcx programs per attached interface, user/nm_host_user.c), natively
# on a veth pair between two network namespaces this test makes: netmapd
# and the stack under test in A (IFA, 10.9.3.1), the peer in B. In each
# of AF_XDP zero copy, AF_XDP copy and AF_PACKET:
#   - vale-ctl -h valeH:IFA: ping A -> B and B -> A through the switch
#     (A's stack is the host port), as tests/vm/valenic.sh in the module;
#     the hidden tap up, without addresses (no IPv6);
#   - transparent mode (nmtest transparent: NS_FORWARD both ways): ping
#     both ways, as tests/vm/nic.sh;
#   - a netmap:IFA^ receiver gets exactly what A's stack sends on IFA
#     (nmtest afsend in A: count, order, every byte), and what is written
#     to the host TX ring reaches A's stack as received on IFA (nmtest
#     afrecv in A), 60 and 1514 bytes;
#   - the frames of the host TX ring do not show up in the NIC RX ring
#     (a receiver on netmap:IFA gets the peer's frames alone);
#   - after close, SIGKILL of a client bound to IFA^ and SIGKILL of the
#     daemon: no tap, no program left, A's stack reaches B directly;
#   - someone else's tap of our tap's name: not taken over, the host
#     rings stay empty and the log says why.
# Without CAP_NET_ADMIN and CAP_BPF: EOPNOTSUPP, and pkt-gen and vale-ctl
# print netmapd's note saying why.
# Needs root and a kernel with AF_XDP and tcx (Linux 6.6); skips otherwise.
. tests/user/lib.sh

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: test-netmapd-host needs root (network namespaces)"
	exit 0
fi
if ! grep -q '^XDP ' /proc/net/protocols 2>/dev/null ||
    [ ! -c /dev/net/tun ]; then
	echo "SKIP: test-netmapd-host: no AF_XDP or no /dev/net/tun"
	exit 0
fi

NT=$(command -v timeout) || fail "no timeout(1)"
NMTEST="$PWD/$O/tests/user/nmtest"
PG="$PWD/$O/pkt-gen"
PRELOAD_SO="$PWD/$O/libnetmap-preload.so"
NSA=nmha$$
NSB=nmhb$$
IFA=nmha$$
IFB=nmhb$$
A="ip netns exec $NSA"
B="ip netns exec $NSB"

host_cleanup() {
	nmd_cleanup
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
}
trap host_cleanup EXIT
ip netns add "$NSA" && ip netns add "$NSB" || fail "ip netns add"
ip link add "$IFA" netns "$NSA" type veth peer name "$IFB" netns "$NSB" ||
    fail "ip link add"
ip -n "$NSA" addr add 10.9.3.1/24 dev "$IFA"
ip -n "$NSB" addr add 10.9.3.2/24 dev "$IFB"
# no IPv6: its own traffic (DAD, router solicitations) would count below
for n in "$NSA" "$NSB"; do
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$n" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$NSA" link set "$IFA" up && ip -n "$NSB" link set "$IFB" up ||
    fail "ip link set up"
TAP=nmh$(ip netns exec "$NSA" cat "/sys/class/net/$IFA/ifindex")

host_start() {
	: >"$T/netmapd.log"
	$A "$@" "$O/san/netmapd" -f -s "$NETMAP_SOCKET" 2>"$T/netmapd.log" &
	wait_socket
}

nmt() {
	$A env LD_PRELOAD="$PRELOAD_SO" "$NT" 30 "$NMTEST" "$@"
}

vc() {
	$A "$NT" 10 "$O/vale-ctl" "$@"
}

# ping_ok FROM TO WHY: every echo answered (after a first one that may
# wait for ARP)
ping_ok() {
	i=0
	until ip netns exec "$1" ping -c 1 -W 2 "$2" >/dev/null; do
		i=$((i + 1))
		[ $i -ge 5 ] && fail "no ping $1 -> $2: $3"
	done
	ip netns exec "$1" ping -c 3 -i 0.2 -W 2 "$2" >"$T/ping.out" &&
	    grep -q " 3 received, 0% packet loss" "$T/ping.out" ||
	    fail "ping $1 -> $2 $3: $(cat "$T/ping.out")"
}

# no_plumbing WHEN: no tap, none of our programs (the kernel frees a
# program after an RCU grace period), the stack on the wire again
no_plumbing() {
	i=0
	while ip -n "$NSA" link show "$TAP" >/dev/null 2>&1 ||
	    bpftool prog show 2>/dev/null | grep -q netmapd_host; do
		i=$((i + 1))
		[ $i -gt 300 ] && fail "host plumbing left $1:" \
		    "$(ip -n "$NSA" link)" \
		    "$(bpftool prog show 2>/dev/null | grep netmapd_host)"
		sleep 0.01
	done
	ping_ok "$NSA" 10.9.3.2 "$1"
}

# has_plumbing WHEN: the tap is there, up, with no address of any kind
# (no IPv6 link-local address: it would send on its own)
has_plumbing() {
	ip -n "$NSA" addr show "$TAP" >"$T/tap.out" 2>&1 ||
	    fail "no tap $TAP $1"
	grep -q "UP" "$T/tap.out" || fail "tap down $1: $(cat "$T/tap.out")"
	grep -q "inet" "$T/tap.out" &&
	    fail "tap with an address $1: $(cat "$T/tap.out")"
	return 0
}

# host_path PATH: what every path must pass
host_path() {
	path=$1
	echo "== $path: vale-ctl -h: ping both ways through the switch"
	vc -h "valeH:$IFA" >"$T/h.out" 2>&1 ||
	    fail "vale-ctl -h: $(cat "$T/h.out")"
	has_plumbing "after vale-ctl -h"
	ping_ok "$NSA" 10.9.3.2 "($path, -h)"
	ping_ok "$NSB" 10.9.3.1 "($path, -h)"
	vc -d "valeH:$IFA" || fail "vale-ctl -d"
	no_plumbing "after vale-ctl -d ($path)"

	echo "== $path: transparent mode (NS_FORWARD): ping both ways"
	: >"$T/fwd.out"
	$A env LD_PRELOAD="$PRELOAD_SO" "$NT" 60 "$NMTEST" transparent \
	    "$IFA" >"$T/fwd.out" 2>&1 &
	fpid=$!
	wait_ready "$T/fwd.out"
	has_plumbing "in transparent mode"
	ping_ok "$NSA" 10.9.3.2 "($path, transparent)"
	ping_ok "$NSB" 10.9.3.1 "($path, transparent)"
	kill -TERM "$fpid"
	wait "$fpid" || fail "transparent: $(cat "$T/fwd.out")"
	no_plumbing "after transparent mode ($path)"

	for len in 60 1514; do
		echo "== $path: A's stack -> $IFA^, $IFA^ -> A's stack ($len)"
		: >"$T/rx.out"
		nmt recv -x -n 200 -l $len "$IFA^" >"$T/rx.out" 2>&1 &
		rpid=$!
		wait_ready "$T/rx.out"
		$A "$NMTEST" afsend -n 200 -l $len "$IFA" >/dev/null ||
		    fail "afsend on $IFA"
		wait $rpid || fail "recv on $IFA^: $(cat "$T/rx.out")"
		tail -1 "$T/rx.out"

		: >"$T/af.out"
		$A "$NT" 30 "$NMTEST" afrecv -n 200 -l $len "$IFA" \
		    >"$T/af.out" 2>&1 &
		rpid=$!
		wait_ready "$T/af.out"
		nmt send -w -n 200 -l $len "$IFA^" >"$T/tx.out" 2>&1 ||
		    fail "send on $IFA^: $(cat "$T/tx.out")"
		wait $rpid || fail "afrecv in A: $(cat "$T/af.out")"
		tail -1 "$T/af.out"
	done
	no_plumbing "after close ($path)"

	echo "== $path: the host TX ring's frames stay out of the NIC RX ring"
	# NIC and host rings of one port, recv on both: the host TX ring's
	# 100 frames of 100 bytes would break its order or length
	: >"$T/rx.out"
	nmt recv -x -n 200 -l 60 "$IFA" >"$T/rx.out" 2>&1 &
	rpid=$!
	wait_ready "$T/rx.out"
	nmt send -w -n 100 -l 100 "$IFA^" >"$T/tx.out" 2>&1 ||
	    fail "send on $IFA^: $(cat "$T/tx.out")"
	$B "$NMTEST" afsend -n 200 -l 60 "$IFB" >/dev/null ||
	    fail "afsend on $IFB"
	wait $rpid || fail "recv on $IFA: $(cat "$T/rx.out")"
	tail -1 "$T/rx.out"
	no_plumbing "after close ($path)"

	echo "== $path: SIGKILL of a client bound to $IFA^"
	# no timeout(1) in between: $! is nmtest itself
	$A env LD_PRELOAD="$PRELOAD_SO" "$NMTEST" recv -n 0 "$IFA^" \
	    >/dev/null 2>&1 &
	cpid=$!
	i=0
	until ip -n "$NSA" link show "$TAP" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 500 ] && fail "no tap for the client"
		sleep 0.01
	done
	kill -KILL "$cpid"
	wait "$cpid" 2>/dev/null
	no_plumbing "after SIGKILL of the client ($path)"
}

host_start
host_path "AF_XDP zero copy"
stop_daemon
host_start env NETMAPD_NIC=xdp-copy
host_path "AF_XDP copy"
stop_daemon
host_start env NETMAPD_NIC=afpacket
host_path "AF_PACKET"

echo "== a tap of our tap's name exists: host rings empty, it untouched"
ip -n "$NSA" tuntap add "$TAP" mode tap || fail "ip tuntap add"
vc -h "valeH:$IFA" || fail "vale-ctl -h with $TAP taken"
grep -q "$IFA: the host rings stay empty: tap: Device or resource busy" \
    "$T/netmapd.log" || fail "the log does not say why the host rings are empty"
vc -d "valeH:$IFA" || fail "vale-ctl -d"
ip -n "$NSA" -d link show "$TAP" >"$T/link" || fail "$TAP gone"
grep -q "state DOWN" "$T/link" && grep -q "tun type tap" "$T/link" ||
    fail "$TAP changed: $(cat "$T/link")"
ip -n "$NSA" tuntap del "$TAP" mode tap || fail "ip tuntap del"

echo "== SIGKILL of the daemon with the host port on a switch"
vc -h "valeH:$IFA" || fail "vale-ctl -h"
has_plumbing "before SIGKILL of the daemon"
kill -KILL "$NMD_PID"
wait "$NMD_PID" 2>/dev/null
NMD_PID=
no_plumbing "after SIGKILL of the daemon"
ip netns exec "$NSA" tc filter show dev "$IFA" egress >"$T/tc.out"
[ ! -s "$T/tc.out" ] || fail "tc filter left: $(cat "$T/tc.out")"
rm -f "$NETMAP_SOCKET" "$NETMAP_SOCKET.lock" "$NETMAP_SOCKET.pid"

echo "== without CAP_NET_ADMIN and CAP_BPF: EOPNOTSUPP, and why"
host_start setpriv --bounding-set=-net_admin,-bpf,-sys_admin --inh-caps=-all
want="netmapd: $IFA: host rings need CAP_NET_ADMIN and CAP_BPF"
$A "$NT" 30 "$PG" -i "netmap:$IFA^" -f rx -n 1 >"$T/perm.out" 2>&1 &&
    fail "pkt-gen bound host rings without the capabilities"
grep -q "Operation not supported" "$T/perm.out" &&
    grep -qxF "$want" "$T/perm.out" ||
    fail "pkt-gen's error: $(cat "$T/perm.out")"
vc -h "valeH:$IFA" >"$T/perm.out" 2>&1 && fail "vale-ctl -h attached"
grep -q "Operation not supported" "$T/perm.out" &&
    grep -qF "$want" "$T/perm.out" ||
    fail "vale-ctl -h's error: $(cat "$T/perm.out")"
cat "$T/perm.out"
# the NIC rings still work, through AF_PACKET
vc -a "valeH:$IFA" && vc -d "valeH:$IFA" || fail "vale-ctl -a, -d"
stop_daemon

echo "test-netmapd-host: ok"
