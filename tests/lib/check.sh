# SPDX-License-Identifier: BSD-2-Clause
# check.sh: assertions shared by the shell tests of the tools. A test
# sets $T (a scratch directory) and $name, runs a command into $T/out,
# stores its status in $rc and counts $cases; these helpers count $fails.

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
