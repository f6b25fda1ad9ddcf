#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# robust.sh - netmap.ko against misuse, inside the test VM: hostile
# requests, rings and mappings; a registered descriptor passed to another
# process; 1000 open/register/mmap/close cycles; senders, receivers,
# pollers and monitors killed with SIGKILL mid-traffic; unload and
# reload.  The harness then unloads the module once more (failing if it
# will not) and fails on any kernel warning, including the module's own
# leak check.
set -eu
. ./lib.sh
nm_load

step "hostile requests, rings, slots and mappings"
./nmtest hostile vale1
step "nr_flags and option lists as upstream"
./nmtest conform vale1
step "monitors: every frame, copy and zero-copy; SIGKILL mid-traffic"
./nmtest monitor vale8
step "NS_INDIRECT: frames from the sender's memory, bad pointers dropped"
./nmtest indirect vale9
step "a registered descriptor passed with SCM_RIGHTS (NS_INDIRECT too)"
./nmtest scm vale2
step "1000 open/register/mmap/close cycles"
./nmtest cycles 1000 vale3

step "SIGKILL mid-traffic: VALE, pipes, pkt-gen, a blocked poller"
./nmtest recv -g -n 0 -t 0 vale4:b >/dev/null &
p1=$!
./nmtest send -n 0 -l 1514 vale4:a >/dev/null &
p2=$!
./nmtest recv -n 0 -t 0 'ka{1' >/dev/null &
p3=$!
./nmtest send -w -n 0 -l 3000 -F 2 'ka}1' >/dev/null &
p4=$!
./nmtest recv -n 0 -t 0 vale7:idle >/dev/null &
p5=$!
./pkt-gen -i 'netmap:kb}1' -f rx >/dev/null 2>&1 &
p6=$!
./pkt-gen -i 'netmap:kb{1' -f tx -l 60 >/dev/null 2>&1 &
p7=$!
./pkt-gen -i vale5:a -f tx -l 60 >/dev/null 2>&1 &
p8=$!
sleep 1.5
for p in $p1 $p2 $p3 $p4 $p5 $p6 $p7 $p8; do
	kill -0 $p 2>/dev/null || { wait $p || echo "FAIL: process $p" \
	    "died before the kill (status $?)" >&2; exit 1; }
done
kill -9 $p1 $p2 $p3 $p4 $p5 $p6 $p7 $p8
for p in $p1 $p2 $p3 $p4 $p5 $p6 $p7 $p8; do
	wait $p 2>/dev/null || :
done
echo "killed 8 processes"

step "the same ports work again after the kill"
: >/tmp/recv.out
./nmtest recv -n 500 vale4:b >/tmp/recv.out &
rpid=$!
wait_ready /tmp/recv.out
./nmtest send -n 500 vale4:a
wait_pid $rpid "recv on vale4:b"
: >/tmp/recv.out
./nmtest recv -n 500 'ka{1' >/tmp/recv.out &
rpid=$!
wait_ready /tmp/recv.out
./nmtest send -w -n 500 'ka}1'
wait_pid $rpid "recv on ka{1"

step "unload, reload with other parameters, use, (harness) unload"
refs=$(cat /sys/module/netmap/refcnt)
[ "$refs" = 0 ] || { echo "FAIL: module refcnt $refs" >&2; exit 1; }
rmmod netmap
insmod ./netmap.ko priv_buf_num=8192 bridge_batch=64 no_timestamp=1
[ "$(cat /sys/module/netmap/parameters/priv_buf_num)" = 8192 ] ||
    { echo "FAIL: module parameter" >&2; exit 1; }
./nmtest learn vale6
echo "robust: ok"
