#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-nic: interfaces as netmap ports in netmapd (AF_XDP, and
# AF_PACKET forced with NETMAPD_NIC=afpacket), natively, on veth pairs
# between two network namespaces this test creates: netmapd and the
# netmap programs in namespace A, the peer driven through AF_PACKET in B
# (nmtest afsend / afrecv: counts, order and every byte), as
# tests/vm/nic.sh checks the module's:
#   - AF_XDP in zero copy (the default: the buffer pool is the UMEM) and
#     in copy mode (NETMAPD_NIC=xdp-copy), then AF_PACKET, each:
#   - pkt-gen on netmap:IF reaches the peer, and pkt-gen receives what
#     the peer sends; nmtest's frames both ways, 60 and 1514 bytes, and
#     9000 bytes (MTU 9000, 5-slot NS_MOREFRAG frames) both ways;
#   - a frame longer than the MTU is dropped, not sent;
#   - bad requests (nmtest nicerr), host ring modes (nmtest nichost,
#     which binds IF^ right after closing IF; their traffic:
#     test-netmapd-host);
#   - a 4-queue pair: 4 ring pairs, frames on each TX ring;
#   - ip link del of the bound interface mid-traffic: clients live on,
#     close cleanly, and a new interface of that name is a new port;
#   - monitors /r, /t, /z of the interface see exactly its frames;
#   - on a VALE switch (vale-ctl -a/-d): 3000 frames in, 500 out,
#     1000 in through a polling thread (vale-ctl -p/-P); vale-ctl -l
#     names the path after upstream's lines;
#   - AF_XDP: while bound, the stack gets nothing; the program is on the
#     interface while bound and gone (ip link, bpftool) after close,
#     after SIGKILL of the client and after SIGKILL of the daemon;
#   - pkt-gen's startup lines name the path (netmapd's note), also to a
#     second binder;
#   - without CAP_NET_RAW the REGISTER fails with EPERM and the log, and
#     pkt-gen's error, say which capability is missing; with CAP_NET_RAW
#     but not CAP_NET_ADMIN and CAP_BPF the automatic choice is
#     AF_PACKET, and says why, and NETMAPD_NIC=xdp is EPERM, which
#     pkt-gen explains.
# Needs root (namespaces) and a kernel with AF_XDP; skips otherwise.
. tests/user/lib.sh

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: test-netmapd-nic needs root (network namespaces)"
	exit 0
fi
if ! grep -q '^XDP ' /proc/net/protocols 2>/dev/null; then
	echo "SKIP: test-netmapd-nic: this kernel has no AF_XDP"
	exit 0
fi

NT=$(command -v timeout) || fail "no timeout(1)"
NMTEST="$PWD/$O/tests/user/nmtest"
PG="$PWD/$O/pkt-gen"
PRELOAD_SO="$PWD/$O/libnetmap-preload.so"
# namespaces of our own, removed by the cleanup
NSA=nmxa$$
NSB=nmxb$$
IFA=nmxa$$
IFB=nmxb$$
A="ip netns exec $NSA"
B="ip netns exec $NSB"

# A bystander: another netmapd in a namespace of its own (NSC) with a
# port bound on its own veth, so its netmapd_xsk program is loaded while
# this test checks for programs left behind.
NSC=nmxc$$
IFC=nmxc$$
BY_PIDS=

nic_cleanup() {
	for p in $BY_PIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	nmd_cleanup
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	ip netns del "$NSC" 2>/dev/null
}
trap nic_cleanup EXIT
ip netns add "$NSA" && ip netns add "$NSB" || fail "ip netns add"
command -v bpftool >/dev/null || fail "no bpftool"

# pair NQUEUES: IFA (10.9.0.1, in A) <-> IFB (10.9.0.2, in B)
pair() {
	ip -n "$NSA" link del "$IFA" 2>/dev/null
	ip link add "$IFA" numtxqueues "$1" numrxqueues "$1" netns "$NSA" \
	    type veth peer name "$IFB" numtxqueues "$1" numrxqueues "$1" \
	    netns "$NSB" || fail "ip link add"
	ip -n "$NSA" addr add 10.9.0.1/24 dev "$IFA"
	ip -n "$NSB" addr add 10.9.0.2/24 dev "$IFB"
	ip -n "$NSA" link set "$IFA" up
	ip -n "$NSB" link set "$IFB" up
}

