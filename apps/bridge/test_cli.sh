#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# bridge command line tests that need no netmap backend: -h, argument
# errors (exit 1, a message and the usage on stderr), a port that cannot
# exist, and the man page against the -h output.  The data paths are
# tested in tests/user/bridge.sh (netmapd) and tests/vm/bridge.sh.
# usage: test_cli.sh path/to/bridge

BR=${1:?usage: test_cli.sh bridge}
MAN=$(dirname "$0")/../../docs/man/bridge.8

# run NAME ARGS...: see run_tool
run() {
	run_tool "$BR" "$@"
}

# T, fails, cases; fail, expect, expect_rc, run_tool, check_end
. "$(dirname "$0")/../../tests/lib/check.sh"

# bad NAME MESSAGE ARGS...: exit 1, MESSAGE and the usage on stderr
bad() {
	msg=$2
	n=$1
	shift 2
	run "$n" "$@"
	expect_rc 1
	grep -Eq -- "$msg" "$T/err" || fail "stderr lacks '$msg'"
	grep -q "^usage: bridge " "$T/err" || fail "no usage on stderr"
}

run "help" -h
expect_rc 0
expect "^usage: bridge "
[ -s "$T/err" ] && fail "-h wrote on stderr"

bad "unknown option" "invalid option" -Q
bad "option without argument" "requires an argument" -i
bad "missing port" "missing port" -w 0
bad "missing port, only options" "missing port" -v -c -b 10
bad "zero burst" "invalid burst '0'" -b 0 -i a
bad "burst too large" "invalid burst '8193'" -b 8193 -i a
bad "burst not a number" "invalid burst '1x'" -b 1x -i a
bad "positional burst" "invalid burst '0'" a b 0
bad "negative wait" "invalid wait '-1'" -w -1 -i a
bad "wait too long" "invalid wait '101'" -w 101 -i a
bad "three ports" "more than two ports" -i a -i b -i c
bad "extra argument" "unexpected argument 'd'" a b 5 d
bad "loop with two ports" "-L needs a single port" -L -i a -i b

# A port that cannot be opened: exit 1 naming it (with one port, the
# host rings are opened first).
run "cannot open" -w 0 -i netmap:nm_nonexistent0 -i netmap:nm_nonexistent1
expect_rc 1
expect "cannot open netmap:nm_nonexistent0$"
run "cannot open host rings" -w 0 -i netmap:nm_nonexistent0
expect_rc 1
expect "cannot open netmap:nm_nonexistent0\^$"

name="man page and -h list the same options"
cases=$((cases + 1))
"$BR" -h >"$T/help"
for o in b c h i L v w; do
	grep -q -- "^  -$o[ ,]" "$T/help" || fail "-h lacks -$o"
	grep -q -- "^\.It Fl $o" "$MAN" || fail "man page lacks -$o"
done
# The argument names too: ".It Fl x Ar name" against "  -x name".
sed -n 's/^\.It Fl \([^ ]*\) Ar \([^ ]*\).*/\1 \2/p' "$MAN" |
while read -r o arg; do
	grep -q -- "^  -$o $arg" "$T/help" || echo "-$o $arg"
done >"$T/missing"
[ -s "$T/missing" ] &&
    fail "help and man page disagree on: $(cat "$T/missing")"
# The options in the synopsis line of -h and of the man page.
grep -q '^usage: bridge \[-chLv\] \[-b burst\] \[-w wait\] -i port \[-i port\]$' \
    "$T/help" || fail "-h synopsis changed: update the man page too"

check_end "bridge test_cli.sh"
