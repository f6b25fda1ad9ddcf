#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-secure: a setuid program linked with the client library
# (tests/user/nmc_secure.c) must not obey NETMAP_HOST, NETMAP_SOCKET or
# NETMAP_DAEMON, and must not start a daemon: the caller's "daemon" here
# is a script that leaves a mark. The same program without setuid must
# start it (so the test would see the mark). Needs root (to make a
# setuid-nobody copy, which runs with AT_SECURE); skipped without it.
. tests/user/lib.sh

if [ "$(id -u)" != 0 ]; then
	echo "test-netmapd-secure: skipped (needs root)"
	exit 0
fi
if grep -q " $(df -P "$T" | awk 'NR == 2 { print $6 }') .*nosuid" \
    /proc/mounts; then
	echo "test-netmapd-secure: skipped ($T is on a nosuid mount)"
	exit 0
fi
chmod 755 "$T"
mkdir -m 1777 "$T/w"
cat >"$T/evil.sh" <<EOS
#!/bin/sh
echo "\$(id -u)" >"$T/w/mark"
EOS
chmod 755 "$T/evil.sh"
cp "$O/tests/user/nmc_secure" "$T/secure"
chown nobody "$T/secure"
chmod 4755 "$T/secure"

run() {
	NETMAP_HOST=user NETMAP_SOCKET="$T/none/netmapd.sock" \
	    NETMAP_DAEMON="$T/evil.sh" XDG_RUNTIME_DIR="$T/w" "$@"
}

# Plain: the environment is obeyed, evil.sh runs (and open fails).
run "$O/tests/user/nmc_secure" >"$T/plain.out" 2>&1 ||
    fail "plain run: $(cat "$T/plain.out")"
[ -e "$T/w/mark" ] || fail "the plain run did not start NETMAP_DAEMON"
rm -f "$T/w/mark"
echo "plain: NETMAP_DAEMON started, $(cat "$T/plain.out")"

# Setuid: nothing from the environment, no daemon started.
run "$T/secure" >"$T/suid.out" 2>&1 || fail "setuid run: $(cat "$T/suid.out")"
[ -e "$T/w/mark" ] && fail "the setuid program started NETMAP_DAEMON" \
    "(as uid $(cat "$T/w/mark"))"
grep -q "^open: No such file or directory" "$T/suid.out" ||
    fail "setuid run: $(cat "$T/suid.out")"
echo "setuid: no daemon started, $(cat "$T/suid.out")"
echo "test-netmapd-secure: ok"
