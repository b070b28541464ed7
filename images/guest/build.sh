#!/bin/sh
# images/guest/build.sh OUT.tar — the guest tar: what `banger image pull`
# lays over a container image, as its last layer, so that the image
# boots as a VM and takes banger's ssh (docs/oci-import.md, "Booting
# container images"; docs/guest.md).  Every entry is under .banger/,
# relative to the image's root, root:root:
#
#   .banger/banger-init                 banger-init, static, stripped
#   .banger/ssh/bin/dropbear            Debian's dropbear and
#   .banger/ssh/bin/dropbearconvert     dropbearconvert (dropbear-bin),
#   .banger/ssh/lib/ld-linux-x86-64.so.2  with their own glibc loader
#   .banger/ssh/lib/*.so*               and exactly the libraries it
#                                       resolves for them, plus glibc's
#                                       NSS "compat" module
#   .banger/ssh/packages                "package version" of each .deb
#   .banger/ssh/share/doc/PKG/copyright their licences
#
# banger-init runs the server as
#   /.banger/ssh/lib/ld-linux-x86-64.so.2 --library-path /.banger/ssh/lib
#       --argv0 /.banger/ssh/bin/dropbear/ /.banger/ssh/bin/dropbear ...
# so it works whatever libc the image has (glibc of any version, musl,
# none).  The packages are fetched with apt-get download into
# $BANGER_IMAGE_CACHE (default build/images/cache), checked against the
# SHA256 of apt's signed index; nothing comes from the build host.  No
# root needed.  The tar is reproducible (sorted, fixed times and owners,
# pax headers without the process id): same packages and banger-init,
# same bytes.  It is written next to OUT and renamed onto it.
set -eu

OUT=${1:?usage: build.sh OUT.tar}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
INIT=${BANGER_INIT_BIN:-$TOP/build/images/bin/banger-init}
mkdir -p "$(dirname "$OUT")"
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")
CACHE=${BANGER_IMAGE_CACHE:-$TOP/build/images/cache}
PKGS="dropbear-bin libc6 libcrypt1 libtomcrypt1 libtommath1 zlib1g libgmp10"
EPOCH=1700000000	# every entry's mtime

die() { echo "images/guest: $*" >&2; exit 1; }

[ -x "$INIT" ] || die "no $INIT: run make first"
for t in apt-get dpkg-deb sha256sum strip tar; do
	command -v $t >/dev/null || die "$t not found (see conf/deps.sh)"
done

. "$TOP/images/lib.sh"
# shellcheck disable=SC2086
deb_fetch $PKGS

TMP=$(mktemp -d "$(dirname "$OUT")/.guest-build.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
X=$TMP/x
G=$TMP/root/.banger
mkdir -p "$X" "$G/ssh/bin" "$G/ssh/lib"
for deb in $DEBS; do
	dpkg-deb -x "$deb" "$X"
	p=$(dpkg-deb -f "$deb" Package)
	echo "$p $(dpkg-deb -f "$deb" Version)" >>"$G/ssh/packages"
	mkdir -p "$G/ssh/share/doc/$p"
	cp "$X/usr/share/doc/$p/copyright" "$G/ssh/share/doc/$p/copyright"
done

strip -o "$G/banger-init" "$INIT"
cp "$X/usr/sbin/dropbear" "$X/usr/bin/dropbearconvert" "$G/ssh/bin/"
# The libraries the packages' loader resolves for the two programs, and
# the loader.  libnss_compat: images whose nsswitch.conf says "passwd:
# compat" (older Debian and Ubuntu); "files" is built into this glibc.
LIBS=$(deb_libs "$X" "$G/ssh/bin/dropbear" "$G/ssh/bin/dropbearconvert")
for lib in $LIBS "$X/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
    "$X/lib/x86_64-linux-gnu/libnss_compat.so.2"; do
	cp -L "$lib" "$G/ssh/lib/"
done
[ -f "$G/ssh/lib/libc.so.6" ] || die "libc.so.6 not resolved"

# Modes and times fixed, whatever the umask and the packages said.
find "$TMP/root" -type d -exec chmod 0755 {} +
find "$TMP/root" -type f -exec chmod 0644 {} +
chmod 0755 "$G/banger-init" "$G/ssh/bin/dropbear" \
    "$G/ssh/bin/dropbearconvert" "$G/ssh/lib/ld-linux-x86-64.so.2"
find "$TMP/root" -exec touch -h -d "@$EPOCH" {} +
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$EPOCH" \
    --format=pax --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -C "$TMP/root" -cf "$TMP/guest.tar" .banger
mv -f "$TMP/guest.tar" "$OUT"
echo "images/guest: $OUT ($(sha256sum <"$OUT" | cut -d' ' -f1))"
