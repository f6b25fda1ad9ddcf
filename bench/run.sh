#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run.sh: the body of `make bench`.  Measures packet rates between two
# processes pinned to two cores: VALE and netmap pipes (pkt-gen through
# a private netmapd; also with nothing pinned), DPDK memif (two
# dpdk-testpmd), AF_PACKET over a veth pair between two network
# namespaces (bench/afp-tx, afp-rx) and a plain shared-memory copy ring
# (bench/copyring, the ceiling); and the round trip of one frame through
# VALE and through memif (bench/rows-mem.sh has those rows).
# And on that veth pair, interfaces through netmapd (pkt-gen on
# netmap:IF, AF_XDP or AF_PACKET inside netmapd) against AF_XDP used
# directly (bench/xsk-bench) and AF_PACKET (the nic_* rows, run_nic).
# Each figure is the median of $BENCH_RUNS runs of $BENCH_SECS seconds,
# counted at the receiver after a warm-up.  Prints a table, writes
# bench/results/<date>-<host>.json and bench/results/latest.json, and
# draws each as an SVG next to it (bench/plot.sh).
# Figures only: a row that cannot run reads "n/a", and the exit status
# is 0 unless the script itself breaks.  Needs root for namespaces and
# hugepages; cleans up what it made, on Ctrl-C too.
set -eu

O=${O:-build}
RUNS=${BENCH_RUNS:-3}
SECS=${BENCH_SECS:-5}
WARM=${BENCH_WARM:-1}		# seconds of traffic ignored before counting
CPU_TX=${BENCH_CPU_TX:-0}
CPU_RX=${BENCH_CPU_RX:-1}
SIZES=${BENCH_SIZES:-"60 1514"}
# Interfaces: TX rows end in AF_XDP rxdrop, RX rows start at AF_XDP txonly.
NIC_ROWS="nic_xsk nic_nmd_tx nic_nmdc_tx nic_nmdp_tx nic_afp_tx nic_nmd_rx nic_nmdc_rx nic_nmdp_rx nic_afp_rx"
ROWS=${BENCH_ROWS:-"vale pipe vale_unpinned pipe_unpinned copyring memif \
afpacket vale_ping memif_ping $NIC_ROWS"}
PING_SIZES=${BENCH_PING_SIZES:-60}	# frame sizes of the round trips
PING_SECS=${BENCH_PING_SECS:-2}		# ... and their seconds per run
UNPINNED_SIZES=${BENCH_UNPINNED_SIZES:-60}	# ... of the unpinned rows
PKTGEN=$O/pkt-gen
NETMAPD=$O/netmapd
AFP_TX=$O/bench/afp-tx
AFP_RX=$O/bench/afp-rx
XSK=$O/bench/xsk-bench
C2C=$O/bench/c2c
RESULTS=bench/results
HP_PAGES=400			# 2 MB pages the two testpmd need, at most

TMP=$(mktemp -d /tmp/nmbench.XXXXXX)
PIDS=""			# every process started here and still running
NS_TX=nmbench-tx-$$
NS_RX=nmbench-rx-$$
NS_MADE=0
HP_MOUNT=""
HP_OLD=""

log() {
	printf '%s\n' "$*" >&2
}

# Starts "$3"... in the background with input from file $2 and output to
# file $1; sets PID.
start() {
	_out=$1
	_in=$2
	shift 2
	"$@" <"$_in" >"$_out" 2>&1 &
	PID=$!
	PIDS="$PIDS $PID"
}