# The daemon in namespace A (sanitized), with the given environment.
nic_start() {
	: >"$T/netmapd.log"
	$A env "$@" "$O/san/netmapd" -f -s "$NETMAP_SOCKET" \
	    2>"$T/netmapd.log" &
	wait_socket
}

# stack_ok WHY: once the daemon has let the interface go (it does when
# it has seen its client's close: no host rings' tap "nmh<ifindex>" nor
# XDP program left), A's stack reaches B
stack_ok() {
	i=0
	while ip -n "$NSA" link show | grep -q ': nmh[0-9]*:' || prog_left; do
		i=$((i + 1))
		[ $i -gt 300 ] && fail "the interface not let go: $*"
		sleep 0.01
	done
	$A ping -c 1 -W 5 10.9.0.2 >/dev/null || fail "ping A -> B: $*"
}

# no_prog WHEN: no XDP program on the interface, none left in our
# daemon's descriptors, and every program this test has seen on its
# interface freed (the daemon detaches once it has seen its client's
# close; the kernel frees a program after an RCU grace period). Only
# this test's own: another netmapd's programs (make bench, a test run
# beside this one) carry the same name, netmapd_xsk.
PROG_IDS=
prog_left() {
	ip -n "$NSA" link show "$IFA" | grep -q 'prog/xdp' && return 0
	[ -n "$NMD_PID" ] &&
	    grep -qs '^prog_id:' /proc/"$NMD_PID"/fdinfo/* && return 0
	for id in $PROG_IDS; do
		bpftool prog show id "$id" >/dev/null 2>&1 && return 0
	done
	return 1
}

no_prog() {
	i=0
	while prog_left; do
		i=$((i + 1))
		[ $i -gt 300 ] && fail "an XDP program left $1:" \
		    "$(ip -n "$NSA" link show "$IFA")" \
		    "$(for id in $PROG_IDS; do bpftool prog show id "$id" \
		    2>/dev/null; done)"
		sleep 0.01
	done
	return 0
}

# has_prog WHEN: a program on the interface; remember its id.
has_prog() {
	id=$(ip -n "$NSA" link show "$IFA" |
	    sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
	[ -n "$id" ] || fail "no XDP program on $IFA $1"
	PROG_IDS="$PROG_IDS $id"
}

bystander_start() {
	ip netns add "$NSC" &&
	    ip -n "$NSC" link add "$IFC" type veth peer name "${IFC}p" &&
	    ip -n "$NSC" link set "$IFC" up &&
	    ip -n "$NSC" link set "${IFC}p" up || fail "the bystander's veth"
	ip netns exec "$NSC" "$O/netmapd" -f -s "$T/by.sock" \
	    2>"$T/by.log" &
	BY_PIDS=$!
	wait_sock "$T/by.sock"
	: >"$T/by.out"
	ip netns exec "$NSC" env NETMAP_SOCKET="$T/by.sock" \
	    LD_PRELOAD="$PRELOAD_SO" "$NMTEST" recv -x -n 0 -t 0 "$IFC" \
	    >"$T/by.out" 2>&1 &
	BY_PIDS="$! $BY_PIDS"	# the client first, then its daemon
	wait_ready "$T/by.out"
	ip -n "$NSC" link show "$IFC" | grep -q 'prog/xdp' ||
	    fail "no XDP program on the bystander's $IFC"
}

bystander_stop() {
	for p in $BY_PIDS; do
		kill -TERM "$p"
		wait "$p" 2>/dev/null
	done
	BY_PIDS=
	ip netns del "$NSC"
}

nmt() {
	$A env LD_PRELOAD="$PRELOAD_SO" "$NT" 30 "$NMTEST" "$@"
}

wait_ok() {
	wait "$1" || fail "$2: $(tail -3 "$3")"
	tail -1 "$3"
}

# to_peer SEND-ARGS -- AFRECV-ARGS: netmap:IFA -> AF_PACKET on IFB
to_peer() {
	sargs=
	while [ "$1" != -- ]; do sargs="$sargs $1"; shift; done
	shift
	: >"$T/af.out"
	$B "$NT" 30 "$NMTEST" afrecv "$@" "$IFB" >"$T/af.out" 2>&1 &
	rpid=$!
	wait_ready "$T/af.out"
	# one CPU: veth queues a frame on the backlog of the sender's CPU
	# shellcheck disable=SC2086
	nmt send -w $sargs "$IFA" >"$T/send.out" 2>&1 ||
	    fail "send$sargs: $(cat "$T/send.out")"
	wait_ok $rpid "afrecv $*" "$T/af.out"
}

# from_peer AFSEND-ARGS -- RECV-ARGS: AF_PACKET on IFB -> netmap:IFA
from_peer() {
	sargs=
	while [ "$1" != -- ]; do sargs="$sargs $1"; shift; done
	shift
	: >"$T/nm.out"
	nmt recv -x "$@" "$IFA" >"$T/nm.out" 2>&1 &
	rpid=$!
	wait_ready "$T/nm.out"
	# shellcheck disable=SC2086
	$B "$NMTEST" afsend $sargs "$IFB" >/dev/null ||
	    fail "afsend$sargs"
	wait_ok $rpid "recv $*" "$T/nm.out"
}

# traffic PATH LOGLINE: what every path must pass; the log names it.
traffic() {
	path=$1
	logline=$2
	pair 1
	stack_ok "before any binding ($path)"

	echo "== $path: pkt-gen on netmap:$IFA -> AF_PACKET on $IFB"
	: >"$T/af.out"
	$B "$NT" 30 "$NMTEST" afrecv -P -S 1 -D 2 -l 60 -n 1000 "$IFB" \
	    >"$T/af.out" 2>&1 &
	rpid=$!
	wait_ready "$T/af.out"
	$A taskset 1 "$NT" 30 "$PG" -i "netmap:$IFA" -f tx -n 1000 -l 60 \
	    -S 02:00:00:00:00:01 -D 02:00:00:00:00:02 -s 10.9.0.1 \
	    -d 10.9.0.2 >"$T/pg.out" 2>&1 || fail "pkt-gen tx: $(cat "$T/pg.out")"
	wait_ok $rpid "afrecv of pkt-gen's frames" "$T/af.out"
	grep -q "$IFA: $logline" "$T/netmapd.log" ||
	    fail "the log does not say $logline"
	# and so does pkt-gen, from netmapd's note with the REGISTER
	grep -q "$IFA: $logline.*, 1 queue\$" "$T/pg.out" ||
	    fail "pkt-gen does not say $logline: $(cat "$T/pg.out")"

	echo "== $path: AF_PACKET on $IFB -> pkt-gen on netmap:$IFA"
	: >"$T/pg.out"
	$A "$NT" 30 "$PG" -i "netmap:$IFA" -f rx -n 1000 >"$T/pg.out" 2>&1 &
	rpid=$!
	sleep 1
	$B "$NMTEST" afsend -n 1000 -l 60 "$IFB" >/dev/null || fail afsend
	wait $rpid || fail "pkt-gen rx: $(tail -3 "$T/pg.out")"
	grep -q "^Received 1000 packets" "$T/pg.out" ||
	    fail "pkt-gen rx: $(tail -3 "$T/pg.out")"

	echo "== $path: 60 and 1514 bytes both ways, checked"
	to_peer -n 1000 -l 60 -- -n 1000 -l 60
	from_peer -n 1000 -l 60 -- -n 1000 -l 60
	to_peer -n 500 -l 1514 -- -n 500 -l 1514
	from_peer -n 500 -l 1514 -- -n 500 -l 1514

	echo "== $path: MTU 9000, 9000-byte frames in 5 slots both ways"
	ip -n "$NSA" link set "$IFA" mtu 9000
	ip -n "$NSB" link set "$IFB" mtu 9000
	to_peer -n 200 -l 9000 -F 5 -- -n 200 -l 9000
	from_peer -n 200 -l 9000 -- -n 200 -l 9000
	grep -q 'in 1000 slots' "$T/nm.out" ||
	    fail "9000-byte frames not in 5 slots each: $(cat "$T/nm.out")"

	echo "== $path: a frame longer than the MTU is not sent"
	ip -n "$NSA" link set "$IFA" mtu 1500
	ip -n "$NSB" link set "$IFB" mtu 1500
	: >"$T/af.out"
	$B "$NT" 30 "$NMTEST" afrecv -n 1 -l 1500 -t 3000 "$IFB" \
	    >"$T/af.out" 2>&1 &
	rpid=$!
	wait_ready "$T/af.out"
	nmt send -w -n 1 -l 2000 -F 1 "$IFA" >/dev/null ||
	    fail "send of an oversize frame"
	nmt send -w -n 1 -l 1500 "$IFA" >/dev/null || fail "send after it"
	wait_ok $rpid "afrecv after an oversize frame" "$T/af.out"

	echo "== $path: bad requests, host ring modes and counts"
	nmt nicerr "$IFA" || fail "nicerr"
	# their traffic: test-netmapd-host
	nmt nichost "$IFA" || fail "nichost"
	stack_ok "after the traffic ($path)"

	echo "== $path: 4 queues, 4 ring pairs, frames on each TX ring"
	pair 4
	nmt nicrings "$IFA" 4 4 || fail "nicrings"
	to_peer -q -n 1000 -l 60 -- -u -n 1000 -l 60
	from_peer -n 1000 -l 60 -- -n 1000 -l 60
	stack_ok "after the 4-queue tests ($path)"
	grep -q "AF_PACKET instead" "$T/netmapd.log" &&
	    [ "$path" = AF_XDP ] && fail "AF_XDP fell back to AF_PACKET"
	return 0
}

# ip link del of the bound interface mid-traffic: the clients live on
# (frames dropped), close cleanly; a new interface of that name is a
# new port.
del_bound() {
	echo "== $1: ip link del of the bound interface"
	$A env LD_PRELOAD="$PRELOAD_SO" "$NMTEST" send -n 0 -l 60 "$IFA" \
	    >"$T/send.out" 2>&1 &
	spid=$!
	: >"$T/nm.out"
	$A env LD_PRELOAD="$PRELOAD_SO" "$NMTEST" recv -x -g -n 0 -t 0 \
	    "$IFA" >"$T/nm.out" 2>&1 &
	rpid=$!
	wait_ready "$T/nm.out"
	$B "$NMTEST" afsend -n 20000 -l 60 "$IFB" >/dev/null 2>&1 &
	apid=$!
	sleep 1
	ip -n "$NSA" link del "$IFA"
	sleep 1
	kill -0 $spid $rpid || fail "a client of a deleted interface died"
	kill -TERM $spid $rpid
	wait $spid || fail "send to a deleted interface: $(cat "$T/send.out")"
	wait $rpid || fail "recv from a deleted interface: $(cat "$T/nm.out")"
	wait $apid 2>/dev/null
	pair 1
	to_peer -n 100 -l 60 -- -n 100 -l 60
	stack_ok "after the deletion ($1)"
}

# polling_threads: how many of netmapd's threads are polling threads.
polling_threads() {
	grep -l '^nm-poll/' /proc/"$NMD_PID"/task/*/comm 2>/dev/null | wc -l
}

