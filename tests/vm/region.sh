#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# region.sh - region memory in netmap.ko, inside the test VM: mappings
# are never executable and their length is checked in whole pages; a big
# REGISTER allocates without blocking other control requests; regions
# are charged to the caller's memory cgroup (skipped if the guest kernel
# has no cgroup v2 memory controller); the region_max_bytes and
# region_total_max_bytes caps refuse with ENOMEM and say which cap did.
set -eu
. ./lib.sh

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

nm_load

step "mappings: not executable, page-rounded length, bounds"
./harden exec vale1:x

step "control requests go on while a 300 MB region is allocated"
./harden concurrent vale1:big 8 4096 10000

step "memory cgroup: regions are charged to the caller"
cg=/sys/fs/cgroup
mkdir -p $cg
if mount -t cgroup2 none $cg 2>/dev/null &&
    echo +memory >$cg/cgroup.subtree_control 2>/dev/null; then
	mkdir $cg/nm
	echo $((32 << 20)) >$cg/nm/memory.max
	# about 42 MB: over memory.max, refused rather than OOM-killed
	sh -c "echo \$\$ >$cg/nm/cgroup.procs && \
	    exec ./harden reg vale2:cg 1 1024 0 ENOMEM"
	grep -q '^oom_kill 0$' $cg/nm/memory.events ||
	    fail "OOM kill in the cgroup: $(cat $cg/nm/memory.events)"
	# about 8 MB: fits, and shows in the cgroup's usage
	before=$(cat $cg/nm/memory.current)
	sh -c "echo \$\$ >$cg/nm/cgroup.procs && \
	    exec ./harden hold vale2:small 1 64 0" >/tmp/hold.out &
	hpid=$!
	wait_ready /tmp/hold.out
	cat /tmp/hold.out
	after=$(cat $cg/nm/memory.current)
	echo "memory.current: $before -> $after"
	[ $((after - before)) -ge $((8 << 20)) ] ||
	    fail "the region was not charged to the cgroup"
	kill $hpid
	wait $hpid 2>/dev/null || :
else
	echo "SKIP: no cgroup v2 memory controller in the guest kernel"
fi

step "caps: region_max_bytes, region_total_max_bytes"
rmmod netmap
nm_load region_max_bytes=$((64 << 20)) region_total_max_bytes=$((100 << 20))
# 2 x 4096-slot rings: about 184 MB
./harden reg vale3:big 2 4096 0 ENOMEM
dmesg | grep -q 'over region_max_bytes (67108864)' ||
    fail "no kernel message naming region_max_bytes"
# the default geometry: about 42 MB each, two fit in 100 MB
./harden hold vale3:a 1 1024 0 >/tmp/a.out &
apid=$!
wait_ready /tmp/a.out
./harden hold vale3:b 1 1024 0 >/tmp/b.out &
bpid=$!
wait_ready /tmp/b.out
./harden reg vale3:c 1 1024 0 ENOMEM
dmesg | grep -q 'region_total_max_bytes is 104857600' ||
    fail "no kernel message naming region_total_max_bytes"
# a region given back counts no more
kill $apid
wait $apid 2>/dev/null || :
./harden reg vale3:c 1 1024 0 0
kill $bpid
wait $bpid 2>/dev/null || :
echo "region: ok"
