#!/bin/sh
# test-netmapd-hostile: tests/user/nmd_hostile.c breaks the protocol in
# many ways while a witness pair keeps traffic going. Every attack must
# end with that one client disconnected (or told off); the witness must
# not notice, and the daemon must end clean.
. tests/user/lib.sh

PG="$O/pkt-gen"
start_daemon
baseline
bg timeout 20 "$PG" -i "valeH:b@conf:slots=4096" -f rxseq -n 60000 -w 0 \
    >"$T/witness.rx" 2>&1
wrx=$LAST
sleep 0.3
bg timeout 20 "$PG" -i valeH:a -f txseq -n 60000 -R 30000 -w 0 \
    >"$T/witness.tx" 2>&1
wtx=$LAST

"$O/tests/user/nmd_hostile" || fail "nmd_hostile"
d=$(stat disconnects)
[ "$d" -ge 20 ] || fail "only $d clients were disconnected"
echo "netmapd disconnected $d hostile clients"

wait "$wtx" || fail "witness sender"
wait "$wrx" || fail "witness receiver"
grep -q "^Received 60000 packets" "$T/witness.rx" &&
    grep -q "Sequence check: 0 gaps (0 packets missing), 0 out of order" \
    "$T/witness.rx" || fail "witness: $(tail -3 "$T/witness.rx")"
echo "witness: $(grep '^Received' "$T/witness.rx")"
check_baseline
stop_daemon
echo "test-netmapd-hostile: ok"