# vale-ctl -p/-P on the attached interface: a daemon thread on CPU 0
# forwards its RX rings, 1000 frames from the peer reach a VALE port
# through it; errnos as upstream (EFAULT when already on or off).
poll_mode() {
	$A "$O/vale-ctl" -p "valeX:$IFA" || fail "vale-ctl -p valeX:$IFA"
	[ "$(polling_threads)" = 1 ] ||
	    fail "polling threads: $(polling_threads), expected 1"
	$A "$O/vale-ctl" -p "valeX:$IFA" 2>"$T/err" &&
	    fail "vale-ctl -p twice"
	grep -q "Bad address" "$T/err" || fail "vale-ctl -p twice: $(cat "$T/err")"
	: >"$T/pg.out"
	$A "$NT" 30 "$PG" -i valeX:p3 -f rx -n 1000 >"$T/pg.out" 2>&1 &
	rpid=$!
	sleep 1
	$B "$NMTEST" afsend -n 1000 -l 60 "$IFB" >/dev/null || fail afsend
	wait $rpid || fail "polling: $(tail -3 "$T/pg.out")"
	grep -q "^Received 1000 packets" "$T/pg.out" ||
	    fail "polling: $(tail -3 "$T/pg.out")"
	$A "$O/vale-ctl" -P "valeX:$IFA" || fail "vale-ctl -P valeX:$IFA"
	[ "$(polling_threads)" = 0 ] ||
	    fail "polling threads after -P: $(polling_threads)"
	$A "$O/vale-ctl" -P "valeX:$IFA" 2>"$T/err" &&
	    fail "vale-ctl -P twice"
	grep -q "Bad address" "$T/err" || fail "vale-ctl -P twice: $(cat "$T/err")"
	echo "polling mode: 1000 frames forwarded by a daemon thread"
}