# Stops one process we started: SIGTERM (a background job of a script
# ignores SIGINT), then SIGKILL after 3 s.
stop() {
	_p=$1
	if kill -0 "$_p" 2>/dev/null; then
		kill -TERM "$_p" 2>/dev/null || true
		_i=0
		while kill -0 "$_p" 2>/dev/null && [ $_i -lt 30 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		kill -KILL "$_p" 2>/dev/null || true
	fi
	wait "$_p" 2>/dev/null || true
	_rest=
	for _q in $PIDS; do
		[ "$_q" = "$_p" ] || _rest="$_rest $_q"
	done
	PIDS=$_rest
}

cleanup() {
	trap - EXIT INT TERM
	for _p in $PIDS; do
		stop "$_p"
	done
	if [ $NS_MADE -eq 1 ]; then
		ip netns del "$NS_TX" 2>/dev/null || true
		ip netns del "$NS_RX" 2>/dev/null || true
	fi
	rm -rf /var/run/dpdk/nmbench-$$-* 2>/dev/null || true
	if [ -n "$HP_MOUNT" ]; then
		umount "$HP_MOUNT" 2>/dev/null || true
	fi
	if [ -n "$HP_OLD" ]; then
		echo "$HP_OLD" >/proc/sys/vm/nr_hugepages 2>/dev/null || true
	fi
	if [ -n "${BENCH_KEEP:-}" ]; then
		log "bench: logs of the last run kept in $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
# A write to the fifo of a testpmd that died must fail, not kill us.
trap '' PIPE
trap 'log "bench: interrupted"; exit 130' INT TERM

. bench/rows-mem.sh

# Rate in pps from report lines "N pps (N pkts N bps in N usec)" (pkt-gen
# -N, afp-rx): skips the lines before traffic and the first one with
# traffic (it holds the start), then sums the next $SECS intervals.
# Prints nothing when there were not enough of them.
rate_from_reports() {
	awk -v want="$SECS" '
	/ pps \(/ {
		for (i = 1; i < NF; i++) {
			if ($(i + 1) == "pkts") p = $i
			if ($(i + 1) == "usec)") u = $i
		}
		sub(/^\(/, "", p)
		if (!seen) {
			if (p + 0 > 0)
				seen = 1
			next
		}
		if (n < want) {
			pk += p
			us += u
			n++
		}
	}
	END {
		if (n >= want && us > 0)
			printf "%.0f\n", pk * 1e6 / us
	}' "$1"
}

# How many one-second reports in file $1 saw traffic: rate lines (see
# rate_from_reports) with packets, round-trip lines (rtt_from_reports)
# with replies.
reports_with_traffic() {
	awk '/ pps \(/ {
		for (i = 1; i < NF; i++)
			if ($(i + 1) == "pkts") {
				p = $i
				sub(/^\(/, "", p)
				n += p + 0 > 0
			}
	}
	/count [0-9]+ RTT:/ {
		for (i = 1; i < NF; i++)
			if ($i == "count")
				n += $(i + 1) + 0 > 0
	}
	END { print n + 0 }' "$1" 2>/dev/null || echo 0
}

# The median of its arguments ("n/a" when there are none).
median() {
	if [ $# -eq 0 ]; then
		echo n/a
		return
	fi
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
	    END { if (NR % 2) print v[(NR + 1) / 2]
		else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Pins the threads of process $1 that are not listed in file $2 to CPU
# $3 and adds them to the list: netmapd serves each client descriptor
# on a thread of its own, which does that client's syncs, as a kernel
# runs them in the caller's context.
pin_new_threads() {
	for _t in /proc/"$1"/task/*; do
		_t=${_t##*/}
		grep -qx "$_t" "$2" 2>/dev/null && continue
		taskset -p -c "$3" "$_t" >/dev/null 2>&1 || true
		echo "$_t" >>"$2"
	done
}

# Other load during a run: what processes that are neither ours nor
# kernel threads used of the cpus.  others_mark saves a sample of every
# process's user+system ticks; others_pct prints the percentage of all
# cpus they used since, counting in full those that appeared meanwhile
# unless they are in PIDS.
proc_ticks() {
	cat /proc/uptime
	for _f in /proc/[0-9]*/stat; do
		cat "$_f" 2>/dev/null || true
	done | awk '{ pid = $1; s = $0; sub(/.*\) /, "", s); split(s, f, " ")
	    if (pid != 2 && f[2] != 2) print pid, f[12] + f[13] }'
}

others_mark() {
	proc_ticks >"$TMP/ticks0"
}

others_pct() {
	proc_ticks >"$TMP/ticks1"
	awk -v mine=" $PIDS $$ " -v ncpu="$NCPU" -v hz="$(getconf CLK_TCK)" '
	FNR == 1 { up[FILENAME == ARGV[1]] = $1; next }
	FILENAME == ARGV[1] { t0[$1] = $2; next }
	index(mine, " " $1 " ") == 0 { used += $2 - ($1 in t0 ? t0[$1] : 0) }
	END {
		dt = (up[0] - up[1]) * hz * ncpu
		print (dt > 0 ? int(100 * used / dt + 0.5) : 0)
	}' "$TMP/ticks0" "$TMP/ticks1"
}

# Do the busiest threads of processes $1 and $2 (pkt-gen's sending and
# receiving threads: the most CPU time so far) run on one CPU right now?
# 1 or 0, or nothing if either is gone.  One awk, no other process: the
# sample must not disturb what it samples.
same_cpu() {
	awk -v a="/proc/$1/" '
	{
		s = $0
		sub(/.*\) /, "", s)
		split(s, f, " ")
		i = index(FILENAME, a) == 1 ? 0 : 1
		if (f[12] + f[13] >= t[i]) {
			t[i] = f[12] + f[13]
			c[i] = f[37]
		}
	}
	END {
		if ((0 in c) && (1 in c))
			print (c[0] == c[1] ? 1 : 0)
	}' /proc/"$1"/task/*/stat /proc/"$2"/task/*/stat 2>/dev/null
}

# The run_* functions set R to the rate in pps, or to "" on failure;
# they run in this shell, not in $(...), so that PIDS stays right.

# One run of pkt-gen tx on port $1 into pkt-gen rx on port $2 through a
# fresh netmapd, frames of $3 bytes.  With $4 = unpinned nothing is
# pinned (not the pkt-gens, not netmapd's threads): what a user who
# just runs two pkt-gens gets.  With $4 = ping, pkt-gen -f ping on $1
# and -f pong on $2, pinned: R is the rate of round trips, RTT their
# average in ns (bench/rows-mem.sh).
run_pktgen() {
	R=
	RTT=
	_ftx=tx
	_frx=rx
	_secs=$SECS
	if [ "${4:-}" = ping ]; then
		_ftx=ping
		_frx=pong
		_secs=$PING_SECS
	fi
	if [ "${4:-}" = unpinned ]; then
		_ptx=
		_prx=
	else
		_ptx="taskset -c $CPU_TX" _prx="taskset -c $CPU_RX"
	fi
	others_mark
	_sock=$TMP/netmapd.sock
	rm -f "$_sock"
	start "$TMP/netmapd.log" /dev/null "$NETMAPD" -f -t 0 -s "$_sock"
	_nmd=$PID
	_i=0
	while [ ! -S "$_sock" ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if [ ! -S "$_sock" ] || ! kill -0 "$_nmd" 2>/dev/null; then
		log "bench: netmapd did not start: $(tail -1 "$TMP/netmapd.log")"
		stop "$_nmd"
		return
	fi
	ls /proc/"$_nmd"/task >"$TMP/tids"
	export NETMAP_SOCKET="$_sock"
	# shellcheck disable=SC2086
	start "$TMP/rx.log" /dev/null $_prx "$PKTGEN" -i "$2" -f $_frx -N -w 0
	_rx=$PID
	sleep 0.5
	if [ -n "$_prx" ]; then
		pin_new_threads "$_nmd" "$TMP/tids" "$CPU_RX"
	fi
	# shellcheck disable=SC2086
	start "$TMP/tx.log" /dev/null $_ptx "$PKTGEN" -i "$1" -f $_ftx \
	    -l "$3" -N -w 0
	_tx=$PID
	sleep 0.3
	if [ -n "$_ptx" ]; then
		pin_new_threads "$_nmd" "$TMP/tids" "$CPU_TX"
	fi
	# Until the receiver (the pinger) has reported the first second of
	# traffic, which is not counted, and the $_secs that are; at most
	# WARM + _secs + 1 s.
	_log=$TMP/rx.log
	if [ $_ftx = ping ]; then
		_log=$TMP/tx.log
	fi
	_i=0
	_n=0
	_same=0
	while [ $_i -lt $(((WARM + _secs + 1) * 4)) ] &&
	    [ "$(reports_with_traffic "$_log")" -le "$_secs" ]; do
		sleep 0.25
		_i=$((_i + 1))
		case $(same_cpu "$_tx" "$_rx") in
		1)	_same=$((_same + 1)) _n=$((_n + 1)) ;;
		0)	_n=$((_n + 1)) ;;
		esac
	done
	SAME=
	if [ $_n -gt 0 ]; then
		SAME=$((100 * _same / _n))
	fi
	if [ -n "${BENCH_KEEP:-}" ]; then
		for _t in /proc/"$_nmd"/task/*; do
			echo "${_t##*/} $(taskset -p "${_t##*/}" 2>&1)"
		done >"$TMP/netmapd.threads"
	fi
	OTHERS=$(others_pct)
	stop "$_tx"
	stop "$_rx"
	stop "$_nmd"
	unset NETMAP_SOCKET
	if [ $_ftx = ping ]; then
		rtt_from_reports "$TMP/tx.log"
	else
		R=$(rate_from_reports "$TMP/rx.log")
	fi
	if [ -z "$R" ]; then
		log "bench: pkt-gen $1 -> $2 gave no rate; last lines:"
		tail -n 4 "$TMP/tx.log" "$TMP/rx.log" >&2 || true
	fi
}

# Makes sure $HP_PAGES free 2 MB hugepages and a hugetlbfs mount of our
# own exist; returns 1 if they cannot.
hugepages_setup() {
	[ -n "$HP_MOUNT" ] && return 0
	_free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	_total=$(cat /proc/sys/vm/nr_hugepages)
	if [ "${_free:-0}" -lt $HP_PAGES ]; then
		HP_OLD=$_total
		echo $((_total + HP_PAGES - _free)) \
		    >/proc/sys/vm/nr_hugepages 2>/dev/null || true
		_free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
		if [ "${_free:-0}" -lt $HP_PAGES ]; then
			log "bench: only ${_free:-0} free hugepages"
			return 1
		fi
	fi
	mkdir -p "$TMP/huge"
	mount -t hugetlbfs -o pagesize=2M nodev "$TMP/huge" || return 1
	HP_MOUNT=$TMP/huge
}

# The memif client connects once, at start: wait (10 s at most) for the
# port of the server, testpmd $1, whose output is in $TMP/rx.log.
memif_server_wait() {
	_i=0
	while [ $_i -lt 100 ] && kill -0 "$1" 2>/dev/null &&
	    ! grep -q 'Checking link statuses' "$TMP/rx.log"; do
		sleep 0.1
		_i=$((_i + 1))
	done
}

# EAL arguments of a memif process; $1 is the role, $2 the lcores.
eal_args() {
	echo "-l $2 --file-prefix nmbench-$$-$1 --huge-dir $HP_MOUNT" \
	    "-m 256 --no-pci --log-level=*:warning" \
	    "--vdev=net_memif0,role=$1,socket=$TMP/memif.sock"
}

# Common EAL and testpmd arguments; $1 is the role, $2 the main lcore.
testpmd_args() {
	echo "$(eal_args "$1" "$CPU_TX,$CPU_RX") --main-lcore $2 --" \
	    "--nb-cores=1 --total-num-mbufs=32768"
}

# One run of testpmd txonly (memif client, forwarding on $CPU_TX) into
# testpmd rxonly (memif server, forwarding on $CPU_RX), frames of $1
# bytes.  The receiver is interactive: its
# "show port stats" at the start and the end of the window gives the
# rate over the window, timed by testpmd itself.
run_memif() {
	R=
	others_mark
	rm -f "$TMP/cmd"
	mkfifo "$TMP/cmd"
	# shellcheck disable=SC2046
	start "$TMP/rx.log" "$TMP/cmd" dpdk-testpmd \
	    $(testpmd_args server "$CPU_TX") -i --forward-mode=rxonly \
	    --auto-start
	_rx=$PID
	exec 3>"$TMP/cmd"
	memif_server_wait "$_rx"
	# shellcheck disable=SC2046
	start "$TMP/tx.log" /dev/null dpdk-testpmd $(testpmd_args client "$CPU_RX") \
	    --forward-mode=txonly --txpkts="$1" --stats-period=60
	_tx=$PID
	# Wait for the link and the first packets.
	_i=0
	_up=0
	while [ $_i -lt 80 ] && kill -0 "$_rx" 2>/dev/null &&
	    kill -0 "$_tx" 2>/dev/null; do
		echo "show port stats 0" >&3 || true
		sleep 0.25
		if awk '/RX-packets:/ { n = $2 } END { exit !(n > 0) }' \
		    "$TMP/rx.log"; then
			_up=1
			break
		fi
		_i=$((_i + 1))
	done
	if [ $_up -eq 1 ]; then
		sleep "$WARM"
		echo "show port stats 0" >&3 || true
		sleep "$SECS"
		echo "show port stats 0" >&3 || true
		sleep 0.3
		R=$(awk '/Rx-pps:/ { r = $2 } END { if (r > 0) print r }' \
		    "$TMP/rx.log")
	fi
	OTHERS=$(others_pct)
	echo quit >&3 || true
	exec 3>&-
	stop "$_tx"
	stop "$_rx"
	if [ -z "$R" ]; then
		log "bench: memif gave no rate; last lines:"
		tail -n 4 "$TMP/tx.log" "$TMP/rx.log" >&2 || true
	fi
}

# Two namespaces joined by a veth pair, receive processing steered to
# the receiver's core with RPS (see README.md).
netns_setup() {
	[ $NS_MADE -eq 1 ] && return 0
	NS_MADE=1
	ip netns add "$NS_TX" && ip netns add "$NS_RX" &&
	ip link add nmb$$t type veth peer name nmb$$r &&
	ip link set nmb$$t netns "$NS_TX" &&
	ip link set nmb$$r netns "$NS_RX" &&
	ip -n "$NS_TX" link set nmb$$t up &&
	ip -n "$NS_RX" link set nmb$$r up &&
	ip netns exec "$NS_RX" sh -c "printf '%x' $((1 << CPU_RX)) \
	    >/sys/class/net/nmb$$r/queues/rx-0/rps_cpus" || return 1
	AFP_MAC=$(ip -n "$NS_RX" -o link show nmb$$r |
	    sed -n 's/.*ether \([0-9a-f:]*\).*/\1/p')
}

# One run of afp-tx into afp-rx, frames of $1 bytes.
run_afpacket() {
	R=
	others_mark
	_t=$((WARM + SECS + 3))
	start "$TMP/rx.log" /dev/null ip netns exec "$NS_RX" taskset -c "$CPU_RX" \
	    "$AFP_RX" -i nmb$$r -t $_t
	_rx=$PID
	sleep 0.3
	start "$TMP/tx.log" /dev/null ip netns exec "$NS_TX" taskset -c "$CPU_TX" \
	    "$AFP_TX" -i nmb$$t -D "$AFP_MAC" -l "$1" -t $((_t - 1))
	_tx=$PID
	sleep $((_t - 1))
	OTHERS=$(others_pct)
	wait "$_tx" 2>/dev/null || true
	wait "$_rx" 2>/dev/null || true
	stop "$_tx"
	stop "$_rx"
	R=$(rate_from_reports "$TMP/rx.log")
	if [ -z "$R" ]; then
		log "bench: AF_PACKET gave no rate; last lines:"
		tail -n 4 "$TMP/tx.log" "$TMP/rx.log" >&2 || true
	fi
}

# One side of an interface row: KIND (xsk, afp, nmd: pkt-gen through
# netmapd with AF_XDP, nmdc: the same in copy mode, nmdp: with
# AF_PACKET), ROLE
# (tx, rx), namespace, interface, cpu, frame size, seconds; sets PID.
nic_side() {
	_nk=$1 _nr=$2 _nns=$3 _nif=$4 _ncpu=$5 _nlen=$6 _nsecs=$7
	case $_nk$_nr in
	xsktx)	start "$TMP/$_nr.log" /dev/null ip netns exec "$_nns" taskset \
		    -c "$_ncpu" "$XSK" -i "$_nif" -m tx -D "$AFP_MAC" -l "$_nlen" \
		    -t "$_nsecs" ;;
	xskrx)	start "$TMP/$_nr.log" /dev/null ip netns exec "$_nns" taskset \
		    -c "$_ncpu" "$XSK" -i "$_nif" -m rx -t "$_nsecs" ;;
	afptx)	start "$TMP/$_nr.log" /dev/null ip netns exec "$_nns" taskset \
		    -c "$_ncpu" "$AFP_TX" -i "$_nif" -D "$AFP_MAC" -l "$_nlen" \
		    -t "$_nsecs" ;;
	afprx)	start "$TMP/$_nr.log" /dev/null ip netns exec "$_nns" taskset \
		    -c "$_ncpu" "$AFP_RX" -i "$_nif" -t "$_nsecs" ;;
	nmd*)
		_nsock=$TMP/nic-$_nr.sock
		case $_nk in
		nmdc)	_nmode=xdp-copy ;;
		nmdp)	_nmode=afpacket ;;
		*)	_nmode=xdp ;;
		esac
		rm -f "$_nsock"
		start "$TMP/netmapd-$_nr.log" /dev/null ip netns exec "$_nns" \
		    env NETMAPD_NIC=$_nmode "$NETMAPD" -f -t 0 -s "$_nsock"
		NIC_NMD="$NIC_NMD $PID"
		_ni=0
		while [ ! -S "$_nsock" ] && [ $_ni -lt 50 ]; do
			sleep 0.1
			_ni=$((_ni + 1))
		done
		ls /proc/"$PID"/task >"$TMP/tids-$_nr" 2>/dev/null || true
		_nd=$PID
		if [ "$_nr" = tx ]; then
			start "$TMP/$_nr.log" /dev/null ip netns exec "$_nns" env \
			    NETMAP_SOCKET="$_nsock" timeout "$_nsecs" taskset -c \
			    "$_ncpu" "$PKTGEN" -i "netmap:$_nif" -f tx -l "$_nlen" \
			    -D "$AFP_MAC" -N -w 0
		else
			start "$TMP/$_nr.log" /dev/null ip netns exec "$_nns" env \
			    NETMAP_SOCKET="$_nsock" timeout "$_nsecs" taskset -c \
			    "$_ncpu" "$PKTGEN" -i "netmap:$_nif" -f rx -N -w 0
		fi
		_np=$PID
		sleep 0.5
		# the connection's thread and the interface's receive thread
		pin_new_threads "$_nd" "$TMP/tids-$_nr" "$_ncpu"
		PID=$_np ;;
	esac
}

