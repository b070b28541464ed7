#!/bin/sh
# images/test/build.sh OUTDIR — the tiny "test" image, without root.
#
# A root filesystem of busybox (static), dropbear and git (for
# `vm run --branch`: commit in the guest, fetch back) from Debian's
# packages (apt-get download, dpkg-deb -x; only the files dropbear's
# loader actually needs are kept), banger-init as /sbin/banger-init
# (build/images/bin/banger-init: run `make` first), busybox init with
# an inittab that converts the VM's host key for dropbear and runs it
# on port 22 (root, public key only).  It is written as an ext4 image
# with `fakeroot mkfs.ext4 -d`, so every file is root's, and becomes
# OUTDIR/{rootfs.ext4,manifest.json}.  The build happens in a temp
# directory next to OUTDIR that replaces OUTDIR only when complete.
# Downloads are cached in $BANGER_IMAGE_CACHE (default OUTDIR/../cache).
# The image is reproducible: same packages and banger-init, same bytes.
set -eu

OUT=${1:?usage: build.sh OUTDIR}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$TOP/images/test
INIT=${BANGER_INIT_BIN:-$TOP/build/images/bin/banger-init}
mkdir -p "$(dirname "$OUT")"
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")
CACHE=${BANGER_IMAGE_CACHE:-$(dirname "$OUT")/cache}
SIZE=96M
PKGS="busybox-static dropbear-bin libc6 libcrypt1 libtomcrypt1 libtommath1
zlib1g libgmp10 git libpcre2-8-0"
EPOCH=1700000000	# every file's mtime, and mkfs's clock

die() { echo "images/test: $*" >&2; exit 1; }

[ -x "$INIT" ] || die "no $INIT: run make first"
for t in apt-get dpkg-deb fakeroot mkfs.ext4 debugfs sha256sum strip; do
	command -v $t >/dev/null || die "$t not found (see conf/deps.sh)"
done

# Downloads: the candidate .deb of each package, kept in the cache and
# checked against the SHA256 of the archive's signed index.
. "$TOP/images/lib.sh"
# shellcheck disable=SC2086
deb_fetch $PKGS

TMP=$(mktemp -d "$(dirname "$OUT")/.test-build.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
X=$TMP/x
R=$TMP/root
mkdir -p "$X" "$R"
for deb in $DEBS; do
	dpkg-deb -x "$deb" "$X"
done

# The tree: directories, busybox and its applets, dropbear.
cd "$R"
mkdir -p bin sbin usr/bin usr/sbin lib/x86_64-linux-gnu lib64 \
    usr/lib/x86_64-linux-gnu etc/init.d etc/ssh etc/dropbear dev proc \
    sys run tmp root var/log mnt
chmod 1777 tmp
chmod 0700 root
ln -s ../run var/run
cp "$X/bin/busybox" bin/busybox
for a in $(bin/busybox --list-full); do
	[ -e "$a" ] || ln -s /bin/busybox "$a"
done
strip -o sbin/banger-init "$INIT"
cp "$X/usr/sbin/dropbear" usr/sbin/
cp "$X/usr/bin/dropbearconvert" "$X/usr/bin/dropbearkey" usr/bin/
# git: the one binary (its builtins answer to their git-NAME names, so
# `git fetch` from the host finds git-upload-pack on dropbear's PATH).
cp "$X/usr/bin/git" usr/bin/git
for g in git-upload-pack git-receive-pack git-upload-archive; do
	ln -s git usr/bin/$g
done
mkdir -p usr/lib/git-core

# Libraries: what the package's own loader resolves for dropbear, so
# nothing from the build host leaks in and nothing unneeded goes in.
LD=$X/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
LIBS=$(deb_libs "$X" usr/sbin/dropbear usr/bin/dropbearconvert \
    usr/bin/dropbearkey usr/bin/git)
for lib in $LIBS; do
	cp -L "$lib" "${lib#"$X"/}"
done
cp -L "$LD" lib/x86_64-linux-gnu/
ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 lib64/
[ -f lib/x86_64-linux-gnu/libc.so.6 ] || die "libc.so.6 not resolved"

# Configuration.
cp "$HERE/inittab" etc/inittab
mkdir -p etc/acpi/PWRF
cp "$HERE/power-button" etc/acpi/PWRF/00000080
chmod 0755 etc/acpi/PWRF/00000080
cp "$HERE/rcS" etc/init.d/rcS
cp "$HERE/dropbear" etc/init.d/dropbear
chmod 0755 etc/init.d/rcS etc/init.d/dropbear
printf 'root:x:0:0:root:/root:/bin/sh\n' > etc/passwd
printf 'root:*:19000:0:99999:7:::\n' > etc/shadow
chmod 0600 etc/shadow
printf 'root:x:0:\ntty:x:5:\n' > etc/group
printf '/bin/sh\n/bin/ash\n' > etc/shells
printf 'banger\n' > etc/hostname
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' > etc/hosts
cat > etc/profile <<'EOF'
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
PS1='\h:\w\$ '
EOF
: > etc/resolv.conf
find . -exec touch -h -d "@$EPOCH" {} +

# The file system, reproducible: fixed UUID and hash seed from the
# inputs, fixed clock.  fakeroot makes every file root's.
cd "$TMP"
SUM=$( (cat $DEBS "$INIT" "$HERE"/*; echo "$SIZE") | sha256sum)
SUM=${SUM%% *}
UUID=$(echo "$SUM" |
    sed -E 's/^(.{8})(.{4}).(.{3}).(.{3})(.{12}).*/\1-\2-4\3-8\4-\5/')
E2FSPROGS_FAKE_TIME=$EPOCH fakeroot mkfs.ext4 -q -d "$R" -L rootfs \
    -U "$UUID" -E hash_seed="$UUID" -T default rootfs.ext4 "$SIZE" >/dev/null
# mkfs copies each file's ctime, which touch cannot set: debugfs can.
(cd "$R" && find . -mindepth 1) |
    sed "s|^\.\(.*\)|sif \1 ctime @$EPOCH|" > ctimes
E2FSPROGS_FAKE_TIME=$EPOCH debugfs -w -f ctimes rootfs.ext4 >/dev/null 2>&1

image_publish test dropbear
echo "images/test: $OUT/rootfs.ext4 ($HASH)"