# vale_attach PATH LOGLINE: vale-ctl -a puts the interface on a VALE
# switch, -l says LOGLINE; frames both ways (the peer's three bursts of
# 1000 cycle the interface's 1024-slot RX ring three times: zero copy's
# buffers come back through the switch), then vale-ctl -d.
vale_attach() {
	echo "== $1: on a VALE switch (vale-ctl -a, -d)"
	$A "$O/vale-ctl" -a "valeX:$IFA" || fail "vale-ctl -a valeX:$IFA"
	# -l: upstream's two lines, then netmapd's note names the path
	$A "$O/vale-ctl" -l "valeX:$IFA" >"$T/l.out" ||
	    fail "vale-ctl -l valeX:$IFA"
	sed -n 1p "$T/l.out" | grep -q "^bridge_idx: " &&
	    sed -n 2p "$T/l.out" | grep -q "^port_idx: " &&
	    [ "$(sed -n 3p "$T/l.out")" = "$IFA: $2, 1 queue" ] &&
	    [ "$(wc -l <"$T/l.out")" -eq 3 ] ||
	    fail "vale-ctl -l does not say $2: $(cat "$T/l.out")"
	: >"$T/pg.out"
	$A "$NT" 30 "$PG" -i valeX:p1 -f rx -n 3000 >"$T/pg.out" 2>&1 &
	rpid=$!
	sleep 1
	for b in 1 2 3; do
		$B "$NMTEST" afsend -n 1000 -l 60 "$IFB" >/dev/null ||
		    fail afsend
		sleep 0.3
	done
	wait $rpid || fail "through the switch: $(tail -3 "$T/pg.out")"
	grep -q "^Received 3000 packets" "$T/pg.out" ||
	    fail "through the switch: $(tail -3 "$T/pg.out")"
	: >"$T/af.out"
	$B "$NT" 30 "$NMTEST" afrecv -n 500 -l 60 "$IFB" >"$T/af.out" 2>&1 &
	rpid=$!
	wait_ready "$T/af.out"
	nmt send -w -n 500 -l 60 valeX:p2 >"$T/send.out" 2>&1 ||
	    fail "send to the switch: $(cat "$T/send.out")"
	wait_ok $rpid "afrecv from the switch" "$T/af.out"
	poll_mode
	$A "$O/vale-ctl" -d "valeX:$IFA" || fail "vale-ctl -d valeX:$IFA"
	no_prog "after vale-ctl -d ($1)"
}

