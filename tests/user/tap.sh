#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-tap: persistent ports' tap devices in netmapd
# (user/nm_tap_user.c), natively, in network namespaces this test makes:
# netmapd in D, the taps moved to B and C (so also checked: a tap keeps
# working in another namespace, up and down followed there):
#   - vale-ctl -n NAME makes tap NAME, down; a name taken by an interface
#     of the daemon's namespace is EEXIST;
#   - two persistent ports on one switch: ping from B to C through them;
#   - what B's stack sends on its tap reaches an ephemeral port of the
#     switch (nmtest recv: count, order, every byte), what an ephemeral
#     port sends reaches C's stack (nmtest afrecv), 60 and 1514 bytes;
#   - down: nothing reaches that stack (its counters), up again: ping;
#   - vale-ctl -r while attached is EBUSY, after -d it takes the tap
#     away while up; the log counts each tap's frames;
#   - ip link del of a tap: the port stays, netmap's only;
#   - SIGKILL of the daemon leaves no tap; SIGTERM neither, and clean;
#   - without CAP_NET_ADMIN the port is made, with no tap, and vale-ctl
#     prints netmapd's note saying why.
# Needs root (namespaces) and /dev/net/tun; skips otherwise.
. tests/user/lib.sh

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: test-netmapd-tap needs root (network namespaces)"
	exit 0
fi
if [ ! -c /dev/net/tun ]; then
	echo "SKIP: test-netmapd-tap: no /dev/net/tun"
	exit 0
fi

NT=$(command -v timeout) || fail "no timeout(1)"
NMTEST="$PWD/$O/tests/user/nmtest"
PRELOAD_SO="$PWD/$O/libnetmap-preload.so"
NSD=nmtd$$
NSB=nmtb$$
NSC=nmtc$$
D="ip netns exec $NSD"
B="ip netns exec $NSB"
C="ip netns exec $NSC"

tap_cleanup() {
	nmd_cleanup
	for n in "$NSD" "$NSB" "$NSC"; do
		ip netns del "$n" 2>/dev/null
	done
}
trap tap_cleanup EXIT
for n in "$NSD" "$NSB" "$NSC"; do
	ip netns add "$n" || fail "ip netns add $n"
done

tap_start() {
	: >"$T/netmapd.log"
	$D "$@" "$O/san/netmapd" -f -s "$NETMAP_SOCKET" 2>"$T/netmapd.log" &
	wait_socket
}

vc() {
	$D "$NT" 10 "$O/vale-ctl" "$@"
}

nmt() {
	$D env LD_PRELOAD="$PRELOAD_SO" "$NT" 30 "$NMTEST" "$@"
}

# rx_packets NS IF: what the stack of NS received on IF
rx_packets() {
	ip netns exec "$1" cat "/sys/class/net/$2/statistics/rx_packets"
}

# ping_ok WHY: B reaches C, every echo answered (after a first one that
# may wait for ARP and for the daemon to see the taps up)
ping_ok() {
	i=0
	until $B ping -c 1 -W 2 10.8.0.2 >/dev/null; do
		i=$((i + 1))
		[ $i -ge 5 ] && fail "no ping B -> C: $1"
	done
	$B ping -c 5 -i 0.2 -W 2 10.8.0.2 >"$T/ping.out" ||
	    fail "ping B -> C $1: $(cat "$T/ping.out")"
	grep -q " 5 received, 0% packet loss" "$T/ping.out" ||
	    fail "ping B -> C $1: $(cat "$T/ping.out")"
}

tap_start

echo "== vale-ctl -n: a tap, down; EEXIST for a taken name"
ip -n "$NSD" link add tclash type veth peer name tclashp ||
    fail "ip link add veth"
vc -n tclash 2>"$T/err" && fail "vale-ctl -n over an interface"
grep -q "File exists" "$T/err" || fail "vale-ctl -n tclash: $(cat "$T/err")"
vc -n tp1 && vc -n tp2 || fail "vale-ctl -n"
# a tap of our name exists now: a second NEWIF is EEXIST too
vc -n tp1 2>"$T/err" && fail "vale-ctl -n tp1 twice"
grep -q "File exists" "$T/err" || fail "vale-ctl -n tp1: $(cat "$T/err")"
ip -n "$NSD" -d link show tp1 >"$T/link" || fail "no tap tp1"
grep -q "tun type tap" "$T/link" || fail "tp1 no tap: $(cat "$T/link")"
grep -q "state DOWN" "$T/link" || fail "tp1 not down: $(cat "$T/link")"
vc -a valeT:tp1 && vc -a valeT:tp2 || fail "vale-ctl -a"

echo "== the taps moved to B and C: ping through the switch"
ip -n "$NSD" link set tp1 netns "$NSB" &&
    ip -n "$NSD" link set tp2 netns "$NSC" || fail "ip link set netns"
ip -n "$NSB" addr add 10.8.0.1/24 dev tp1
ip -n "$NSC" addr add 10.8.0.2/24 dev tp2
# no IPv6: its own traffic (DAD, router solicitations) would count below
for n in "$NSB" "$NSC"; do
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
ip -n "$NSB" link set tp1 up && ip -n "$NSC" link set tp2 up ||
    fail "ip link set up"
ping_ok "up"

