# SPDX-License-Identifier: BSD-2-Clause
# check.sh: what the shell tests of the tools share. Sourcing it makes
# $T (a scratch directory, removed at exit) and the counters $cases and
# $fails. A test sets $name, runs a command into $T/out (run_tool does),
# stores its status in $rc and counts $cases; the assertions count $fails;
# check_end prints the totals and gives the verdict.

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
fails=0
cases=0

# run_tool PROGRAM NAME ARGS...: stdout then stderr in $T/out, stderr
# alone in $T/err, the exit status in $rc.
run_tool() {
	prog=$1
	name=$2
	shift 2
	cases=$((cases + 1))
	timeout 30 "$prog" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	cat "$T/err" >>"$T/out"
}

fail() {
	echo "FAIL [$name]: $*"
	sed 's/^/    | /' "$T/out" | tail -n 25
	fails=$((fails + 1))
}

expect() {
	grep -Eq -- "$1" "$T/out" || fail "no line matching '$1'"
}

expect_rc() {
	[ "$rc" -eq "$1" ] || fail "exit status $rc, expected $1"
}

# check_end LABEL: the totals; fails the script if an assertion failed.
check_end() {
	echo "$1: $cases cases, $fails failures"
	[ "$fails" -eq 0 ]
}
