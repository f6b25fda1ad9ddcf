#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Builds netmap.ko out of tree against kernel headers only.  Makes the
# build directory OUT (see Kbuild for why: symlinks to linux/ and core/
# sources, the top-level include/, and nm_config.h from probe.sh), runs
# Kbuild there, and fails if the build printed any warning.  A change of
# KDIR starts OUT afresh.  OUT/netmap.ko is the result.
# Usage: build.sh [OUT]   (KDIR in the environment overrides kdir.sh's pick;
#                          NM_ALLOW_WARNINGS=1 tolerates warnings)
set -eu

# Variables given to an enclosing make (O=, CC=, V=, ...) reach Kbuild
# through MAKEFLAGS and mean something else there: keep only its flags and
# jobserver.  (NM_CORE=y still arrives, through the environment.)
case ${MAKEFLAGS:-} in
*" -- "*) MAKEFLAGS=${MAKEFLAGS%% -- *} ;;
esac
unset MAKEOVERRIDES
export MAKEFLAGS

top=$(cd "$(dirname "$0")/.." && pwd)
kdir=$("$top/linux/kdir.sh")
out=${1:-$top/build/linux}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ "$(cat "$out/.kdir" 2>/dev/null || :)" != "$kdir" ]; then
	rm -rf "$out"
	mkdir -p "$out/core"
	echo "$kdir" >"$out/.kdir"
fi
mkdir -p "$out/core"

# Symlink farm: drop links whose target went away, then (re)link sources.
for l in "$out"/* "$out"/core/*; do
	[ -L "$l" ] && [ ! -e "$l" ] && rm -f "$l"
done
ln -sfn "$top/include" "$out/include"
ln -sf "$top/linux/Kbuild" "$out/Kbuild"
for f in "$top"/linux/*.c "$top"/linux/*.h; do
	[ -e "$f" ] && ln -sf "$f" "$out/"
done
for f in "$top"/core/*.c "$top"/core/*.h; do
	[ -e "$f" ] && ln -sf "$f" "$out/core/"
done

# The table of port kinds (see core/kinds.sh), next to nm_config.h.
"$top/core/kinds.sh" "$out/nm_kinds.h" "$top"/core/*.c

# Probes: rerun when a probe came, went or changed, or the prober did.
# (probe.sh leaves nm_config.h alone when its content stays the same, so
# that nothing recompiles for nothing.)
cfg=$out/nm_config.h
stamp=$out/probe.stamp
probes=$(cd "$top/linux/probes" && ls)
stale=
[ -f "$cfg" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$probes" ] || stale=1
[ -f "$stamp" ] || stale=1
for f in "$top"/linux/probe.sh "$top"/linux/probes/*.c; do
	[ -e "$f" ] && [ -n "$(find "$f" -newer "$stamp" 2>/dev/null)" ] &&
	    stale=1
done
if [ -n "$stale" ]; then
	"$top/linux/probe.sh" "$kdir" "$cfg"
	echo "$probes" >"$stamp"
fi

jobs=
case "${MAKEFLAGS:-}" in
*jobserver*|*-j*) ;;
*) jobs=-j$(nproc) ;;
esac
log=$out/build.log
set +e
${MAKE:-make} $jobs -C "$kdir" M="$out" modules >"$log" 2>&1
rc=$?
set -e
# Headers-only builds lack the vmlinux that module BTF needs: expected.
grep -v -e '^make\(\[[0-9]*\]\)\{0,1\}: \(Entering\|Leaving\) directory' \
    -e '^Skipping BTF generation' "$log" || :
if [ $rc -ne 0 ]; then
	echo "build.sh: module build failed" >&2
	exit $rc
fi
if [ -z "${NM_ALLOW_WARNINGS:-}" ] && grep -qi 'warning' "$log"; then
	echo "build.sh: the module build printed warnings" >&2
	exit 1
fi
