#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-install: `make install` into a temporary DESTDIR (PREFIX=/usr, the
# packages' layout, then the default /usr/local), checks the layout, builds
# dist/test-install.c out of the tree with the installed pkg-config file
# only (shared, then static), runs it against the installed netmapd over a
# pipe (every frame checked), then `make uninstall` must leave no file and
# none of our directories behind.
set -eu
O=${O:-build}
MAKE=${MAKE:-make}
T=$(mktemp -d /tmp/netmap-install.XXXXXX)
NMD_PID=
cleanup() {
	[ -n "$NMD_PID" ] && kill -KILL "$NMD_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	[ -s "$T/netmapd.log" ] && cat "$T/netmapd.log" >&2
	exit 1
}
. tests/lib/sock.sh

# files DIR: every non-directory under DIR, relative to it.
files() {
	(cd "$1" && find . ! -type d | LC_ALL=C sort)
}

D=$T/root
mkdir "$D"
$MAKE --no-print-directory install DESTDIR="$D" PREFIX=/usr >"$T/make.log" \
    2>&1 || fail "make install: $(cat "$T/make.log")"
libdir=/usr/lib
ma=$(${CC:-cc} -print-multiarch 2>/dev/null || :)
[ -n "$ma" ] && libdir=/usr/lib/$ma
for f in usr/include/net/netmap.h usr/include/net/netmap_user.h \
    usr/include/net/netmap_legacy.h usr/include/libnetmap.h \
    usr/bin/pkt-gen usr/bin/vale-ctl usr/bin/netmap-bridge usr/bin/netmapd \
    $libdir/libnetmap.a $libdir/libnetmap.so $libdir/libnetmap.so.1 \
    $libdir/pkgconfig/libnetmap.pc $libdir/netmap/libnetmap-preload.so \
    usr/lib/systemd/system/netmapd.service usr/share/man/man8/netmapd.8 \
    usr/share/man/man8/pkt-gen.8 usr/share/man/man8/netmap-bridge.8; do
	[ -e "$D/${f#/}" ] || fail "not installed: $f"
done
grep -qx 'ExecStart=/usr/bin/netmapd -f -s /run/netmap/netmapd.sock' \
    "$D/usr/lib/systemd/system/netmapd.service" ||
    fail "netmapd.service does not run /usr/bin/netmapd"
# bridge(8) is iproute2's: ours is netmap-bridge(8), and says so.
[ ! -e "$D/usr/bin/bridge" ] && [ ! -e "$D/usr/share/man/man8/bridge.8" ] ||
    fail "bridge or bridge(8) installed under iproute2's name"
grep -qx '.Nm netmap-bridge' "$D/usr/share/man/man8/netmap-bridge.8" ||
    fail "netmap-bridge.8 does not name netmap-bridge"
soname=$(readelf -d "$D$libdir/libnetmap.so.1" |
    sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = libnetmap.so.1 ] || fail "soname is '$soname'"
echo "installed $(files "$D" | wc -l) files under $D"

# pkg-config sees only the DESTDIR and prefixes its paths with it.
export PKG_CONFIG_LIBDIR="$D$libdir/pkgconfig" PKG_CONFIG_PATH=
export PKG_CONFIG_SYSROOT_DIR="$D"
cflags=$(pkg-config --cflags libnetmap) || fail "pkg-config --cflags"
libs=$(pkg-config --libs libnetmap) || fail "pkg-config --libs"
echo "pkg-config: cflags '$cflags' libs '$libs'"
want=$(sed -n '1s/^netmap (\([^)-]*\).*/\1/p' debian/changelog)
[ "$(pkg-config --modversion libnetmap)" = "$want" ] ||
    fail "libnetmap.pc: version $(pkg-config --modversion libnetmap), not $want"
