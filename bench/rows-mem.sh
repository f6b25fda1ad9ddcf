# SPDX-License-Identifier: BSD-2-Clause
# rows-mem.sh: rows of `make bench` sourced by bench/run.sh (its
# variables and helpers: start, stop, others_mark, ...): the ceiling, a
# plain shared-memory copy ring between two processes (bench/copyring),
# and the memif round trip (bench/memif-ping against dpdk-testpmd in
# macswap mode), the peer of pkt-gen -f ping/pong through VALE, which
# run_pktgen runs.  As in run.sh, the run_* functions set R to the rate
# (pps; round trips a second for a ping row) or to "" on failure, and a
# ping row also RTT, the average round trip in ns.

# R, RTT and OTHERS are read by run.sh.
# shellcheck disable=SC2034
COPYRING=$O/bench/copyring
MEMIF_PING=$O/bench/memif-ping

# Round trips from "count N RTT: min X av Y ns" lines (pkt-gen -f ping,
# memif-ping), one a second: skips the lines before replies came and
# the first one with replies, then takes $PING_SECS lines.  Sets R to
# the round trips a second and RTT to their average in ns, or both to
# "".
rtt_from_reports() {
	# shellcheck disable=SC2046
	set -- $(awk -v want="$PING_SECS" '
	/count [0-9]+ RTT:/ {
		for (i = 1; i < NF; i++) {
			if ($i == "count") c = $(i + 1)
			if ($i == "av") a = $(i + 1)
		}
		if (!seen) {
			if (c + 0 > 0)
				seen = 1
			next
		}
		if (n < want) {
			sc += c
			sw += c * a
			n++
		}
	}
	END {
		if (n >= want && sc > 0)
			printf "%.0f %.0f\n", sc / n, sw / sc
	}' "$1")
	R=${1:-}
	RTT=${2:-}
}

# One run of the copy ring, frames of $1 bytes, the producer on
# $CPU_TX and the consumer on $CPU_RX.
run_copyring() {
	R=
	others_mark
	# It reports at the end of each second: the first one and $SECS,
	# and a second more for a consumer the scheduler kept waiting.
	start "$TMP/rx.log" /dev/null "$COPYRING" -l "$1" -c "$CPU_TX" \
	    -C "$CPU_RX" -t $((WARM + SECS + 1))
	_cr=$PID
	wait "$_cr" 2>/dev/null || true
	OTHERS=$(others_pct)
	stop "$_cr"
	R=$(rate_from_reports "$TMP/rx.log")
	if [ -z "$R" ] || ! grep -q ' 0 sequence errors' "$TMP/rx.log"; then
		R=
		log "bench: copyring gave no rate; last lines:"
		tail -n 4 "$TMP/rx.log" >&2 || true
	fi
}

# One run of memif-ping (on $CPU_TX) against testpmd macswap (memif
# server, forwarding on $CPU_RX), frames of $1 bytes.
run_memif_ping() {
	R=
	RTT=
	others_mark
	# shellcheck disable=SC2046
	start "$TMP/rx.log" /dev/null dpdk-testpmd \
	    $(testpmd_args server "$CPU_TX") --forward-mode=macswap \
	    --port-topology=loop --stats-period=60
	_rx=$PID
	memif_server_wait "$_rx"
	# shellcheck disable=SC2046
	start "$TMP/tx.log" /dev/null "$MEMIF_PING" \
	    $(eal_args client "$CPU_TX") -- -l "$1" \
	    -t $((WARM + PING_SECS + 1))
	_tx=$PID
	wait "$_tx" 2>/dev/null || true
	OTHERS=$(others_pct)
	stop "$_tx"
	stop "$_rx"
	rtt_from_reports "$TMP/tx.log"
	if [ -z "$R" ]; then
		log "bench: memif round trip gave no rate; last lines:"
		tail -n 4 "$TMP/tx.log" "$TMP/rx.log" >&2 || true
	fi
}

# Nanoseconds to microseconds, two decimals; n/a and null stay.
usecs() {
	case $1 in
	n/a|null|"") echo "$1" ;;
	*) awk -v n="$1" 'BEGIN { printf "%.2f\n", n / 1000 }' ;;
	esac
}

# The median RTT (ns) of row $1 at size $2, or n/a.
rtt_of() {
	if [ -f "$TMP/rtt.$1.$2" ]; then
		awk '{ print $1 }' "$TMP/rtt.$1.$2"
	else
		echo n/a
	fi
}

