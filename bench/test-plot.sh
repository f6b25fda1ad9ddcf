#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-plot: bench/plot.sh on copies of records of both kinds (make
# bench's and make bench-vm's) in a temporary directory: each gives an
# SVG with a bar per path that has a figure and a legend entry per frame
# size; a path whose runs all failed is left out; round-trip rows go to
# a panel of their own, the copy ring and the unpinned rows next to the
# others; a record with no figure gives no SVG; a file that is not a
# record fails.
set -eu
T=$(mktemp -d /tmp/nmplot-test.XXXXXX)
trap 'rm -rf "$T"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# has SVG TEXT: the SVG holds TEXT (a label gnuplot wrote as text).
has() {
	grep -qF -- "$2" "$1" || fail "no '$2' in $1"
}

# A make bench record with memif failed at 1514 bytes and afpacket not
# run at all.
cat >"$T/host.json" <<'JSON'
{
  "date": "2026-01-01T000000Z", "host": "h", "source_revision": "abc",
  "machine": {"cpu_model": "CPU", "cpus": 2, "kernel": "6.1"},
  "method": {"runs": 3, "seconds": 5},
  "rows": [
    {"path": "vale", "bytes": 60, "pps": 2000000,
     "runs_pps": [1000000, 2000000, 3000000]},
    {"path": "vale", "bytes": 1514, "pps": 900000,
     "runs_pps": [900000, null, 800000]},
    {"path": "memif", "bytes": 60, "pps": 500000,
     "runs_pps": [500000, 400000, 600000]},
    {"path": "memif", "bytes": 1514, "pps": null,
     "runs_pps": [null, null, null], "not_run": "every run failed"},
    {"path": "afpacket", "bytes": 60, "pps": null, "runs_pps": [],
     "not_run": "needs root"}
  ]
}
JSON
# A make bench-vm record.
cat >"$T/vm.json" <<'JSON'
{
  "date": "2026-01-01T00:00:00Z", "host": "h", "source_revision": "abc",
  "environment": {"guest": "QEMU TCG, 2 vCPUs, 1 GB", "kernel": "6.1"},
  "method": {"figure": "median", "note": "TCG"},
  "rows": [
    {"path": "pktgen", "bytes": 60, "pps": 160000, "runs_pps": [160000]},
    {"path": "nictx", "bytes": 60, "pps": 300000, "runs_pps": [300000]},
    {"path": "pipe", "bytes": 60, "pps": 9000000, "runs_pps": [9000000]}
  ]
}
JSON
# A make bench record with the copy ring, unpinned rows and round trips,
# memif's failed; and one with round trips only.
cat >"$T/rtt.json" <<'JSON'
{
  "date": "2026-01-02T000000Z", "host": "h", "source_revision": "abc",
  "machine": {"cpu_model": "CPU", "cpus": 2, "kernel": "6.1"},
  "method": {"runs": 3, "seconds": 5},
  "rows": [
    {"path": "vale", "bytes": 60, "pps": 2000000,
     "runs_pps": [1000000, 2000000, 3000000]},
    {"path": "vale_unpinned", "bytes": 60, "pps": 1500000,
     "runs_pps": [1500000, 1400000, 1600000]},
    {"path": "copyring", "bytes": 60, "pps": 50000000,
     "runs_pps": [50000000, 49000000, 51000000]},
    {"path": "vale_ping", "bytes": 60, "pps": 100000, "rtt_us": 9.87,
     "runs_pps": [100000, 99000, 101000], "runs_rtt_us": [9.8, 9.87, 9.9]},
    {"path": "memif_ping", "bytes": 60, "pps": null, "rtt_us": null,
     "runs_pps": [null, null, null], "runs_rtt_us": [null, null, null],
     "not_run": "every run failed"}
  ]
}
JSON
jq '.rows |= map(select(.path == "vale_ping"))' "$T/rtt.json" \
    >"$T/rttonly.json"
echo '{"rows": []}' >"$T/empty.json"
echo 'not json' >"$T/bad.json"

./bench/plot.sh "$T/host.json" "$T/vm.json" "$T/empty.json" \
    "$T/rtt.json" "$T/rttonly.json" \
    >"$T/out" 2>&1 || fail "plot.sh: $(cat "$T/out")"
for f in host vm rtt rttonly; do
	[ -s "$T/$f.svg" ] || fail "no $f.svg"
	head -c 200 "$T/$f.svg" | grep -q '<svg' || fail "$f.svg is no SVG"
	has "$T/$f.svg" "60 B frames"
done
has "$T/host.svg" "VALE (netmap)"
has "$T/host.svg" "DPDK memif"
has "$T/host.svg" "1514 B frames"
has "$T/host.svg" "netmapd, 2 CPU cpus, Linux 6.1"
grep -qF "AF_PACKET" "$T/host.svg" && fail "afpacket drawn without figures"
has "$T/vm.svg" "netmap pipe"
has "$T/vm.svg" "kernel pktgen"
has "$T/vm.svg" "netmap veth tx"
has "$T/vm.svg" "netmap.ko in QEMU TCG"
# Ours first: the pipe's tic, then the interface's, then pktgen's.
awk '/netmap pipe/ { p = NR } /netmap veth tx/ { n = NR }
    /kernel pktgen/ { k = NR }
    END { exit !(p && n && k && p < n && n < k) }' "$T/vm.svg" ||
    fail "paths not in order in vm.svg"
has "$T/rtt.svg" "copy ring (ceiling)"
has "$T/rtt.svg" "VALE unpinned"
has "$T/rtt.svg" "VALE ping-pong"
has "$T/rtt.svg" "round trip, one frame in flight (us)"
has "$T/rtt.svg" "Mpps (million frames per second)"
grep -qF "memif ping-pong" "$T/rtt.svg" && fail "failed round trip drawn"
# The round trip is not a rate: it is in its own panel, not among the
# rates (whose tics come first).
awk '/copy ring \(ceiling\)/ { c = NR } /VALE ping-pong/ { p = NR }
    END { exit !(c && p && c < p) }' "$T/rtt.svg" ||
    fail "round trip not in a panel below the rates"
[ "$(grep -c "VALE ping-pong" "$T/rtt.svg")" -eq 1 ] ||
    fail "round trip drawn as a rate too"
has "$T/rttonly.svg" "VALE ping-pong"
grep -qF "Mpps" "$T/rttonly.svg" && fail "rate panel without rates"
[ ! -e "$T/empty.svg" ] || fail "empty.svg drawn"
grep -q "empty.json has no figures" "$T/out" || fail "no word on empty.json"
if ./bench/plot.sh "$T/bad.json" >"$T/out" 2>&1; then
	fail "plot.sh took bad.json"
fi
[ ! -e "$T/bad.svg" ] || fail "bad.svg drawn"
echo "test-plot: ok"
