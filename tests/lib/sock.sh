# SPDX-License-Identifier: BSD-2-Clause
# sock.sh: waiting for a daemon to listen, for every script that starts
# a netmapd (tests/user/lib.sh, dist/test-install.sh, dist/test-deb.sh,
# and scripts of their own inside namespaces). The sourcing script
# defines fail MESSAGE.

# wait_sock PATH: until a daemon listens on PATH, within 5 s.
wait_sock() {
	_ws=0
	while [ ! -S "$1" ]; do
		_ws=$((_ws + 1))
		[ $_ws -gt 500 ] && fail "netmapd did not start: no socket at $1"
		sleep 0.01
	done
}
