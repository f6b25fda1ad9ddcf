#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Installs the Debian packages a target needs when they are missing, so that
# the README's commands work on a fresh Debian 12 machine run as root.
# Usage: deps.sh test|vm|bench|deb|pcap|plot
set -e
pkgs="clang llvm libclang-rt-14-dev"
case "$1" in
vm)	pkgs="$pkgs qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static cpio xz-utils iproute2" ;;
bench)	pkgs="$pkgs dpdk dpdk-dev libdpdk-dev pkgconf librte-net-memif23 librte-mempool-ring23 iproute2" ;;
deb)	pkgs="$pkgs dpkg-dev debhelper dh-dkms dkms lintian" ;;
pcap)	pkgs="$pkgs gcc make dpkg-dev xz-utils flex bison perl tcpdump" ;;
plot)	pkgs="gnuplot-nox jq" ;;
esac
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends $missing >/dev/null
