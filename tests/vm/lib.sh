# SPDX-License-Identifier: BSD-2-Clause
# lib.sh - sourced by the test scripts inside the VM: loads netmap.ko
# (with the module parameters given as arguments), makes /dev/netmap if
# devtmpfs did not, and offers small helpers.

# nm_load [PARAM=VALUE...]: insmod and the device node.
nm_load() {
	insmod ./netmap.ko "$@" || { echo "insmod netmap.ko failed" >&2;
	    exit 1; }
	if [ ! -c /dev/netmap ]; then
		IFS=: read -r major minor </sys/class/misc/netmap/dev
		mknod /dev/netmap c "$major" "$minor"
	fi
}

# nic_load: netmap.ko and veth for the tests of interfaces: a global
# allocator of 32 MB (interfaces use mem_id 1) rather than 320 MB, a
# backlog large enough that the peer's stack is never what drops frames
# in a count test, and /var/run for `ip netns`.
nic_load() {
	nm_load buf_num=16384
	modprobe veth
	echo 100000 >/proc/sys/net/core/netdev_max_backlog
	mkdir -p /var/run
}

# step TEXT: a heading in the output, with the seconds since boot.
step() {
	printf '== [%s] %s\n' "$(cut -d' ' -f1 /proc/uptime)" "$*"
}

# wait_ready FILE: until a backgrounded recv printed its "ready" line.
# Empty FILE before starting the job: the job's shell truncates it only
# once it runs, so an old "ready" could otherwise be seen first.
# (Empty FILE before starting the job: the job's own redirection happens
# later, and an old "ready" would pass for the new one.)
wait_ready() {
	n=0
	until grep -q ': ready' "$1" 2>/dev/null; do
		n=$((n + 1))
		[ $n -lt 200 ] || { echo "receiver never got ready" >&2;
		    cat "$1" >&2; exit 1; }
		sleep 0.05
	done
}

# wait_pid PID WHAT: wait for a background job and fail if it failed.
wait_pid() {
	wait "$1" || { echo "FAIL: $2 (status $?)" >&2; exit 1; }
}

# wait_log PID FILE WHAT: wait_pid, then print the job's output (FILE),
# on failure too.
wait_log() {
	wait "$1" || { echo "FAIL: $3 (status $?)" >&2; cat "$2" >&2; exit 1; }
	cat "$2"
}

# bridge_start NAME ARGS...: start bridge, wait for its "bridging" line.
bridge_start() {
	bname=$1
	shift
	: >"/tmp/$bname.br"	# no "bridging" line of a previous run
	./bridge "$@" >"/tmp/$bname.br" 2>&1 &
	br_pid=$!
	n=0
	until grep -q '^bridging ' "/tmp/$bname.br" 2>/dev/null; do
		n=$((n + 1))
		[ $n -lt 200 ] || { echo "FAIL: $bname: bridge did not" \
		    "start" >&2; cat "/tmp/$bname.br" >&2; exit 1; }
		sleep 0.05
	done
}

# bridge_stop SIGNAL: a clean exit, and its output.
bridge_stop() {
	kill -"$1" $br_pid
	wait_pid $br_pid "bridge $bname"
	cat "/tmp/$bname.br"
}
