#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# vale-ctl tests that need no netmap backend: argument errors and the
# man page against the real binary, then the requests sent and the output
# printed against a build wired to the stand-in /dev/netmap of
# test_fakectl.c.
# usage: test_cli.sh path/to/vale-ctl path/to/vale-ctl-fake

VC=${1:?usage: test_cli.sh vale-ctl vale-ctl-fake}
FK=${2:?usage: test_cli.sh vale-ctl vale-ctl-fake}
MAN=$(dirname "$0")/../../docs/man/vale-ctl.8

# run NAME PROGRAM ARGS...: output of both streams in $T/out
run() {
	name=$1
	shift
	cases=$((cases + 1))
	timeout 20 "$@" >"$T/out" 2>&1
	rc=$?
}

# T, fails, cases; fail, expect, expect_rc, check_end
. "$(dirname "$0")/../../tests/lib/check.sh"

run "bad option" "$VC" -x
expect_rc 1
expect "^usage: vale-ctl"
run "extra argument" "$VC" -g vale0:a extra
expect_rc 1
expect "unexpected argument 'extra'"
run "bad list name" "$VC" -l foo
expect_rc 1
expect "invalid vale port name: 'foo'"
run "bad config" "$VC" -n vi0 -C 1,2,3,4,5
expect_rc 1
expect "too many numbers in -C"
run "bad poll config" "$VC" -p vale0:eth0 -C 0,1,2
expect_rc 1
expect "too many numbers"
run "long name" "$VC" -g vale0:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
expect_rc 1
expect "invalid port name"

name="man page and usage list the same options"
cases=$((cases + 1))
"$VC" -x 2>"$T/usage"
for o in a h d n r g l p P C m v; do
	grep -q -- "^  -$o " "$T/usage" || fail "usage lacks -$o"
	grep -q -- "^\.It Fl $o" "$MAN" || fail "man page lacks -$o"
done
# The argument names too: ".It Fl x Ar name" against "  -x name".
sed -n 's/^\.It Fl \([^ ]*\) Ar \([^ ]*\).*/\1 \2/p' "$MAN" |
while read -r o arg; do
	grep -q -- "^  -$o $arg" "$T/usage" || echo "-$o $arg"
done >"$T/missing"
[ -s "$T/missing" ] &&
    fail "usage and man page disagree on: $(cat "$T/missing")"

run "list all" "$FK"
expect_rc 0
expect "^vale0:a bridge_idx 0 port_idx 0$"
expect "^vale0:c bridge_idx 0 port_idx 3$"
expect "^vale2:x bridge_idx 2 port_idx 0$"
[ "$(wc -l <"$T/out")" -eq 4 ] || fail "expected 4 ports"

run "list one" "$FK" -l vale2:x
expect_rc 0
expect "^bridge_idx: 2$"
expect "^port_idx:   0$"

run "port info" "$FK" -g netmap:vale0:b
expect_rc 0
expect "^memsize:    4206592$"
expect "^tx_slots:   1024$"
expect "^rx_rings:   1$"
expect "^mem_id:     3$"

run "port info failure" "$FK" -g vale9:zz
expect_rc 1
expect "^failed to obtain info for vale9:zz: No such device or address$"

run "create" "$FK" -v -n vi0 -C 2048,1024,4 -m vale0:c
expect_rc 0
expect "fake: newif vi0 slots 2048,1024 rings 4,4 mem_id 4"
expect "^tx_rings:   4$"

run "delete" "$FK" -r vi0
expect_rc 0
expect "fake: delif vi0 body none"

run "attach" "$FK" -v -a vale0:eth0
expect_rc 0
expect "fake: attach vale0:eth0 mode 1 "
expect "^port_index: 5$"

run "attach with host stack" "$FK" -h vale0:eth0
expect_rc 0
expect "fake: attach vale0:eth0 mode 3 "

run "detach" "$FK" -d vale0:eth0
expect_rc 0
expect "fake: detach vale0:eth0"

run "polling" "$FK" -p vale0:eth0 -C 1,2,3
expect_rc 0
expect "fake: polling on vale0:eth0 mode 2 cpu 2 n 3"

run "polling default" "$FK" -p vale0:eth0
expect "fake: polling on vale0:eth0 mode 1 cpu 0 n 1"

run "polling off" "$FK" -P vale0:eth0
expect_rc 0
expect "fake: polling off vale0:eth0"

cases=$((cases + 1))
name="kernel error"
FAKE_FAIL=16 timeout 20 "$FK" -a vale0:eth0 >"$T/out" 2>&1
rc=$?
expect_rc 1
expect "^failed to attach vale0:eth0: Device or resource busy$"

cases=$((cases + 1))
name="kernel error while listing"
FAKE_FAIL=22 timeout 20 "$FK" >"$T/out" 2>&1
rc=$?
expect_rc 1
expect "^failed to list all: Invalid argument$"

check_end "vale-ctl test_cli.sh"