# One run of row $1 (nic_SENDER_tx: that sender into AF_XDP rxdrop,
# nic_RECEIVER_rx: AF_XDP txonly into that receiver, nic_xsk: AF_XDP
# both sides) with frames of $2 bytes; the rate is the receiver's.
run_nic() {
	R=
	NIC_NMD=
	others_mark
	case $1 in
	nic_xsk)	_tk=xsk _rk=xsk ;;
	nic_*_tx)	_tk=${1#nic_} _tk=${_tk%_tx} _rk=xsk ;;
	nic_*_rx)	_tk=xsk _rk=${1#nic_} _rk=${_rk%_rx} ;;
	esac
	_nt=$((WARM + SECS + 3))
	nic_side "$_rk" rx "$NS_RX" nmb$$r "$CPU_RX" "$2" $_nt
	_rx=$PID
	sleep 0.3
	nic_side "$_tk" tx "$NS_TX" nmb$$t "$CPU_TX" "$2" $((_nt - 1))
	_tx=$PID
	sleep $((_nt - 1))
	OTHERS=$(others_pct)
	stop "$_tx"
	stop "$_rx"
	for _p in $NIC_NMD; do
		stop "$_p"
	done
	R=$(rate_from_reports "$TMP/rx.log")
	if [ -z "$R" ]; then
		log "bench: $1 gave no rate; last lines:"
		tail -n 4 "$TMP/tx.log" "$TMP/rx.log" >&2 || true
	fi
}