# The table's part for these rows (run.sh prints the rest): the ratios
# to the ceiling and of unpinned to pinned, then the round trips.
mem_table() {
	printf '%-34s %6s %9s %9s %9s %9s\n' "" bytes VALE/ring pipe/ring \
	    VALE-u/p pipe-u/p
	for _s in $SIZES; do
		printf '%-34s %6s %9s %9s %9s %9s\n' "" "$_s" \
		    "$(ratio "$(get vale "$_s")" "$(get copyring "$_s")")" \
		    "$(ratio "$(get pipe "$_s")" "$(get copyring "$_s")")" \
		    "$(ratio "$(get vale_unpinned "$_s")" \
		    "$(get vale "$_s")")" \
		    "$(ratio "$(get pipe_unpinned "$_s")" \
		    "$(get pipe "$_s")")"
	done
	grep -q '_ping ' "$TMP/rows" || return 0
	printf '\n%-34s %6s %9s %9s %7s\n' "round trip, one frame in flight" \
	    bytes "RTT us" "Ktrans/s" others
	while read -r _r _s _pps _o _rest; do
		case $_r in
		*_ping) ;;
		*) continue ;;
		esac
		printf '%-34s %6s %9s %9s %6s%%\n' "$(label "$_r")" "$_s" \
		    "$(usecs "$(rtt_of "$_r" "$_s")")" \
		    "$(ratio "$_pps" 1000)" "$_o"
	done <"$TMP/rows"
	for _s in $PING_SIZES; do
		printf '%-34s %6s %9s\n' "RTT VALE/memif" "$_s" \
		    "$(ratio "$(rtt_of vale_ping "$_s")" \
		    "$(rtt_of memif_ping "$_s")")"
	done
	echo "(round trips: median of $RUNS runs of $PING_SECS s)"
}

# The JSON fields of row $1 at size $2 that only these rows have: the
# round trip, "rtt_us" (median) and "runs_rtt_us"; "pps" of such a row
# is the frames a second back at the pinger, the round trips a second.
# And for the pkt-gen rows, "runs_same_cpu_pct": per run, the share of
# the samples (every 0.25 s) in which sender and receiver ran on one
# CPU (run.sh, same_cpu).
mem_json_fields() {
	if [ -f "$TMP/same.$1.$2" ]; then
		printf ', "runs_same_cpu_pct": [%s]' "$(cat "$TMP/same.$1.$2")"
	fi
	case $1 in
	*_ping)	;;
	*)	return 0 ;;
	esac
	if [ ! -f "$TMP/rtt.$1.$2" ]; then	# not run
		printf ', "rtt_us": null, "runs_rtt_us": []'
		return 0
	fi
	# shellcheck disable=SC2046
	set -- $(cat "$TMP/rtt.$1.$2")
	printf ', "rtt_us": %s' "$(json_num "$(usecs "$1")")"
	shift
	_l=
	for _v in "$@"; do
		_l="$_l${_l:+, }$(usecs "$_v")"
	done
	printf ', "runs_rtt_us": [%s]' "$_l"
}

# The ratio of row $1 to row $2 at size $3, for the JSON.
jratio() {
	json_num "$(ratio "$(get "$1" "$3")" "$(get "$2" "$3")")"
}

# The JSON keys after "ratios": to the copy ring, unpinned to pinned,
# and of the round trips (VALE's RTT over memif's: below 1 is faster).
mem_json_ratios() {
	printf ',\n  "ceiling_ratios": ['
	_sep=
	for _s in $SIZES; do
		printf '%s\n    {"bytes": %s, ' "$_sep" "$_s"
		printf '"vale_copyring": %s, "pipe_copyring": %s}' \
		    "$(jratio vale copyring "$_s")" \
		    "$(jratio pipe copyring "$_s")"
		_sep=,
	done
	printf '\n  ],\n  "placement_ratios": ['
	_sep=
	for _s in $SIZES; do
		printf '%s\n    {"bytes": %s, ' "$_sep" "$_s"
		printf '"vale_unpinned_pinned": %s, "pipe_unpinned_pinned": %s}' \
		    "$(jratio vale_unpinned vale "$_s")" \
		    "$(jratio pipe_unpinned pipe "$_s")"
		_sep=,
	done
	printf '\n  ],\n  "rtt_ratios": ['
	_sep=
	for _s in $PING_SIZES; do
		printf '%s\n    {"bytes": %s, "vale_memif": %s}' "$_sep" "$_s" \
		    "$(json_num "$(ratio "$(rtt_of vale_ping "$_s")" \
		    "$(rtt_of memif_ping "$_s")")")"
		_sep=,
	done
	printf '\n  ]'
}
