#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# check-spdx.sh [DIR] - every source file of the tree (C, headers,
# scripts, makefiles, Kbuild, man pages, the systemd unit, linker maps,
# templates (*.in), debian/rules, dkms.conf) names its
# licence on its first line, or its second after a #! line:
# "SPDX-License-Identifier: BSD-2-Clause".  Prints the files that do not
# and fails.  Data (fuzz corpora, benchmark results) and prose (*.md) are
# not source.  DIR defaults to the top of the tree; build/ is skipped.
set -eu
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top"
missing=$(find . \( -path ./build -o -path ./.git -o -path '*/corpus' \) \
    -prune -o -type f \( -name '*.c' -o -name '*.h' -o -name '*.sh' -o \
    -name '*.mk' -o -name Makefile -o -name Kbuild -o -name '*.8' -o \
    -name '*.service' -o -name '*.map' -o -name '*.in' -o \
    -name dkms.conf -o -path ./debian/rules -o -path ./.ci/run \) -print |
    LC_ALL=C sort | while read -r f; do
	head -n 2 "$f" | grep -q 'SPDX-License-Identifier: BSD-2-Clause' ||
	    echo "$f"
done)
if [ -n "$missing" ]; then
	echo "check-spdx: no SPDX-License-Identifier line in:" >&2
	echo "$missing" >&2
	exit 1
fi
echo "check-spdx: ok"
