#!/bin/sh
# The one list of Debian packages banger needs to build and test.
# "check" verifies they are installed; "install" installs them (root
# only; otherwise it prints the exact apt-get line and fails).
set -eu
PKGS="build-essential pkg-config git perl
libsystemd-dev libbearssl-dev libcjson-dev libarchive-dev libzstd-dev skalibs-dev libext2fs-dev
libclang-rt-14-dev libnftables-dev libsodium-dev
systemd systemd-container s6 util-linux iproute2 nftables
openssh-client e2fsprogs qemu-system-x86 procps xz-utils cpio fakeroot debootstrap kmod
zsh fish jq shellcheck clang-format strace
python3 openssl ca-certificates zstd curl
clang bind9-dnsutils dnsmasq-base dnsperf
skopeo umoci apache2-utils libcap2-bin"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done

case "${1:-check}" in
check)
	if [ -n "$missing" ]; then
		echo "banger: missing Debian packages:$missing" >&2
		echo "banger: install them with: make deps   (or: apt-get install -y --no-install-recommends$missing)" >&2
		exit 1
	fi
	;;
install)
	[ -z "$missing" ] && { echo "banger: all build and test packages are installed"; exit 0; }
	if [ "$(id -u)" != 0 ]; then
		echo "banger: make deps needs root; run:" >&2
		echo "  sudo apt-get install -y --no-install-recommends$missing" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y --no-install-recommends $missing
	;;
*)
	echo "usage: deps.sh check|install" >&2; exit 100 ;;
esac
