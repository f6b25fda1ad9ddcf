#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# check-style.sh [DIR] - no line of the C sources (*.c, *.h) of core/,
# user/, linux/, apps/, tests/, lib/, pcap/, include/ and bench/ is
# longer than 80 columns, tabs expanded to 8 (STYLE.md: style(9), 80
# columns).
# Prints file:line: columns for each and fails. DIR defaults to the top
# of the tree.
set -eu
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top"
long=$(find core user linux apps tests lib pcap include bench -type f \
    \( -name '*.c' -o -name '*.h' \) | LC_ALL=C sort | while read -r f; do
	expand -t 8 "$f" | awk -v f="$f" 'length > 80 {
		print f ":" NR ": " length " columns" }'
done)
if [ -n "$long" ]; then
	echo "check-style: lines over 80 columns:" >&2
	echo "$long" >&2
	exit 1
fi
echo "check-style: ok"
