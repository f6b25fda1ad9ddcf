#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# monports.sh - monitors (NAME/r, /t, /z: nmtest recv -M) of an interface
# and of a persistent VALE port: each sees exactly what its port
# received or sent, in order and intact (nmtest's checked frames: counts,
# sequence and every byte), copy and zero-copy, while the port's own
# client gets everything too; then monitors and monitored ports SIGKILLed
# mid-traffic leave nothing behind: the stack works on the interface
# again and the module unloads (here, then the harness checks the log).
#   interface: veth0 (initial namespace), its peer veth1 in namespace b
#   driven through AF_PACKET (nmtest afsend / afrecv);
#   persistent port: pv0 on vale0, the other end a VALE port vale0:s.
set -eu
. ./lib.sh

nic_load
ip netns add b
B="ip netns exec b"
ip link add veth0 type veth peer name veth1 netns b
ip addr add 10.0.0.1/24 dev veth0
$B ip addr add 10.0.0.2/24 dev veth1
ip link set veth0 up
$B ip link set veth1 up
ping -c 1 -W 5 10.0.0.2 >/dev/null

# start NAME CMD...: CMD in the background, its output in /tmp/NAME.out,
# its pid in pid_NAME; waits for its "ready" line.
start() {
	n=$1
	shift
	: >"/tmp/$n.out"
	"$@" >"/tmp/$n.out" 2>&1 &
	eval "pid_$n=$!"
	wait_ready "/tmp/$n.out"
}

# finish NAME...: each job succeeded; its output.
finish() {
	for n in "$@"; do
		eval "wait_log \$pid_$n /tmp/$n.out $n"
	done
}

for m in r z; do
	step "veth0 receives 1000 frames from veth1; a /$m monitor sees them"
	start port ./nmtest recv -x -n 1000 -l 60 veth0
	start mon ./nmtest recv -x -M $m -n 1000 -l 60 veth0
	$B ./nmtest afsend -n 1000 -l 60 veth1
	finish port mon
done

for m in t z; do
	step "veth0 sends 1000 frames to veth1; a /$m monitor sees them"
	# the host rings keep veth0 in netmap mode for the monitor
	start hold ./nmtest recv -x -n 0 -t 0 'veth0^'
	start mon ./nmtest recv -x -M $m -n 1000 -l 60 veth0
	start peer $B ./nmtest afrecv -n 1000 -l 60 veth1
	taskset 1 ./nmtest send -w -n 1000 -l 60 veth0
	finish peer mon
	kill -TERM "$pid_hold"
	wait_pid "$pid_hold" "the host ring holder"
done

step "9000-byte frames (5 slots each) received: a /rt monitor sees them"
ip link set veth0 mtu 9000
$B ip link set veth1 mtu 9000
start port ./nmtest recv -x -n 200 -l 9000 veth0
start mon ./nmtest recv -x -M rt -n 200 -l 9000 veth0
$B ./nmtest afsend -n 200 -l 9000 veth1
finish port mon
ip link set veth0 mtu 1500
$B ip link set veth1 mtu 1500

step "persistent port pv0 on vale0: /r, /t and /z monitors"
./vale-ctl -n pv0
./vale-ctl -a vale0:pv0
for m in r z; do
	start port ./nmtest recv -n 1000 -l 60 pv0
	start mon ./nmtest recv -M $m -n 1000 -l 60 pv0
	./nmtest send -w -n 1000 -l 60 vale0:s
	finish port mon
done
for m in t z; do
	# attached, pv0 is in netmap mode with nobody's descriptor
	start mon ./nmtest recv -M $m -n 1000 -l 60 pv0
	start peer ./nmtest recv -n 1000 -l 60 vale0:s
	./nmtest send -w -n 1000 -l 60 pv0
	finish peer mon
done

step "SIGKILL of monitors and monitored ports mid-traffic"
./nmtest send -n 0 -l 60 veth0 >/dev/null 2>&1 &
k1=$!
./nmtest recv -x -g -M rt -n 0 -t 0 veth0 >/dev/null 2>&1 &
k2=$!
./nmtest recv -x -g -M z -n 0 -t 0 veth0 >/dev/null 2>&1 &
k3=$!
$B ./nmtest afsend -n 1000000 -l 60 veth1 >/dev/null 2>&1 &
k4=$!
./nmtest send -n 0 -l 60 pv0 >/dev/null 2>&1 &
k5=$!
./nmtest recv -g -M rt -n 0 -t 0 pv0 >/dev/null 2>&1 &
k6=$!
./nmtest recv -g -M z -n 0 -t 0 pv0 >/dev/null 2>&1 &
k7=$!
./nmtest send -n 0 -l 60 vale0:s >/dev/null 2>&1 &
k8=$!
sleep 2
for k in $k1 $k2 $k3 $k5 $k6 $k7 $k8; do
	kill -0 $k 2>/dev/null ||
	    { echo "FAIL: a job died before its SIGKILL" >&2; exit 1; }
done
kill -KILL $k1 $k2 $k3 $k4 $k5 $k6 $k7 $k8
wait $k1 $k2 $k3 $k4 $k5 $k6 $k7 $k8 2>/dev/null || :
ip neigh flush dev veth0
ping -c 1 -W 5 10.0.0.2 >/dev/null ||
    { echo "FAIL: veth0's stack after the kills" >&2; exit 1; }
./vale-ctl -d vale0:pv0
./vale-ctl -r pv0
rmmod netmap
echo "monports: ok"