# Monitors of the interface (nmtest recv -M): /r and /z see exactly the
# 1000 frames the port's own receiver gets, /t and /z exactly the 1000
# it sends (counts, order, every byte); a pkt-gen bound to the RX rings
# only keeps the port in netmap mode for the TX monitor.
monitors() {
	for m in r z; do
		echo "== $1: $IFA receives 1000 frames; a /$m monitor sees them"
		: >"$T/port.out"
		: >"$T/mon.out"
		nmt recv -x -n 1000 -l 60 "$IFA" >"$T/port.out" 2>&1 &
		ppid=$!
		wait_ready "$T/port.out"
		nmt recv -x -M $m -n 1000 -l 60 "$IFA" >"$T/mon.out" 2>&1 &
		mpid=$!
		wait_ready "$T/mon.out"
		$B "$NMTEST" afsend -n 1000 -l 60 "$IFB" >/dev/null ||
		    fail afsend
		wait_ok $ppid "the port's receiver" "$T/port.out"
		wait_ok $mpid "the /$m monitor" "$T/mon.out"
	done
	for m in t z; do
		echo "== $1: $IFA sends 1000 frames; a /$m monitor sees them"
		: >"$T/hold.out"
		: >"$T/mon.out"
		: >"$T/af.out"
		$A "$NT" 30 "$PG" -i "netmap:$IFA/R" -f rx >"$T/hold.out" \
		    2>&1 &
		hpid=$!
		sleep 1
		nmt recv -x -M $m -n 1000 -l 60 "$IFA" >"$T/mon.out" 2>&1 &
		mpid=$!
		wait_ready "$T/mon.out"
		$B "$NT" 30 "$NMTEST" afrecv -n 1000 -l 60 "$IFB" \
		    >"$T/af.out" 2>&1 &
		rpid=$!
		wait_ready "$T/af.out"
		nmt send -w -n 1000 -l 60 "$IFA" >"$T/send.out" 2>&1 ||
		    fail "send: $(cat "$T/send.out")"
		wait_ok $rpid "the peer" "$T/af.out"
		wait_ok $mpid "the /$m monitor" "$T/mon.out"
		kill -TERM $hpid
		wait $hpid 2>/dev/null
	done
}

