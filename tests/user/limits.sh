#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-limits: what a local client can take from netmapd is
# bounded (issue 12, item 9), and the daemon keeps serving a witness
# pair while a client hits each bound:
# - caps on descriptor connections, in all (-c: ENFILE) and per user
#   (-u: EMFILE); connections that have not spoken yet are held by the
#   main thread, at most -c of them, with no thread each;
# - a connection that says nothing for -w ms is closed;
# - accept() short of descriptors (a low RLIMIT_NOFILE) backs off
#   instead of spinning, and the daemon serves again afterwards;
# - memory quotas on regions per connection (-m) and in all (-M): a
#   REGISTER over either fails with ENOMEM and the daemon logs why;
#   the kring state memfd of a pipe's region is charged too, and over
#   the quota the pipe keeps to the doorbell.
. tests/user/lib.sh

ENFILE=23
EMFILE=24

# Bad options are refused.
for o in "-c 0" "-u x" "-w -1" "-m 12Q" "-M -5" "-t 1s"; do
	# shellcheck disable=SC2086
	"$O/netmapd" -f -s "$T/never.sock" $o >"$T/out" 2>&1 &&
	    fail "netmapd $o was accepted"
	grep -q "^usage" "$T/out" || fail "netmapd $o: no usage"
done

# waitconns N: until the daemon serves N descriptor connections.
waitconns() {
	i=0
	while [ "$(nmd_stat conns)" != "$1" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && fail "conns $(nmd_stat conns), expected $1"
		sleep 0.05
	done
}

# Total cap: the witness takes 2 of 8.
start_daemon -c 8 -u 100
baseline
start_witness valeW 90000
waitconns 2
"$O/tests/user/nmd_hostile" conns 6 $ENFILE || fail "cap in all"
"$O/tests/user/nmd_hostile" pending 8 || fail "pending connections"
check_witness
[ "$(nmd_stat refused)" -ge 4 ] || fail "refused: $(nmd_stat refused)"
grep -q "refused: too many connections" "$T/netmapd.log" ||
    fail "no log of the refusals"
check_baseline
stop_daemon

# Per-user cap; the first-message timeout.
start_daemon -c 100 -u 5 -w 300
baseline
start_witness valeW 90000
waitconns 2
"$O/tests/user/nmd_hostile" conns 3 $EMFILE || fail "cap per user"
"$O/tests/user/nmd_hostile" silent 60 || fail "silent connections"
check_witness
[ "$(nmd_stat first_timeouts)" -ge 60 ] ||
    fail "first_timeouts: $(nmd_stat first_timeouts)"
check_baseline
stop_daemon

# Short of descriptors.
start_daemon
baseline
start_witness valeW 90000
waitconns 2
prlimit --pid "$NMD_PID" --nofile=64:64 || fail "prlimit"
"$O/tests/user/nmd_hostile" emfile || fail "EMFILE"
check_witness
b=$(nmd_stat accept_backoffs)
[ "$b" -ge 1 ] || fail "accept_backoffs: '$b'"
grep -q "accept: Too many open files" "$T/netmapd.log" ||
    fail "no log of the back-off"
check_baseline
stop_daemon

# Memory quotas: 256 MiB per connection (the witness's receiver makes a
# region of 170 MB), 400 MiB in all.
start_daemon -m 256M -M 400M
baseline
start_witness valeW 90000
waitconns 2
"$O/tests/user/nmd_hostile" quota $((256 << 20)) $((400 << 20)) ||
    fail "memory quotas"
check_witness
grep -q "over the connection's memory quota" "$T/netmapd.log" &&
    grep -q "over the total memory quota" "$T/netmapd.log" ||
    fail "no log of the quota refusals"
check_baseline
stop_daemon

# The kring state memfd of a pipe's region is charged too: with room,
# the port syncs in the client; with -m the region's size exactly, the
# region fits, the kring state does not: the doorbell, and the log.
start_daemon
baseline
size=$("$O/tests/user/nmd_hostile" kstate 0) || fail "kstate: $size"
check_baseline
stop_daemon
start_daemon -m "$size"
baseline
"$O/tests/user/nmd_hostile" kstate "$size" || fail "kstate over the quota"
grep -q "over the connection's memory quota" "$T/netmapd.log" ||
    fail "no log of the kring state's refusal"
check_baseline
stop_daemon
echo "test-netmapd-limits: ok"
