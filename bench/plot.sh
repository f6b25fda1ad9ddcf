#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# plot.sh: draws a results record of `make bench` (bench/run.sh) or
# `make bench-vm` (tests/vm/bench-json.sh) as an SVG next to it, with
# gnuplot: packets per second per path, one bar per frame size at the
# median, the spread of the runs as a min-max bar with every run as a
# dot.  Our paths (VALE, pipe) come first, then the peers, on a log scale
# so that AF_PACKET's figures stay readable next to netmap's.  Rows with
# a round trip ("rtt_us": ping-pong) go to a second panel below it, in
# microseconds, drawn the same way (a log scale too: a run stalled by a
# busy machine would flatten the others).
#
# Usage: plot.sh [JSON...]     (default: every bench/results/*.json)
# Each X.json gives X.svg.  Reads the records with jq; both tools come
# from Debian (scripts/deps.sh plot).
set -eu

./scripts/deps.sh plot

TMP=$(mktemp -d /tmp/nmplot.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# Paths in the order drawn, with their labels; others follow, by name.
ORDER='["vale", "pipe", "vale_unpinned", "pipe_unpinned", "nictx", "nicrx",
    "copyring", "memif", "afpacket", "pktgen", "vale_ping", "memif_ping"]'
LABELS='{"vale": "VALE (netmap)", "pipe": "netmap pipe",
    "vale_unpinned": "VALE unpinned", "pipe_unpinned": "pipe unpinned",
    "nictx": "netmap veth tx", "nicrx": "netmap veth rx",
    "copyring": "copy ring (ceiling)", "memif": "DPDK memif",
    "afpacket": "AF_PACKET veth", "pktgen": "kernel pktgen",
    "vale_ping": "VALE ping-pong", "memif_ping": "memif ping-pong"}'

# The rows of a panel, in the order drawn, as jq's $r: with "rtt_us" for
# the round-trip panel ($rtt true), without for the rate panel; only
# those with a figure.
# shellcheck disable=SC2016
PANEL='[.rows[] | select((.rtt_us != null) == $rtt) |
    select(.[$f] != null)] as $r |
    ($r | map(.path) | unique |
	sort_by(. as $p | ($order | index($p)) // 99, $p)) as $paths'

# rows_of JSON RTT FIELD SCALE: one line per row of the panel: x slot,
# size index, FIELD / SCALE at the median, min, max of the runs
# ("runs_" FIELD), then the runs.
rows_of() {
	jq -r --argjson order "$ORDER" --argjson rtt "$2" --arg f "$3" \
	    --argjson k "$4" "$PANEL"' |
	    ($r | map(.bytes) | unique) as $sizes |
	    $r[] |
	    (.["runs_" + $f] // [] | map(select(. != null))) as $runs |
	    .path as $p | .bytes as $b |
	    [($paths | index($p)), ($sizes | index($b)), .[$f] / $k,
		(($runs | min) // .[$f]) / $k, (($runs | max) // .[$f]) / $k]
		+ ($runs | map(. / $k)) | map(tostring) | join(" ")' "$1"
}

# tics_of JSON RTT FIELD: the panel's xtics; sizes_of: its frame sizes.
tics_of() {
	jq -r --argjson order "$ORDER" --argjson l "$LABELS" \
	    --argjson rtt "$2" --arg f "$3" "$PANEL"' |
	    $paths | to_entries |
	    map("\"\($l[.value] // .value)\" \(.key)") | join(", ")' "$1"
}

sizes_of() {
	jq -r --argjson order "$ORDER" --argjson rtt "$2" --arg f "$3" \
	    "$PANEL"' | $r | map(.bytes) | unique | map(tostring) |
	    join(" ")' "$1"
}

# panel FILE TICS SIZES YLABEL: the gnuplot commands of one panel of
# bars from the lines of rows_of in FILE, on a log scale.
panel() {
	_n=$(awk '{ print $1 }' "$1" | sort -u | wc -l)
	_last=$(awk 'NF > n { n = NF } END { print n }' "$1")
	echo "sizes = \"$3\""
	echo "nsizes = words(sizes)"
	echo "w = 0.8 / nsizes"
	echo "xpos(slot, s) = slot + (s - (nsizes - 1) / 2.0) * w"
	echo "set ylabel '$4'"
	# A log axis from the power of ten below the smallest run: a slow
	# path or an outlier does not flatten the others.
	awk 'NR == 1 || $4 < m { m = $4 }
	    END {
		if (m <= 0)
			m = 0.01
		for (e = int(log(m) / log(10)) + 1; 10 ^ e >= m; e--)
			;
		print "set logscale y"
		print "set yrange [" 10 ^ e ":*]"
	    }' "$1"
	echo "set boxwidth w * 0.9"
	echo "set xtics ($2) noenhanced"
	echo "set xrange [-0.6:$((_n - 1)).6]"
	echo "plot for [s = 0:nsizes - 1] '$1' \\"
	echo "    using (xpos(\$1, s)):(\$2 == s ? \$3 : NaN) \\"
	echo "    with boxes \\"
	echo "    lc s + 1 title word(sizes, s + 1) . ' B frames', \\"
	echo "  '$1' using (xpos(\$1, \$2)):3:4:5 \\"
	echo "    with yerrorbars lc 'black' pt -1 notitle, \\"
	echo "  for [k = 6:$_last] '$1' \\"
	echo "    using (xpos(\$1, \$2)):k \\"
	echo "    with points pt 7 ps 0.4 lc 'black' notitle"
}

# plot_one JSON: writes ${JSON%.json}.svg.
plot_one() {
	_in=$1
	_out=${_in%.json}.svg
	# Called from an if-list: set -e does not apply here.
	jq -e '.rows | type == "array"' "$_in" >/dev/null 2>&1 || {
		echo "plot: $_in is not a results record" >&2
		return 1
	}
	rows_of "$_in" false pps 1e6 >"$TMP/rows" || return 1
	rows_of "$_in" true rtt_us 1 >"$TMP/rtt" || return 1
	if [ ! -s "$TMP/rows" ] && [ ! -s "$TMP/rtt" ]; then
		echo "plot: $_in has no figures; no plot" >&2
		return 0
	fi
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
	_panels=0
	for _f in "$TMP/rows" "$TMP/rtt"; do
		if [ -s "$_f" ]; then
			_panels=$((_panels + 1))
		fi
	done
	{
		echo "set terminal svg size 1000,$((140 + 380 * _panels))" \
		    "dynamic font 'sans,12' background rgb 'white'"
		echo "set output '$_out'"
		echo "set grid ytics"
		echo "set key top right"
		echo "set style fill solid 0.7 border -1"
		printf 'set multiplot layout %s,1 title "%s\\n%s"' \
		    "$_panels" "$_title" "$_note"
		echo " noenhanced"
	} >"$TMP/plot.gp"
	if [ -s "$TMP/rows" ]; then
		_tics=$(tics_of "$_in" false pps) || return 1
		_sizes=$(sizes_of "$_in" false pps) || return 1
		panel "$TMP/rows" "$_tics" "$_sizes" \
		    "Mpps (million frames per second)" >>"$TMP/plot.gp"
	fi
	if [ -s "$TMP/rtt" ]; then
		_tics=$(tics_of "$_in" true rtt_us) || return 1
		_sizes=$(sizes_of "$_in" true rtt_us) || return 1
		panel "$TMP/rtt" "$_tics" "$_sizes" \
		    "round trip, one frame in flight (us)" >>"$TMP/plot.gp"
	fi
	echo "unset multiplot" >>"$TMP/plot.gp"
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
