#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-netmapd-files: what netmapd does with the file system (issue 12,
# items 7 and 13).
# - The socket's directory is opened without following symlinks and must
#   be ours and private: a symlink, a file, a directory of another user
#   or one others can enter makes netmapd refuse to start, with a
#   message; our standard directory is made 0700.
# - A clean stop leaves nothing behind (socket, lock and pid files), and
#   a daemon whose socket was deleted and replaced by another daemon's
#   removes none of the newcomer's files when it stops.
# - Root's default socket is the system daemon's, /run/netmap, even with
#   XDG_RUNTIME_DIR set; another user's is in XDG_RUNTIME_DIR.
. tests/user/lib.sh

NMD="$O/san/netmapd"

# refused PATTERN ARGS...: netmapd must exit 1 at once, saying PATTERN.
refused() {
	pat=$1
	shift
	timeout 10 "$@" >"$T/out" 2>&1
	rc=$?
	[ $rc -eq 1 ] || fail "$*: exit status $rc, expected 1: $(cat "$T/out")"
	grep -q "$pat" "$T/out" || fail "$*: no '$pat' in: $(cat "$T/out")"
}

# wait_pid FILE PID: the daemon writes its pid file once its socket
# listens, so after wait_sock; wait for it before relying on it.
wait_pid() {
	i=0
	while [ "$(cat "$1" 2>/dev/null)" != "$2" ]; do
		i=$((i + 1))
		[ $i -gt 500 ] && fail "no pid $2 in $1"
		sleep 0.01
	done
}

# A symlink to a private directory of ours.
mkdir -m 0700 "$T/real"
ln -s "$T/real" "$T/link"
refused "symbolic link" "$NMD" -f -s "$T/link/netmapd.sock"
[ -z "$(ls -A "$T/real")" ] || fail "files created through the symlink"

# Not a directory.
: >"$T/file"
refused "not a directory" "$NMD" -f -s "$T/file/netmapd.sock"

# A directory others can enter, named explicitly: not ours to chmod.
mkdir -m 0755 "$T/open"
refused "not private" "$NMD" -f -s "$T/open/netmapd.sock"
[ -z "$(ls -A "$T/open")" ] || fail "files created in a shared directory"

# A directory of another user.
if [ "$(id -u)" = 0 ]; then
	mkdir -m 0700 "$T/theirs"
	chown nobody "$T/theirs"
	refused "not owned by" "$NMD" -f -s "$T/theirs/netmapd.sock"
	[ -z "$(ls -A "$T/theirs")" ] || fail "files created in theirs"
else
	echo "not root: the foreign-owner case is not tested"
fi

# The standard directory ($XDG_RUNTIME_DIR/netmap): a symlink there is
# refused too, a shared mode is repaired. Root's standard directory is
# /run/netmap whatever XDG_RUNTIME_DIR says (below): as root, these run
# as nobody.
AS=
mkdir -m 0700 "$T/xdg"
if [ "$(id -u)" = 0 ]; then
	AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
	chown nobody "$T/xdg"
	chmod 0711 "$T"
fi
ln -s "$T/real" "$T/xdg/netmap"
refused "symbolic link" $AS env -u NETMAP_SOCKET XDG_RUNTIME_DIR="$T/xdg" \
    "$NMD" -f
rm "$T/xdg/netmap"
mkdir -m 0777 "$T/xdg/netmap"
[ -n "$AS" ] && chown nobody "$T/xdg/netmap"
$AS env -u NETMAP_SOCKET XDG_RUNTIME_DIR="$T/xdg" "$NMD" -f \
    2>"$T/std.log" &
std=$!
NMD_BG="$NMD_BG $std"
wait_sock "$T/xdg/netmap/netmapd.sock"
[ "$(stat -c %a "$T/xdg/netmap")" = 700 ] ||
    fail "standard directory left $(stat -c %a "$T/xdg/netmap")"
kill -TERM $std
wait $std || fail "standard daemon exited with $?"
[ -z "$(ls -A "$T/xdg/netmap")" ] ||
    fail "left behind: $(ls -A "$T/xdg/netmap")"
echo "directories: symlinks, files, shared and foreign ones refused"

