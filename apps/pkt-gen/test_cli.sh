#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pkt-gen command line tests that need no netmap backend: -h, argument
# errors (exit 1 and a message), a port that cannot exist, the null
# port, and the man page against the -h output.
# usage: test_cli.sh path/to/pkt-gen

PG=${1:?usage: test_cli.sh pkt-gen}
MAN=$(dirname "$0")/../../docs/man/pkt-gen.8

# run NAME ARGS...: see run_tool
run() {
	run_tool "$PG" "$@"
}

# T, fails, cases; fail, expect, expect_rc, run_tool, check_end
. "$(dirname "$0")/../../tests/lib/check.sh"

# bad NAME MESSAGE ARGS...: exit 1 with MESSAGE on stderr
bad() {
	msg=$2
	n=$1
	shift 2
	run "$n" "$@"
	expect_rc 1
	grep -Eq -- "$msg" "$T/err" || fail "stderr lacks '$msg'"
}

run "help" -h
expect_rc 0
expect "^usage: pkt-gen "
[ -s "$T/err" ] && fail "-h wrote on stderr"

bad "unknown option" "^usage: pkt-gen" -Q
bad "missing interface" "missing interface" -f tx
bad "extra argument" "unexpected argument" -i null -f tx foo
bad "bad function" "unrecognised function 'bogus'" -i null -f bogus
bad "short packet" "invalid packet size '5'" -i null -l 5
bad "long packet" "invalid packet size" -i null -l 65537
bad "three sizes" "more than twice" -i null -l 60 -l 70 -l 80
bad "zero burst" "invalid burst" -i null -b 0
bad "bad count" "invalid count" -i null -n x
bad "bad frags" "invalid frags" -i null -F 64
bad "bad mac" "invalid MAC address" -i null -f tx -D 00:11:22
bad "mac range" "MAC address ranges are not supported" -i null -f tx \
    -S 02:00:00:00:00:01-02:00:00:00:00:09
bad "mac with 0x" "invalid MAC address" -i null -f tx -D 0x1:2:3:4:5:6
bad "bad destination" "invalid destination" -i null -f tx -d 10.0.0
bad "bad source port" "invalid source" -i null -f tx -s 10.0.0.1:99999
bad "bad vnet header" "must be 0, 10 or 12" -i null -H 11
bad "threads for ping" "single thread" -i vale0:a -f ping -p 2
bad "null receiver" "null can only be used" -i null -f rx
bad "tap" "not supported" -i tap:tap0
bad "small txseq" "at least 46 bytes" -i null -f txseq -l 40
bad "too many cpus" "too high" -i null -f tx -c 1024
bad "missing pcap" "nonexistent" -i null -f tx -P /nonexistent.pcap
bad "cannot open" "cannot open netmap:nm_nonexistent0" -i nm_nonexistent0 -f rx

run "null sender" -i null -f tx -n 100000 -T 100
expect_rc 0
expect "^Sending on null: 1 queues, 1 threads and 1 cpus\.$"
expect "^Sent 100000 packets 6000000 bytes [0-9]+ events 60 bytes each"
expect "^Speed: "

run "null txseq, random sizes, two threads" -i null -f tx -n 5000 -p 2 \
    -l 60 -l 128 -z -Z
expect_rc 0
expect "^Sent 5000 packets"

name="man page and -h list the same options"
cases=$((cases + 1))
"$PG" -h >"$T/help"
for o in 4 6 A B C D F H I M N P R S T W X Z a b c d f h i l n o p r s v w z; do
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

check_end "pkt-gen test_cli.sh"