# SIGKILL of a client mid-traffic, then of the daemon: nothing left.
kills() {
	path=$1
	echo "== $path: SIGKILL of the client mid-traffic"
	$A env LD_PRELOAD="$PRELOAD_SO" "$NMTEST" send -n 0 -l 60 "$IFA" \
	    >/dev/null 2>&1 &
	spid=$!
	sleep 1
	[ "$path" = AF_XDP ] && has_prog "while bound"
	kill -KILL $spid
	wait $spid 2>/dev/null
	no_prog "after SIGKILL of the client"
	stack_ok "after SIGKILL of the client"

	echo "== $path: SIGKILL of the daemon mid-traffic"
	$A env LD_PRELOAD="$PRELOAD_SO" "$NMTEST" send -n 0 -l 60 "$IFA" \
	    >/dev/null 2>&1 &
	spid=$!
	sleep 1
	[ "$path" = AF_XDP ] && has_prog "while bound"
	kill -KILL "$NMD_PID"
	wait "$NMD_PID" 2>/dev/null
	NMD_PID=
	# the client sees the daemon gone (EIO) and exits; or is killed
	sleep 1
	kill -KILL $spid 2>/dev/null
	wait $spid 2>/dev/null
	no_prog "after SIGKILL of the daemon"
	stack_ok "after SIGKILL of the daemon"
	rm -f "$NETMAP_SOCKET" "$NETMAP_SOCKET.lock" "$NETMAP_SOCKET.pid"
}

# --- AF_XDP, the automatic choice: zero copy
nic_start
# from here to the first no_prog, another netmapd's program is loaded
bystander_start
traffic AF_XDP "AF_XDP zero-copy"
echo "== AF_XDP: while bound, the stack gets nothing"
: >"$T/nm.out"
# not through nmt: a function in the background is a subshell, which
# SIGTERM would kill instead of the receiver
$A env LD_PRELOAD="$PRELOAD_SO" "$NMTEST" recv -x -n 0 -t 0 "$IFA" \
    >"$T/nm.out" 2>&1 &
rpid=$!
wait_ready "$T/nm.out"
has_prog "while bound"
$A ping -c 1 -W 1 10.9.0.2 >/dev/null 2>&1 &&
    fail "ping through a bound interface"
# a second binder is told the path chosen for the first
$A "$NT" 30 "$PG" -i "netmap:$IFA" -f tx -n 1 >"$T/pg.out" 2>&1 ||
    fail "pkt-gen on a bound interface: $(cat "$T/pg.out")"
grep -q "$IFA: AF_XDP zero-copy, 4 queues\$" "$T/pg.out" ||
    fail "pkt-gen on a bound interface: $(cat "$T/pg.out")"
kill -TERM $rpid
wait $rpid
no_prog "after close (another netmapd's program loaded)"
bystander_stop
stack_ok "after close"
del_bound AF_XDP
monitors AF_XDP
vale_attach AF_XDP "AF_XDP zero-copy"
stop_daemon
no_prog "after the daemon's SIGTERM"
nic_start
kills AF_XDP

# --- AF_XDP in copy mode, forced
nic_start NETMAPD_NIC=xdp-copy
traffic AF_XDP "AF_XDP copy"
del_bound "AF_XDP copy"
monitors "AF_XDP copy"
vale_attach "AF_XDP copy" "AF_XDP copy"
stop_daemon
no_prog "after the daemon's SIGTERM"

# --- AF_PACKET, forced
nic_start NETMAPD_NIC=afpacket
traffic AF_PACKET AF_PACKET
no_prog "with AF_PACKET"
del_bound AF_PACKET
monitors AF_PACKET
vale_attach AF_PACKET AF_PACKET
stop_daemon
nic_start NETMAPD_NIC=afpacket
kills AF_PACKET

# --- privileges
echo "== without CAP_NET_RAW: EPERM, and the log says why"
$A setpriv --bounding-set=-net_raw,-net_admin,-bpf,-sys_admin \
    --inh-caps=-all "$O/san/netmapd" -f -s "$NETMAP_SOCKET" \
    2>"$T/netmapd.log" &
wait_socket
nmt send -n 1 "$IFA" >"$T/perm.out" 2>&1 && fail "bound without CAP_NET_RAW"
grep -q "Operation not permitted" "$T/perm.out" ||
    fail "not EPERM: $(cat "$T/perm.out")"