# A clean stop leaves nothing.
mkdir -m 0700 "$T/d"
S="$T/d/netmapd.sock"
"$NMD" -f -s "$S" 2>"$T/a.log" &
a=$!
NMD_BG="$NMD_BG $a"
wait_sock "$S"
wait_pid "$S.pid" $a
[ -e "$S.lock" ] && [ "$(cat "$S.pid")" = $a ] ||
    fail "no lock or pid file: $(ls -A "$T/d")"
kill -TERM $a
wait $a || fail "netmapd exited with $?"
[ -z "$(ls -A "$T/d")" ] || fail "left behind: $(ls -A "$T/d")"

# Replaced: A's socket and lock are deleted (a tmp cleaner), B starts on
# the same path; A's stop must leave B's socket, lock and pid file.
"$NMD" -f -s "$S" 2>"$T/a.log" &
a=$!
NMD_BG="$NMD_BG $a"
wait_sock "$S"
wait_pid "$S.pid" $a
rm -f "$S" "$S.lock"
"$NMD" -f -s "$S" 2>"$T/b.log" &
b=$!
NMD_BG="$NMD_BG $b"
wait_sock "$S"
wait_pid "$S.pid" $b
kill -TERM $a
wait $a || fail "netmapd A exited with $?"
[ -S "$S" ] || fail "A removed B's socket"
[ -e "$S.lock" ] || fail "A removed B's lock file"
[ "$(cat "$S.pid" 2>/dev/null)" = $b ] || fail "A removed B's pid file"
[ "$(NETMAP_SOCKET="$S" "$O/netmapd" -S | awk '$1 == "pid" { print $2 }')" \
    = $b ] || fail "B does not answer on its socket"
kill -TERM $b
wait $b || fail "netmapd B exited with $?"
[ -z "$(ls -A "$T/d")" ] || fail "left behind: $(ls -A "$T/d")"
grep -q "ERROR: \|runtime error" "$T/a.log" "$T/b.log" "$T/std.log" &&
    fail "sanitizer report"
echo "stop: nothing left behind, nothing of another daemon removed"

# Root's daemon is the system one, /run/netmap/netmapd.sock, whatever
# XDG_RUNTIME_DIR says (a root login's /run/user/0, or a user's kept by
# sudo), for the daemon and its clients (netmapd -S finds it); another
# user's is in XDG_RUNTIME_DIR. In a mount namespace of our own, with a
# tmpfs on /run: the machine's /run/netmap is not touched.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	mkdir -m 0700 "$T/xdg0"
	mkdir -m 0700 "$T/xdgn"
	chown nobody "$T/xdgn"
	chmod 0755 "$T"
	unshare -m sh -c '
		mount -t tmpfs -o mode=0755 tmpfs /run || exit 2
		fail() {
			echo "$*" "$(ls -AR "$1/xdg0")" "$(cat "$1/root.log")"
			kill -KILL $pid
			exit 1
		}
		. tests/lib/sock.sh
		unset NETMAP_SOCKET
		export XDG_RUNTIME_DIR="$1/xdg0"
		"$2/san/netmapd" -f 2>"$1/root.log" &
		pid=$!
		wait_sock /run/netmap/netmapd.sock
		got=$("$2/netmapd" -S | awk "\$1 == \"pid\" { print \$2 }")
		kill -TERM $pid
		wait $pid || { echo "netmapd exited with $?"; exit 1; }
		[ "$got" = $pid ] || { echo "netmapd -S found $got"; exit 1; }
		[ -z "$(ls -A "$1/xdg0")" ] ||
		    { echo "files in XDG_RUNTIME_DIR: $(ls -A "$1/xdg0")"; \
		    exit 1; }
	' sh "$T" "$O" >"$T/root.out" 2>&1 ||
	    fail "root and XDG_RUNTIME_DIR: $(cat "$T/root.out")"
	setpriv --reuid=65534 --regid=65534 --clear-groups env \
	    -u NETMAP_SOCKET XDG_RUNTIME_DIR="$T/xdgn" "$O/netmapd" -f \
	    2>"$T/user.log" &
	u=$!
	NMD_BG="$NMD_BG $u"
	wait_sock "$T/xdgn/netmap/netmapd.sock"
	kill -TERM $u
	wait $u || fail "nobody's netmapd exited with $?"
	echo "root: /run/netmap whatever XDG_RUNTIME_DIR says; others in it"
else
	echo "not root: root's socket path is not tested"
fi
echo "test-netmapd-files: ok"
