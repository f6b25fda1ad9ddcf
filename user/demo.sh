#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# make demo: netmap without a kernel module. pkt-gen sends on vale0:a
# and receives on vale0:b for a few seconds, then does the same over a
# pipe; netmapd is started on demand by the first pkt-gen (it is found
# next to pkt-gen in $O) and exits a while after its last client.
#
# DEMO_SECONDS sets the duration of each run (default 5).

O=${O:-build}
SECS=${DEMO_SECONDS:-5}
PKTGEN="$O/pkt-gen"
export NETMAP_HOST=user		# netmapd even where /dev/netmap exists
sock=$("$O/netmapd" -P)
tmp=$(mktemp -d /tmp/netmap-demo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# run TX_PORT RX_PORT TITLE: the receiver first, then the sender for
# SECS seconds; both end with SIGINT, which makes pkt-gen summarise.
run() {
	echo
	echo "=== $3"
	echo "=== pkt-gen -f tx -i $1 | pkt-gen -f rx -i $2"
	rm -f "$tmp/rx"
	mkfifo "$tmp/rx"
	sed -u 's/^/  [rx] /' <"$tmp/rx" &
	sedpid=$!
	"$PKTGEN" -i "$2" -f rx -w 0 >"$tmp/rx" 2>&1 &
	rxpid=$!
	sleep 0.5
	timeout --foreground -s INT "$SECS" "$PKTGEN" -i "$1" -f tx -w 0 2>&1 |
	    sed -u 's/^/  [tx] /'
	sleep 0.3
	kill -INT "$rxpid" 2>/dev/null
	wait "$rxpid"
	wait "$sedpid"
}

echo "netmap without a kernel module: netmapd on $sock (user $(id -un))"
if [ -S "$sock" ] && "$O/netmapd" -S >/dev/null 2>&1; then
	echo "netmapd is already running"
else
	echo "netmapd is not running: the first client will start it"
fi
run vale0:a vale0:b "VALE switch vale0: port a -> port b"
run "netmap:demo{1" "netmap:demo}1" "pipe: demo{1 -> demo}1"
echo
echo "=== netmapd counters"
"$O/netmapd" -S | sed 's/^/  /'