echo "== B's stack -> an ephemeral port; an ephemeral port -> C's stack"
for len in 60 1514; do
	: >"$T/rx.out"
	nmt recv -x -n 200 -l $len valeT:e1 >"$T/rx.out" 2>&1 &
	rpid=$!
	wait_ready "$T/rx.out"
	$B "$NMTEST" afsend -n 200 -l $len tp1 >/dev/null ||
	    fail "afsend on tp1"
	wait $rpid || fail "recv of B's frames ($len): $(cat "$T/rx.out")"
	tail -1 "$T/rx.out"

	: >"$T/af.out"
	$C "$NT" 30 "$NMTEST" afrecv -n 200 -l $len tp2 >"$T/af.out" 2>&1 &
	rpid=$!
	wait_ready "$T/af.out"
	nmt send -w -n 200 -l $len valeT:e2 >"$T/tx.out" 2>&1 ||
	    fail "send to C ($len): $(cat "$T/tx.out")"
	wait $rpid || fail "afrecv on tp2 ($len): $(cat "$T/af.out")"
	tail -1 "$T/af.out"
done

echo "== down: nothing reaches that stack; up again: ping"
ip -n "$NSC" link set tp2 down || fail "ip link set down"
before=$(rx_packets "$NSC" tp2)
: >"$T/af.out"
$B "$NT" 30 "$NMTEST" afrecv -n 100 -l 60 tp1 >"$T/af.out" 2>&1 &
rpid=$!
wait_ready "$T/af.out"
nmt send -w -n 100 -l 60 valeT:e2 >"$T/tx.out" 2>&1 ||
    fail "send while tp2 is down: $(cat "$T/tx.out")"
# B's up tap got them all, so the switch has passed them on to tp2 too
wait $rpid || fail "afrecv on tp1: $(cat "$T/af.out")"
after=$(rx_packets "$NSC" tp2)
[ "$after" = "$before" ] ||
    fail "tp2 down received frames: $before, then $after"
echo "tp2 down: rx_packets $before, then $after"
ip -n "$NSC" link set tp2 up || fail "ip link set up"
ping_ok "after down and up"

echo "== vale-ctl -r: EBUSY while attached, then the tap goes while up"
vc -r tp1 2>"$T/err" && fail "vale-ctl -r of an attached port"
grep -q "Device or resource busy" "$T/err" ||
    fail "vale-ctl -r tp1: $(cat "$T/err")"
vc -d valeT:tp1 && vc -r tp1 || fail "vale-ctl -d, -r tp1"
ip -n "$NSB" link show tp1 >/dev/null 2>&1 && fail "tp1 left after -r"
grep "tp1: tap removed" "$T/netmapd.log" ||
    fail "no count of tp1's frames in the log"
# 400 test frames and the pings, 200 frames and the echoes back
grep -Eq "tp1: tap removed; stack to port ([4-9][0-9][0-9]|[0-9]{4,}) " \
    "$T/netmapd.log" || fail "tp1's frames to the port not counted"

echo "== ip link del of a tap: the port stays, netmap's only"
vc -n tp5 || fail "vale-ctl -n tp5"
ip -n "$NSD" link set tp5 up && ip -n "$NSD" link del tp5 ||
    fail "ip link del tp5"
# its descriptor says POLLERR from now on: taken as the end, not spun on
i=0
until grep -q "tp5: the tap was deleted" "$T/netmapd.log"; do
	i=$((i + 1))
	[ $i -gt 500 ] && fail "the daemon did not see tp5 go"
	sleep 0.01
done
vc -a valeT:tp5 && vc -d valeT:tp5 && vc -r tp5 ||
    fail "tp5 no port after its tap went"

echo "== SIGKILL of the daemon: no tap left"
kill -KILL "$NMD_PID"
wait "$NMD_PID"
NMD_PID=
ip -n "$NSC" link show tp2 >/dev/null 2>&1 && fail "tp2 left after SIGKILL"
rm -f "$NETMAP_SOCKET" "$NETMAP_SOCKET.lock" "$NETMAP_SOCKET.pid"

echo "== SIGTERM with a tap up on a switch: gone, a clean exit"
tap_start
vc -n tp3 && vc -a valeT:tp3 || fail "vale-ctl -n, -a tp3"
ip -n "$NSD" link set tp3 up || fail "ip link set tp3 up"
stop_daemon
ip -n "$NSD" link show tp3 >/dev/null 2>&1 && fail "tp3 left after exit"

echo "== without CAP_NET_ADMIN: the port, no tap, and vale-ctl says why"
tap_start setpriv --bounding-set=-net_admin --inh-caps=-all
vc -n tp4 >"$T/out" 2>&1 || fail "vale-ctl -n tp4: $(cat "$T/out")"
want="netmapd: tp4: no tap device without CAP_NET_ADMIN: a netmap port only"
grep -qxF "$want" "$T/out" || fail "vale-ctl's note: $(cat "$T/out")"
cat "$T/out"
ip -n "$NSD" link show tp4 >/dev/null 2>&1 && fail "a tap without the cap"
vc -a valeT:tp4 && vc -d valeT:tp4 && vc -r tp4 ||
    fail "tp4 is no port: vale-ctl -a, -d, -r"
stop_daemon

echo "test-netmapd-tap: ok"
