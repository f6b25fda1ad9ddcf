#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-c2c: bench/c2c, the probe of the machine state that make bench
# runs around each pinned row: a short run prints its one line with
# positive figures that agree with each other (bytes a second = 64 per
# line handed over); bad arguments exit 2 with a message and no figure.
# usage: test-c2c.sh path/to/c2c

C2C=${1:?usage: test-c2c.sh c2c}

# T, fails, cases; fail, expect, expect_rc, run_tool, check_end
. "$(dirname "$0")/../tests/lib/check.sh"

# bad NAME MESSAGE ARGS...: exit 2 with MESSAGE on stderr, no figure
bad() {
	msg=$2
	n=$1
	shift 2
	run_tool "$C2C" "$n" "$@"
	expect_rc 2
	grep -Eq -- "$msg" "$T/err" || fail "stderr lacks '$msg'"
	! grep -q rtt_ns "$T/out" || fail "a figure printed"
}

run_tool "$C2C" "short run" -c 0 -C 1 -n 2000 -m 50 -r 3 -t 5000
expect_rc 0
expect '^c2c cpus 0 1 rtt_ns [0-9]+\.[0-9] line_ns [0-9]+\.[0-9]{2} gbytes_s [0-9]+\.[0-9]{2}$'
awk '$1 == "c2c" {
	if (!($6 > 0 && $8 > 0 && $10 > 0)) exit 1
	d = 64 / $8 - $10
	if (d > 0.01 + $10 / 100 || d < -0.01 - $10 / 100) exit 1
	ok = 1
} END { exit !ok }' "$T/out" || fail "figures not positive or not consistent"

run_tool "$C2C" "the other way round, one line" -c 1 -C 0 -n 100 -m 10 -k 1 \
    -r 1
expect_rc 0
expect '^c2c cpus 1 0 rtt_ns '

# At a real-time priority (where we may set one): the far side must
# start on its own cpu, or the near side's spinning keeps it off forever.
if chrt -f 1 true 2>/dev/null; then
	run_tool chrt "real-time priority" -f 1 "$C2C" -n 2000 -m 50 -r 3
	expect_rc 0
	expect '^c2c cpus 0 1 rtt_ns '
fi

bad "one cpu twice" "need two different cpus" -c 1 -C 1
bad "no such cpu" "need two different cpus" -c 0 -C 1000
bad "cpu too large" "not a number from 0" -C 999999
bad "zero round trips" "not a number from 1" -n 0
bad "not a number" "not a number from 1" -m 12x
bad "empty number" "not a number from 1" -k ""
bad "too many lines" "not a number from 1 to 4096" -k 4097
bad "too many reps" "not a number from 1 to 15" -r 16
bad "negative budget" "not a number from 1" -t -5
bad "unknown option" "usage: c2c" -x
bad "an operand" "usage: c2c" extra

check_end test-c2c