# Sets WHY to the reason row $1 cannot run, or to "" if it can, and
# prepares what the row needs (in this shell, for cleanup to see it).
unavailable() {
	WHY=
	case $1 in
	vale|pipe|vale_unpinned|pipe_unpinned|vale_ping)
		if [ ! -x "$PKTGEN" ]; then
			WHY="$PKTGEN not built"
		elif [ ! -x "$NETMAPD" ]; then
			WHY="$NETMAPD not built"
		fi ;;
	copyring)
		if [ ! -x "$COPYRING" ]; then
			WHY="$COPYRING not built"
		fi ;;
	memif|memif_ping)
		if [ "$1" = memif_ping ] && [ ! -x "$MEMIF_PING" ]; then
			WHY="$MEMIF_PING not built"
		elif ! command -v dpdk-testpmd >/dev/null 2>&1; then
			WHY="dpdk-testpmd not installed"
		elif [ "$(id -u)" -ne 0 ]; then
			WHY="needs root"
		elif ! hugepages_setup; then
			WHY="no hugepages"
		fi ;;
	afpacket)
		if [ ! -x "$AFP_TX" ] || [ ! -x "$AFP_RX" ]; then
			WHY="afp-tx/afp-rx not built"
		elif [ "$(id -u)" -ne 0 ]; then
			WHY="needs root"
		elif ! netns_setup; then
			WHY="cannot make namespaces"
		fi ;;
	nic_*)	nic_unavailable "$1" ;;
	esac
}