grep -q "lacks CAP_NET_RAW" "$T/netmapd.log" ||
    fail "the log does not name CAP_NET_RAW"
grep "lacks CAP_NET_RAW" "$T/netmapd.log"
# pkt-gen (libnetmap) says so too, from netmapd's note with the EPERM
$A "$NT" 30 "$PG" -i "netmap:$IFA" -f tx -n 1 >"$T/perm.out" 2>&1 &&
    fail "pkt-gen bound without CAP_NET_RAW"
want="netmapd: $IFA: CAP_NET_RAW is needed for interfaces"
want="$want (run the system daemon, see netmapd(8))"
grep -qxF "$want" "$T/perm.out" ||
    fail "pkt-gen's error: $(cat "$T/perm.out")"
grep "CAP_NET_RAW" "$T/perm.out"
stop_daemon

echo "== CAP_NET_RAW only: AF_PACKET, and the log says why"
$A setpriv --bounding-set=-net_admin,-bpf,-sys_admin --inh-caps=-all \
    "$O/san/netmapd" -f -s "$NETMAP_SOCKET" 2>"$T/netmapd.log" &
wait_socket
to_peer -n 100 -l 60 -- -n 100 -l 60
grep -q "AF_XDP needs CAP_NET_ADMIN and CAP_BPF: AF_PACKET" \
    "$T/netmapd.log" || fail "no fallback for want of capabilities"
no_prog "with CAP_NET_RAW only"
stop_daemon

echo "== CAP_NET_RAW only, NETMAPD_NIC=xdp: EPERM, and pkt-gen says why"
$A setpriv --bounding-set=-net_admin,-bpf,-sys_admin --inh-caps=-all \
    env NETMAPD_NIC=xdp "$O/san/netmapd" -f -s "$NETMAP_SOCKET" \
    2>"$T/netmapd.log" &
wait_socket
$A "$NT" 30 "$PG" -i "netmap:$IFA" -f tx -n 1 >"$T/perm.out" 2>&1 &&
    fail "pkt-gen bound with NETMAPD_NIC=xdp and no CAP_NET_ADMIN"
want="netmapd: $IFA: NETMAPD_NIC=xdp needs CAP_NET_ADMIN and CAP_BPF"
want="$want (run the system daemon, see netmapd(8))"
grep -q "register failed: Operation not permitted" "$T/perm.out" &&
    grep -qxF "$want" "$T/perm.out" ||
    fail "pkt-gen's error: $(cat "$T/perm.out")"
stop_daemon

echo "== netmapd -g: the group's members reach the root daemon, others not"
# a directory nobody (uid 65534) can traverse, the socket's made 0750
chmod 0711 "$T"
GSOCK=$T/sys/netmapd.sock
mkdir "$T/sys"
$A "$O/san/netmapd" -f -g 4242 -s "$GSOCK" 2>"$T/netmapd.log" &
wait_socket "$GSOCK"
[ "$(stat -c '%a %g' "$T/sys")" = "750 4242" ] &&
    [ "$(stat -c '%a %g' "$GSOCK")" = "660 4242" ] ||
    fail "-g: $(stat -c '%n %a %g' "$T/sys" "$GSOCK")"
: >"$T/af.out"
$B "$NT" 30 "$NMTEST" afrecv -n 100 -l 60 "$IFB" >"$T/af.out" 2>&1 &
rpid=$!
wait_ready "$T/af.out"
$A setpriv --reuid=65534 --regid=65534 --groups=4242 env \
    NETMAP_SOCKET="$GSOCK" LD_PRELOAD="$PRELOAD_SO" "$NMTEST" send -w \
    -n 100 -l 60 "$IFA" >"$T/send.out" 2>&1 ||
    fail "a member of the group: $(cat "$T/send.out")"
wait_ok $rpid "afrecv of a group member's frames" "$T/af.out"
$A setpriv --reuid=65534 --regid=65534 --clear-groups env \
    NETMAP_SOCKET="$GSOCK" LD_PRELOAD="$PRELOAD_SO" "$NMTEST" send \
    -n 1 "$IFA" >"$T/send.out" 2>&1 && fail "a non-member got through"
grep -q "Permission denied" "$T/send.out" ||
    fail "a non-member: $(cat "$T/send.out")"
NETMAP_SOCKET=$GSOCK stop_daemon
echo "test-netmapd-nic: ok"
