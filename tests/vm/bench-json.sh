#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# bench-json.sh - turns the "BENCH path bytes round pps" lines that
# tests/vm/bench.sh prints into a table of medians with netmap/AF_PACKET
# and netmap/pktgen ratios on stdout and a JSON record in OUT.  A path
# whose runs are "n/a" (pktgen when the guest cannot run it; bench.sh
# says why on a "BENCHNOTE path why" line) gets n/a and JSON nulls.
# These are TCG figures: meaningful only as ratios within one boot.
# Usage: bench-json.sh BENCH-OUTPUT OUT.json
set -eu
[ $# -eq 2 ] || { echo "usage: bench-json.sh BENCH-OUTPUT OUT.json" >&2;
    exit 2; }
in=$1
out=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
kver=$("$top/linux/kdir.sh" -r)
rev=$(cd "$top" && git rev-parse --short HEAD 2>/dev/null || echo unknown)

# The host's load average around the run (the Makefile records it): the
# guest's vCPUs are host threads, so a busy host shows in the figures.
load_before=$(sed -n 's/^HOSTLOAD before //p' "$in")
load_after=$(sed -n 's/^HOSTLOAD after //p' "$in")

grep -E '^BENCH(NOTE)? ' "$in" |
    awk -v out="$out" -v kver="$kver" -v rev="$rev" \
    -v lb="${load_before:-unknown}" -v la="${load_after:-unknown}" \
    -v date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    -v host="$(hostname)" '
function median(list,   a, n, i, j, t) {
	n = split(list, a, " ")
	for (i = 1; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	if (n == 0) return 0
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
# json STRING: STRING as a JSON string.
function json(t,   r, c, i) {
	r = ""
	for (i = 1; i <= length(t); i++) {
		c = substr(t, i, 1)
		if (c == "\\" || c == "\"") r = r "\\" c
		else if (c == "\t") r = r " "
		else r = r c
	}
	return "\"" r "\""
}
# ratio A B: A/B with 3 decimals, or null when either is n/a or B is 0.
function ratio(a, b) {
	if (a == "n/a" || b == "n/a" || b + 0 <= 0) return "null"
	return sprintf("%.3f", a / b)
}
function show(r) { return r == "null" ? "n/a" : sprintf("%.2f", r) }
$1 == "BENCHNOTE" {
	p = $2
	$1 = $2 = ""
	sub(/^ +/, "")
	if (!(p in note)) notes[++nn] = p
	note[p] = $0
	next
}
{
	key = $2 " " $3
	if (!(key in runs)) { order[++nk] = key; runs[key] = $5 }
	else runs[key] = runs[key] " " $5
	if (!($3 in sizes)) { sizes[$3] = 1; sz[++ns] = $3 }
}
END {
	printf "%-10s %6s %12s   %s\n", "path", "bytes", "median pps", "runs"
	for (i = 1; i <= nk; i++) {
		split(order[i], k, " ")
		if (runs[order[i]] ~ /n\/a/) {
			med[order[i]] = "n/a"
			printf "%-10s %6s %12s   %s\n", k[1], k[2], "n/a",
			    note[k[1]]
			continue
		}
		med[order[i]] = median(runs[order[i]])
		printf "%-10s %6s %12.0f   %s\n", k[1], k[2], med[order[i]],
		    runs[order[i]]
	}
	printf "{\n  \"date\": \"%s\",\n  \"host\": \"%s\",\n", date, host > out
	printf "  \"environment\": {\"guest\": \"QEMU TCG, 2 vCPUs, 1 GB\", " \
	    "\"kernel\": \"%s\", \"slub_debug\": false},\n", kver > out
	printf "  \"source_revision\": \"%s\",\n", rev > out
	printf "  \"host_loadavg\": {\"before\": \"%s\", \"after\": " \
	    "\"%s\"},\n", lb, la > out
	printf "host load average: before %s, after %s\n", lb, la
	printf "  \"method\": {\"figure\": \"median of frames delivered per " \
	    "second of sending\", \"note\": \"TCG: compare only within " \
	    "this record\"},\n  \"rows\": [\n" > out
	for (i = 1; i <= nk; i++) {
		split(order[i], k, " ")
		r = runs[order[i]]
		gsub(/ /, ", ", r)
		if (med[order[i]] == "n/a")
			printf "    {\"path\": \"%s\", \"bytes\": %s, " \
			    "\"pps\": null, \"runs_pps\": [], " \
			    "\"unavailable\": %s}%s\n", k[1], k[2],
			    json(note[k[1]]), i < nk ? "," : "" > out
		else
			printf "    {\"path\": \"%s\", \"bytes\": %s, " \
			    "\"pps\": %.0f, \"runs_pps\": [%s]}%s\n", k[1],
			    k[2], med[order[i]], r, i < nk ? "," : "" > out
	}
	printf "  ],\n  \"ratios\": [\n" > out
	printf "\nratios      bytes  vale/afpacket  pipe/afpacket" \
	    "  vale/pktgen  pipe/pktgen  nictx/pktgen  nicrx/afpacket\n"
	for (i = 1; i <= ns; i++) {
		s = sz[i]
		a = ("afpacket " s) in med ? med["afpacket " s] : "n/a"
		g = ("pktgen " s) in med ? med["pktgen " s] : "n/a"
		rva = ratio(med["vale " s], a)
		rpa = ratio(med["pipe " s], a)
		rvg = ratio(med["vale " s], g)
		rpg = ratio(med["pipe " s], g)
		rta = ("nictx " s) in med ? ratio(med["nictx " s], g) : "null"
		rra = ("nicrx " s) in med ? ratio(med["nicrx " s], a) : "null"
		printf "            %5s  %13s  %13s  %11s  %11s  %12s  %14s\n",
		    s, show(rva), show(rpa), show(rvg), show(rpg), show(rta),
		    show(rra)
		printf "    {\"bytes\": %s, \"vale_afpacket\": %s, " \
		    "\"pipe_afpacket\": %s, \"vale_pktgen\": %s, " \
		    "\"pipe_pktgen\": %s, \"nictx_pktgen\": %s, " \
		    "\"nicrx_afpacket\": %s}%s\n", s, rva, rpa, rvg, rpg,
		    rta, rra, i < ns ? "," : "" > out
	}
	printf "  ]\n}\n" > out
	for (i = 1; i <= nn; i++)
		printf "%s: n/a: %s\n", notes[i], note[notes[i]]
}'
echo "results: $out"