# Sets WHY for an interface row $1.
nic_unavailable() {
	if [ ! -x "$XSK" ] || [ ! -x "$AFP_TX" ] || [ ! -x "$AFP_RX" ]; then
		WHY="xsk-bench, afp-tx or afp-rx not built"
	elif [ ! -x "$PKTGEN" ] || [ ! -x "$NETMAPD" ]; then
		WHY="pkt-gen or netmapd not built"
	elif [ "$(id -u)" -ne 0 ]; then
		WHY="needs root"
	elif ! grep -q '^XDP ' /proc/net/protocols; then
		WHY="no AF_XDP in this kernel"
	elif ! netns_setup; then
		WHY="cannot make namespaces"
	fi
}

# The probe of the machine state (bench/c2c) on the two cpus: sets
# C2C_RTT and C2C_LINE to the ns of a cache-line round trip and of a line
# handed over, or both to null when it failed (a busy machine) or is
# not built.
c2c_probe() {
	C2C_RTT=null
	C2C_LINE=null
	[ -x "$C2C" ] || return 0
	# shellcheck disable=SC2046
	set -- $("$C2C" -c "$CPU_TX" -C "$CPU_RX" 2>/dev/null || true)
	if [ $# -eq 10 ] && [ "$5" = rtt_ns ] && [ "$7" = line_ns ]; then
		C2C_RTT=$6
		C2C_LINE=$8
	fi
}

# Measures row $1 at size $2: sets RESULT (median pps or n/a) and RUNLIST;
# for a round-trip row also writes the median RTT and the runs' RTTs (ns)
# to $TMP/rtt.$1.$2.  A pinned row is run between two probes of the
# machine state (c2c_probe), written to $TMP/c2c.$1.$2.
measure() {
	RUNLIST=
	_c2crtt=
	_c2cline=
	_rtts=
	_samelist=
	_rttlist=
	MAXOTHERS=0
	OTHERS=0
	_rates=
	unavailable "$1"
	if [ -n "$WHY" ]; then
		log "bench: $1 $2 B: n/a ($WHY)"
		echo "$WHY" >"$TMP/why.$1.$2"
		RESULT=n/a
		return
	fi
	_k=1
	_retried=0
	while [ $_k -le "$RUNS" ]; do
		RTT=
		SAME=
		case $1 in
		*_unpinned) ;;
		*)	c2c_probe
			_c2cbr=$C2C_RTT _c2cbl=$C2C_LINE ;;
		esac
		case $1 in
		vale)	run_pktgen vale0:a vale0:b "$2" ;;
		pipe)	run_pktgen "netmap:bp{1" "netmap:bp}1" "$2" ;;
		vale_unpinned)
			run_pktgen vale0:a vale0:b "$2" unpinned ;;
		pipe_unpinned)
			run_pktgen "netmap:bp{1" "netmap:bp}1" "$2" unpinned ;;
		copyring) run_copyring "$2" ;;
		vale_ping) run_pktgen vale0:a vale0:b "$2" ping ;;
		memif_ping) run_memif_ping "$2" ;;
		memif)	run_memif "$2" ;;
		afpacket) run_afpacket "$2" ;;
		nic_*)	run_nic "$1" "$2" ;;
		esac
		_on1=
		if [ -n "$SAME" ]; then
			_on1="; sender and receiver on one cpu in"
			_on1="$_on1 $SAME% of samples"
		fi
		case $1 in
		*_unpinned) ;;
		*)	c2c_probe
			_on1="$_on1; c2c rtt $_c2cbr/$C2C_RTT ns, line"
			_on1="$_on1 $_c2cbl/$C2C_LINE ns (before/after)"
			# as RUNLIST below: not a run that is retried
			if [ -n "$R" ] || [ $_retried -eq 1 ]; then
				_c2crtt="$_c2crtt${_c2crtt:+, }"
				_c2crtt="${_c2crtt}[$_c2cbr, $C2C_RTT]"
				_c2cline="$_c2cline${_c2cline:+, }"
				_c2cline="${_c2cline}[$_c2cbl, $C2C_LINE]"
			fi ;;
		esac
		log "bench: $1 $2 B run $_k: ${R:-failed} pps;" \
		    "other processes used $OTHERS% of the cpus$_on1"
		if [ -z "$R" ] && [ -n "${BENCH_KEEP:-}" ]; then
			mkdir -p "$TMP/failed-$1-$2-$_k"
			cp "$TMP"/*.log "$TMP/failed-$1-$2-$_k/" || true
		fi
		if [ "$OTHERS" -gt "$MAXOTHERS" ]; then
			MAXOTHERS=$OTHERS
		fi
		if [ -n "$R" ]; then
			RUNLIST="$RUNLIST $R"
			_rates="$_rates $R"
			_rtts="$_rtts $RTT"
			_rttlist="$_rttlist ${RTT:-null}"
			_samelist="$_samelist${_samelist:+, }${SAME:-null}"
		elif [ $_retried -eq 0 ]; then
			# One failed start (a busy machine, a slow link-up) in
			# a row is retried.
			_retried=1
			log "bench: $1 $2 B: retrying run $_k"
			continue
		else
			RUNLIST="$RUNLIST null"
			_rttlist="$_rttlist null"
		fi
		_k=$((_k + 1))
	done
	# shellcheck disable=SC2086
	RESULT=$(median $_rates)
	case $1 in
	*_unpinned) ;;
	*)	echo "$_c2crtt|$_c2cline" >"$TMP/c2c.$1.$2" ;;
	esac
	case $1 in
	*_ping)
		# shellcheck disable=SC2086
		echo "$(median $_rtts)$_rttlist" >"$TMP/rtt.$1.$2" ;;
	vale*|pipe*)
		echo "$_samelist" >"$TMP/same.$1.$2" ;;
	esac
}

# The probes of row $1 at size $2: "RTT LINE", the medians (ns) of
# the values before and after its runs; "- -" when it has none.
c2c_of() {
	[ -f "$TMP/c2c.$1.$2" ] || { echo "- -"; return; }
	tr '|[],' '\n   ' <"$TMP/c2c.$1.$2" | awk '
	{
		for (i = 1; i <= NF; i++)
			if ($i != "null")
				v[NR - 1, n[NR - 1]++] = $i
	}
	function med(p,   i, j, t, m) {
		m = n[p]
		if (m == 0)
			return "-"
		for (i = 0; i < m; i++)
			for (j = i + 1; j < m; j++)
				if (v[p, j] + 0 < v[p, i] + 0) {
					t = v[p, i]
					v[p, i] = v[p, j]
					v[p, j] = t
				}
		return m % 2 ? v[p, (m - 1) / 2] : \
		    sprintf("%.2f", (v[p, m / 2 - 1] + v[p, m / 2]) / 2)
	}
	END { print med(0), med(1) }'
}

# The JSON fields of the probes of row $1 at size $2, if it has some.
c2c_json_fields() {
	[ -f "$TMP/c2c.$1.$2" ] || return 0
	# shellcheck disable=SC2046
	set -- $(c2c_of "$1" "$2") "$(cat "$TMP/c2c.$1.$2")"
	printf ', "c2c_rtt_ns": %s, "c2c_line_ns": %s' \
	    "$(echo "$1" | sed 's/^-$/null/')" "$(echo "$2" | sed 's/^-$/null/')"
	printf ', "runs_c2c_rtt_ns": [%s], "runs_c2c_line_ns": [%s]' \
	    "${3%%|*}" "${3#*|}"
}

mpps() {
	[ "$1" = n/a ] && { echo n/a; return; }
	awk -v r="$1" 'BEGIN { printf "%.2f\n", r / 1e6 }'
}

gbps() {
	[ "$1" = n/a ] && { echo n/a; return; }
	awk -v r="$1" -v s="$2" 'BEGIN { printf "%.2f\n", r * s * 8 / 1e9 }'
}

ratio() {
	{ [ "$1" = n/a ] || [ "$2" = n/a ]; } && { echo n/a; return; }
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", a / b }'
}

json_num() {
	[ "$1" = n/a ] && echo null || echo "$1"
}

label() {
	case $1 in
	vale)	echo "VALE vale0:a->vale0:b (netmapd)" ;;
	pipe)	echo "pipe bp{1->bp}1 (netmapd)" ;;
	memif)	echo "DPDK memif testpmd tx->rx" ;;
	afpacket) echo "AF_PACKET veth, netns" ;;
	vale_unpinned) echo "VALE, nothing pinned" ;;
	pipe_unpinned) echo "pipe, nothing pinned" ;;
	copyring) echo "shared-memory copy ring (ceiling)" ;;
	vale_ping) echo "VALE pkt-gen ping<->pong" ;;
	memif_ping) echo "memif memif-ping<->testpmd macswap" ;;
	nic_*)	nic_label "$1" ;;
	esac
}

nic_label() {
	case $1 in
	nic_xsk)	echo "veth AF_XDP txonly->rxdrop" ;;
	nic_nmd_tx)	echo "veth pkt-gen/netmapd XDP->rxdrop" ;;
	nic_nmdc_tx)	echo "veth pkt-gen/netmapd XDPcopy->rxdrop" ;;
	nic_nmdp_tx)	echo "veth pkt-gen/netmapd AFP->rxdrop" ;;
	nic_afp_tx)	echo "veth afp-tx->AF_XDP rxdrop" ;;
	nic_nmd_rx)	echo "veth txonly->pkt-gen/netmapd XDP" ;;
	nic_nmdc_rx)	echo "veth txonly->pkt-gen/netmapd XDPcopy" ;;
	nic_nmdp_rx)	echo "veth txonly->pkt-gen/netmapd AFP" ;;
	nic_afp_rx)	echo "veth AF_XDP txonly->afp-rx" ;;
	esac
}

# Machine facts.
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
NCPU=$(nproc)
KERNEL=$(uname -r)
HOST=$(hostname)
DATE=$(date -u +%Y-%m-%dT%H%M%SZ)
REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || REV="$REV+dirty"
DPDK_VER=$(dpkg-query -W -f='${Version}' dpdk 2>/dev/null || echo none)

log "bench: $CPU_MODEL, $NCPU cpus, Linux $KERNEL; sender on cpu" \
    "$CPU_TX, receiver on cpu $CPU_RX; $RUNS x $SECS s per figure"
if [ "$NCPU" -lt 2 ]; then
	log "bench: needs two cpus"
	exit 1
fi

# Percent of the two cpus left idle by others over a second, before and
# after: other work on them (a build, a fuzzer) skews every figure.
idle_pct() {
	_a=$(awk -v c="cpu$CPU_TX" -v d="cpu$CPU_RX" \
	    '$1 == c || $1 == d { i += $5; for (k = 2; k <= NF; k++) t += $k }
	    END { print i, t }' /proc/stat)
	sleep 1
	_b=$(awk -v c="cpu$CPU_TX" -v d="cpu$CPU_RX" \
	    '$1 == c || $1 == d { i += $5; for (k = 2; k <= NF; k++) t += $k }
	    END { print i, t }' /proc/stat)
	echo "$_a $_b" | awk '{ d = $4 - $2
	    print (d > 0 ? int(100 * ($3 - $1) / d) : 100) }'
}
IDLE_BEFORE=$(idle_pct)
if [ "$IDLE_BEFORE" -lt 90 ]; then
	log "bench: WARNING: cpus $CPU_TX,$CPU_RX only $IDLE_BEFORE% idle" \
	    "before the run; other load will lower the figures"
	ps -eo pid,pcpu,comm --sort=-pcpu | sed -n '2,4p' >&2
fi

: >"$TMP/rows"
for row in $ROWS; do
	case $row in
	*_ping)	_sizes=$PING_SIZES ;;
	*_unpinned) _sizes=$UNPINNED_SIZES ;;
	*)	_sizes=$SIZES ;;
	esac
	for size in $_sizes; do
		measure "$row" "$size"
		echo "$row $size $RESULT $MAXOTHERS$RUNLIST" >>"$TMP/rows"
	done
done

IDLE_AFTER=$(idle_pct)

# The table.
get() {
	awk -v r="$1" -v s="$2" '$1 == r && $2 == s { v = $3 }
	    END { print v == "" ? "n/a" : v }' "$TMP/rows"
}
printf '\nnetmap bench, %s, %s cpus, Linux %s, %s\n' "$CPU_MODEL" "$NCPU" \
    "$KERNEL" "$DATE"
printf '%-34s %6s %9s %9s %7s %13s\n' \
    "path (sender cpu $CPU_TX, receiver cpu $CPU_RX)" bytes Mpps Gbit/s \
    "others" "c2c rtt/line"
busy=0
while read -r row size pps others rest; do
	if [ "$others" -gt 10 ]; then
		busy=1
	fi
	case $row in
	*_ping)	continue ;;		# in mem_table
	esac
	printf '%-34s %6s %9s %9s %6s%% %13s\n' "$(label "$row")" "$size" \
	    "$(mpps "$pps")" "$(gbps "$pps" "$size")" "$others" \
	    "$(c2c_of "$row" "$size" | sed 's|^- -$||; s| |/|')"
done <"$TMP/rows"
# Interfaces: netmapd against AF_XDP used directly and AF_PACKET.
nic_ratios() {
	printf '\n%-34s %6s %9s %9s %9s %9s\n' "interface ratios" bytes \
	    TX/xsk TX/afp RX/xsk RX/afp
	for size in $SIZES; do
		printf '%-34s %6s %9s %9s %9s %9s\n' "netmapd AF_XDP" "$size" \
		    "$(ratio "$(get nic_nmd_tx "$size")" "$(get nic_xsk "$size")")" \
		    "$(ratio "$(get nic_nmd_tx "$size")" "$(get nic_afp_tx "$size")")" \
		    "$(ratio "$(get nic_nmd_rx "$size")" "$(get nic_xsk "$size")")" \
		    "$(ratio "$(get nic_nmd_rx "$size")" "$(get nic_afp_rx "$size")")"
		printf '%-34s %6s %9s %9s %9s %9s\n' "netmapd AF_XDP copy" "$size" \
		    "$(ratio "$(get nic_nmdc_tx "$size")" "$(get nic_xsk "$size")")" \
		    "$(ratio "$(get nic_nmdc_tx "$size")" "$(get nic_afp_tx "$size")")" \
		    "$(ratio "$(get nic_nmdc_rx "$size")" "$(get nic_xsk "$size")")" \
		    "$(ratio "$(get nic_nmdc_rx "$size")" "$(get nic_afp_rx "$size")")"
		printf '%-34s %6s %9s %9s %9s %9s\n' "netmapd AF_PACKET" "$size" \
		    "$(ratio "$(get nic_nmdp_tx "$size")" "$(get nic_xsk "$size")")" \
		    "$(ratio "$(get nic_nmdp_tx "$size")" "$(get nic_afp_tx "$size")")" \
		    "$(ratio "$(get nic_nmdp_rx "$size")" "$(get nic_xsk "$size")")" \
		    "$(ratio "$(get nic_nmdp_rx "$size")" "$(get nic_afp_rx "$size")")"
	done
}
printf '\n%-34s %6s %9s %9s %9s\n' ratios bytes VALE/memif pipe/memif \
    VALE/AFP
for size in $SIZES; do
	printf '%-34s %6s %9s %9s %9s\n' "" "$size" \
	    "$(ratio "$(get vale "$size")" "$(get memif "$size")")" \
	    "$(ratio "$(get pipe "$size")" "$(get memif "$size")")" \
	    "$(ratio "$(get vale "$size")" "$(get afpacket "$size")")"
done
nic_ratios
mem_table
echo "(median of $RUNS runs of $SECS s; Gbit/s counts frame bytes without" \
    "CRC, preamble and gap)"
echo "(others: the most that other processes used of the cpus during a" \
    "run of the row)"
echo "(c2c rtt/line: the machine state around the runs, bench/c2c: ns of a" \
    "cache-line round trip between the two cpus / of a line handed over)"
if [ $busy -eq 1 ] || [ "$IDLE_BEFORE" -lt 90 ] ||
    [ "$IDLE_AFTER" -lt 90 ]; then
	echo "WARNING: the cpus were busy with other work" \
	    "($IDLE_BEFORE% idle before, $IDLE_AFTER% after, see \"others\"):" \
	    "those figures are low"
fi

# The JSON record.
mkdir -p "$RESULTS"
json=$RESULTS/$DATE-$HOST.json
{
	printf '{\n'
	printf '  "date": "%s",\n  "host": "%s",\n' "$DATE" "$HOST"
	printf '  "machine": {"cpu_model": "%s", "cpus": %s, "kernel": "%s"},\n' \
	    "$CPU_MODEL" "$NCPU" "$KERNEL"
	printf '  "source_revision": "%s",\n  "dpdk_version": "%s",\n' \
	    "$REV" "$DPDK_VER"
	printf '  "method": {"runs": %s, "seconds": %s, "warmup_seconds": %s,' \
	    "$RUNS" "$SECS" "$WARM"
	printf ' "sender_cpu": %s, "receiver_cpu": %s, "figure": "median",' \
	    "$CPU_TX" "$CPU_RX"
	printf ' "gbps": "frame bytes without CRC", "ping_seconds": %s,' \
	    "$PING_SECS"
	printf ' "idle_pct_before": %s, "idle_pct_after": %s},\n' \
	    "$IDLE_BEFORE" "$IDLE_AFTER"
	printf '  "rows": [\n'
	_sep=
	while read -r row size pps others rest; do
		printf '%s    {"path": "%s", "bytes": %s, "pps": %s,' "$_sep" \
		    "$row" "$size" "$(json_num "$pps")"
		printf ' "mpps": %s, "gbps": %s, "other_load_pct": %s,' \
		    "$(json_num "$(mpps "$pps")")" \
		    "$(json_num "$(gbps "$pps" "$size")")" "$others"
		printf ' "runs_pps": [%s]' \
		    "$(echo "$rest" | sed 's/^ *//; s/ /, /g')"
		mem_json_fields "$row" "$size"
		c2c_json_fields "$row" "$size"
		if [ -f "$TMP/why.$row.$size" ]; then
			printf ', "not_run": "%s"' "$(cat "$TMP/why.$row.$size")"
		elif [ "$pps" = n/a ]; then
			printf ', "not_run": "every run failed"'
		fi
		printf '}'

		_sep=",
"
	done <"$TMP/rows"
	printf '\n  ],\n  "ratios": ['
	_sep=
	for size in $SIZES; do
		printf '%s\n    {"bytes": %s, "vale_memif": %s, "pipe_memif": %s, "vale_afpacket": %s}' \
		    "$_sep" "$size" \
		    "$(json_num "$(ratio "$(get vale "$size")" "$(get memif "$size")")")" \
		    "$(json_num "$(ratio "$(get pipe "$size")" "$(get memif "$size")")")" \
		    "$(json_num "$(ratio "$(get vale "$size")" "$(get afpacket "$size")")")"
		_sep=,
	done
	printf '\n  ]'
	mem_json_ratios
	printf '\n}\n'
} >"$json"
cp "$json" "$RESULTS/latest.json"
echo "results: $json (and $RESULTS/latest.json)"
# The plots (bench/plot.sh); figures stand without them.
./bench/plot.sh "$json" "$RESULTS/latest.json" ||
    log "bench: no plot (bench/plot.sh failed)"
