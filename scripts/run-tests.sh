#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Runs each test target given on the command line through make, keeps going
# after a failure, and ends with the "N passed, N failed" line CI reads.
pass=0
fail=0
failed=
for t in "$@"; do
	echo "=== $t"
	if ${MAKE:-make} --no-print-directory "$t"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed="$failed $t"
	fi
done
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
