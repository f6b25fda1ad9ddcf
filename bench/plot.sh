#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# plot.sh: draws a results record of `make bench` (bench/run.sh) or
# `make bench-vm` (tests/vm/bench-json.sh) as an SVG next to it, with
# gnuplot: packets per second per path, one bar per frame size at the
# median, the spread of the runs as a min-max bar with every run as a
# dot.  Our paths (VALE, pipe) come first, then the peers, on a log scale
# so that AF_PACKET's figures stay readable next to netmap's.
#
# Usage: plot.sh [JSON...]     (default: every bench/results/*.json)
# Each X.json gives X.svg.  Reads the records with jq; both tools come
# from Debian (scripts/deps.sh plot).
set -eu

./scripts/deps.sh plot

TMP=$(mktemp -d /tmp/nmplot.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# Paths in the order drawn, with their labels; others follow, by name.
ORDER='["vale", "pipe", "nictx", "nicrx", "memif", "afpacket", "pktgen"]'
LABELS='{"vale": "VALE (netmap)", "pipe": "netmap pipe",
    "nictx": "netmap veth tx", "nicrx": "netmap veth rx",
    "memif": "DPDK memif", "afpacket": "AF_PACKET veth",
    "pktgen": "kernel pktgen"}'

# plot_one JSON: writes ${JSON%.json}.svg.
plot_one() {
	_in=$1
	_out=${_in%.json}.svg
	# Called from an if-list: set -e does not apply here.
	jq -e '.rows | type == "array"' "$_in" >/dev/null 2>&1 || {
		echo "plot: $_in is not a results record" >&2
		return 1
	}
	# One row per path and size that has a figure: x slot, size index,
	# median, min, max of the runs (in Mpps), then the runs.
	jq -r --argjson order "$ORDER" '
	    [.rows[] | select(.pps != null)] as $r |
	    ($r | map(.path) | unique |
		sort_by(. as $p | ($order | index($p)) // 99, $p)) as $paths |
	    ($r | map(.bytes) | unique) as $sizes |
	    $r[] |
	    (.runs_pps // [] | map(select(. != null))) as $runs |
	    .path as $p | .bytes as $b |
	    [($paths | index($p)), ($sizes | index($b)), .pps / 1e6,
		(($runs | min) // .pps) / 1e6, (($runs | max) // .pps) / 1e6]
		+ ($runs | map(. / 1e6)) | map(tostring) | join(" ")
	    ' "$_in" >"$TMP/rows" || return 1
	if [ ! -s "$TMP/rows" ]; then
		echo "plot: $_in has no figures; no plot" >&2
		return 0
	fi
	_tics=$(jq -r --argjson order "$ORDER" --argjson l "$LABELS" '
	    [.rows[] | select(.pps != null) | .path] | unique |
	    sort_by(. as $p | ($order | index($p)) // 99, $p) |
	    to_entries | map("\"\($l[.value] // .value)\" \(.key)") |
	    join(", ")' "$_in") || return 1
	_npaths=$(jq '[.rows[] | select(.pps != null) | .path] | unique |
	    length' "$_in") || return 1
	_lastcol=$(awk 'NF > n { n = NF } END { print n }' "$TMP/rows")
	# The log axis starts at the power of ten below the slowest run.
	_ymin=$(awk 'NR == 1 || $4 < m { m = $4 }
	    END {
		if (m <= 0)
			m = 0.01
		for (e = int(log(m) / log(10)) + 1; 10 ^ e >= m; e--)
			;
		print 10 ^ e
	    }' "$TMP/rows")
	_sizes=$(jq -r '[.rows[] | select(.pps != null) | .bytes] | unique |
	    map(tostring) | join(" ")' "$_in") || return 1
	_title=$(jq -r '
	    "\(.date), \(.host), revision \(.source_revision): " +
	    (if .environment then
		"netmap.ko in \(.environment.guest // "a QEMU guest"), " +
		"Linux \(.environment.kernel)"
	    else
		"netmapd, \(.machine.cpus) \(.machine.cpu_model) cpus, " +
		"Linux \(.machine.kernel)"
	    end)' "$_in") || return 1
	_note=$(jq -r '(if .method.runs then
		"median of \(.method.runs) runs of \(.method.seconds) s"
	    else .method.figure // "median of the runs" end) +
	    "; whiskers: min-max of the runs, dots: each run" +
	    (if .method.note then "; \(.method.note)" else "" end)' "$_in") ||
	    return 1
	{
		echo "set terminal svg size 1000,520 dynamic font 'sans,12'" \
		    "background rgb 'white'"
		echo "set output '$_out'"
		printf 'set title "%s\\n%s" noenhanced\n' "$_title" "$_note"
		echo "sizes = \"$_sizes\""
		echo "nsizes = words(sizes)"
		echo "w = 0.8 / nsizes"
		echo "xpos(slot, s) = slot + (s - (nsizes - 1) / 2.0) * w"
		echo "set logscale y"
		echo "set ylabel 'Mpps (million frames per second)'"
		echo "set grid ytics"
		echo "set key top right"
		echo "set style fill solid 0.7 border -1"
		echo "set boxwidth w * 0.9"
		echo "set xtics ($_tics) noenhanced"
		echo "set xrange [-0.6:$((_npaths - 1)).6]"
		echo "set yrange [$_ymin:*]"
		echo "plot for [s = 0:nsizes - 1] '$TMP/rows' \\"
		echo "    using (xpos(\$1, s)):(\$2 == s ? \$3 : NaN) \\"
		echo "    with boxes \\"
		echo "    lc s + 1 title word(sizes, s + 1) . ' B frames', \\"
		echo "  '$TMP/rows' using (xpos(\$1, \$2)):3:4:5 \\"
		echo "    with yerrorbars lc 'black' pt -1 notitle, \\"
		echo "  for [k = 6:$_lastcol] '$TMP/rows' \\"
		echo "    using (xpos(\$1, \$2)):k \\"
		echo "    with points pt 7 ps 0.4 lc 'black' notitle"
	} >"$TMP/plot.gp"
	gnuplot "$TMP/plot.gp" 2>"$TMP/gp.err" || {
		cat "$TMP/gp.err" >&2
		echo "plot: gnuplot failed on $_in" >&2
		return 1
	}
	echo "plot: $_out"
}

if [ $# -eq 0 ]; then
	set -- bench/results/*.json
fi
status=0
for f in "$@"; do
	plot_one "$f" || status=1
done
exit $status