case "$cflags" in *"-I$D/usr/include"*) ;; *) fail "cflags: $cflags" ;; esac
case "$libs" in *"-L$D$libdir"*) ;; *) fail "libs: $libs" ;; esac
# Out of the tree, so that nothing but the flags can find our headers.
cp dist/test-install.c "$T/"
(cd "$T" && ${CC:-cc} -Wall -Werror -o prog test-install.c $cflags $libs &&
    ${CC:-cc} -Wall -Werror -o prog-static test-install.c $cflags \
    -Wl,-Bstatic $(pkg-config --libs --static libnetmap | sed \
    's/-pthread//') -Wl,-Bdynamic -pthread) >"$T/cc.log" 2>&1 ||
    fail "building against the installed files: $(cat "$T/cc.log")"
readelf -d "$T/prog" | grep -q 'NEEDED.*\[libnetmap\.so\.1\]' ||
    fail "prog does not need libnetmap.so.1"
readelf -d "$T/prog-static" | grep -q 'NEEDED.*libnetmap' &&
    fail "prog-static needs libnetmap.so"
LD_LIBRARY_PATH="$D$libdir" ldd "$T/prog" | grep -q "=> $D$libdir/" ||
    fail "prog does not load the installed libnetmap.so.1"

# The installed netmapd, on a private socket; both programs go through it.
export NETMAP_SOCKET="$T/netmapd.sock" NETMAP_HOST=user
export NETMAP_DAEMON=/nonexistent	# never start another one
"$D/usr/bin/netmapd" -f -s "$NETMAP_SOCKET" 2>"$T/netmapd.log" &
NMD_PID=$!
wait_sock "$NETMAP_SOCKET"
LD_LIBRARY_PATH="$D$libdir" "$T/prog" inst 20000 >"$T/out" 2>&1 ||
    fail "prog: $(cat "$T/out")"
grep -qx 'test-install: 20000 frames sent and received' "$T/out" ||
    fail "prog: $(cat "$T/out")"
"$T/prog-static" insts 20000 >"$T/out" 2>&1 ||
    fail "prog-static: $(cat "$T/out")"
grep -qx 'test-install: 20000 frames sent and received' "$T/out" ||
    fail "prog-static: $(cat "$T/out")"
"$D/usr/bin/netmapd" -S >"$T/stats" 2>&1 || fail "netmapd -S"
echo "shared and static builds: 20000 frames each through netmapd"
kill -TERM "$NMD_PID"
wait "$NMD_PID" || fail "netmapd exited with $?"
NMD_PID=

$MAKE --no-print-directory uninstall DESTDIR="$D" PREFIX=/usr \
    >"$T/make.log" 2>&1 || fail "make uninstall: $(cat "$T/make.log")"
left=$(files "$D")
[ -z "$left" ] || fail "left after uninstall: $left"
for d in usr/include/net $libdir/netmap; do
	[ -e "$D/${d#/}" ] && fail "left after uninstall: $d/"
done

# The default PREFIX: /usr/local, with a plain lib/.
D=$T/local
mkdir "$D"
$MAKE --no-print-directory install DESTDIR="$D" >"$T/make.log" 2>&1 ||
    fail "make install: $(cat "$T/make.log")"
grep -qx 'libdir=/usr/local/lib' "$D/usr/local/lib/pkgconfig/libnetmap.pc" ||
    fail "libnetmap.pc under /usr/local: $(cat \
    "$D/usr/local/lib/pkgconfig/libnetmap.pc")"
[ -x "$D/usr/local/bin/netmapd" ] || fail "no /usr/local/bin/netmapd"
n=$(files "$D" | wc -l)
$MAKE --no-print-directory uninstall DESTDIR="$D" >"$T/make.log" 2>&1 ||
    fail "make uninstall: $(cat "$T/make.log")"
left=$(files "$D")
[ -z "$left" ] || fail "left after uninstall: $left"
echo "test-install: ok (PREFIX=/usr and /usr/local, $n files each," \
    "none left)"
