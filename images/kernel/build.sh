#!/bin/sh
# images/kernel/build.sh OUTDIR — build the kernel bundle from Debian's
# kernel package (docs/kernel-bundle.md):
#
#   OUTDIR/vmlinux        ELF kernel with a PVH entry note, taken out of the
#                         package's bzImage by build/images/bin/vmlinux-extract
#   OUTDIR/initrd.img     uncompressed newc cpio: /init (initrd-init.c) and
#                         the virtio and ext4 modules with their dependencies
#                         (modinfo-deps.c), listed in /modules.order
#   OUTDIR/modules.ext4   a small read-only ext4 holding /lib/modules/<kver>/
#                         for what Docker needs (overlay, bridge, veth,
#                         netfilter) with their dependencies and depmod's
#                         indexes; the VMM attaches it read-only and /init
#                         mounts it on /lib/modules/<kver> of the guest
#   OUTDIR/manifest.json  name, kind, version, size and sha256 of each file
#
# Needs no root.  The package is fetched with apt-get download into the
# cache ($BANGER_IMAGE_CACHE, else OUTDIR/../cache), checked against the
# sha256 apt's signed index gives for it, and kept for reruns.  Everything
# is built in a temp dir beside OUTDIR and renamed into place at the end,
# so OUTDIR is only ever absent, the old bundle, or the new one complete.
#
# Environment: BANGER_KERNEL_PACKAGE (default: the newest
# linux-image-6.1.0-N-amd64 apt knows), BANGER_KERNEL_MODULES (the modules
# the initrd loads; their dependencies are added),
# BANGER_KERNEL_DISK_MODULES (the modules of modules.ext4, dependencies
# added; set and empty: no modules.ext4), BANGER_IMAGE_CACHE.
set -eu

die() { echo "kernel/build.sh: $*" >&2; exit 1; }
say() { echo "kernel/build.sh: $*" >&2; }

[ $# = 1 ] || { echo "usage: sh images/kernel/build.sh OUTDIR" >&2; exit 100; }
OUT=${1%/}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$TOP/build/images/bin
# button + evdev: the ACPI power button reaches the guest as an input
# event, so `vm stop` (QMP system_powerdown) is a clean shutdown.
MODULES=${BANGER_KERNEL_MODULES:-virtio_mmio virtio_blk virtio_net ext4 button evdev}
# modules.ext4: what Docker on Debian 12 loads (docs/kernel-bundle.md):
# overlay2's file system, the docker0 bridge and its netfilter hook,
# veth pairs, and the netfilter that iptables (nft, Debian's default,
# and legacy) and docker's rules use.  Dependencies are added.
DISK_MODULES=${BANGER_KERNEL_DISK_MODULES-overlay bridge br_netfilter veth
nfnetlink nf_tables nft_compat nft_chain_nat nft_ct nft_masq nft_nat
nft_reject_inet nft_reject_ipv4 nft_reject_ipv6 nft_fib_inet nf_conntrack
nf_nat nf_conntrack_netlink x_tables ip_tables iptable_filter iptable_nat
iptable_mangle iptable_raw ip6_tables ip6table_filter ip6table_nat
ip6table_mangle xt_MASQUERADE xt_addrtype xt_conntrack xt_nat xt_tcpudp
xt_mark xt_comment xt_state xt_multiport ipt_REJECT ip6t_REJECT}
EPOCH=1700000000	# modules.ext4: every file's times, and mkfs's clock
mkdir -p "$(dirname "$OUT")"
PARENT=$(cd "$(dirname "$OUT")" && pwd)
OUT=$PARENT/$(basename "$OUT")
CACHE=${BANGER_IMAGE_CACHE:-$PARENT/cache}

for t in vmlinux-extract modinfo-deps initrd-init; do
	[ -x "$BIN/$t" ] || die "$BIN/$t missing: run make first"
done
# depmod lives in /sbin, which is not on a user's PATH on Debian.
PATH=$PATH:/usr/sbin:/sbin
for t in apt-cache apt-get dpkg-deb xz cpio sha256sum strip; do
	command -v "$t" >/dev/null || die "$t not found (make deps)"
done
if [ -n "$DISK_MODULES" ]; then
	for t in depmod fakeroot mkfs.ext4 debugfs tune2fs; do
		command -v "$t" >/dev/null || die "$t not found (make deps)"
	done
fi

# --- 1. the package: newest linux-image-6.1.0-N-amd64 apt knows ----------
latest() {
	apt-cache pkgnames linux-image-6.1.0- 2>/dev/null |
	    grep -E '^linux-image-6\.1\.0-[0-9]+-amd64$' | sort -V | tail -n 1
}
PKG=${BANGER_KERNEL_PACKAGE:-$(latest)}
if [ -z "$PKG" ] && [ "$(id -u)" = 0 ]; then
	say "apt knows no linux-image-6.1.0-*-amd64: running apt-get update"
	apt-get update -q >&2
	PKG=$(latest)
fi
[ -n "$PKG" ] || die "apt knows no linux-image-6.1.0-*-amd64 package: run apt-get update (as root)"
# The candidate version's record: Version, Filename, SHA256 (from apt's
# lists, which apt verified against the archive's signed Release file).
field() { apt-cache show --no-all-versions "$PKG" 2>/dev/null | sed -n "s/^$1: //p" | head -n 1; }
VER=$(field Version)
SHA=$(field SHA256)
DEB=$(basename "$(field Filename)")
[ -n "$VER" ] && [ -n "$SHA" ] && [ -n "$DEB" ] || die "$PKG: apt has no installable version"
KVER=${PKG#linux-image-}
printf '%s\n' "$KVER" | grep -Eq '^[0-9A-Za-z.+~-]+$' || die "$PKG: odd version $KVER"

mkdir -p "$CACHE"
if [ -f "$CACHE/$DEB" ] && [ "$(sha256sum <"$CACHE/$DEB" | cut -d' ' -f1)" = "$SHA" ]; then
	say "using cached $DEB"
else
	say "downloading $PKG $VER"
	t0=$(date +%s)
	dl=$(mktemp -d "$CACHE/.dl.XXXXXX")
	# As root apt would drop to _apt, which cannot write here: say so.
	sandbox=""
	[ "$(id -u)" = 0 ] && sandbox="-o APT::Sandbox::User=root"
	# shellcheck disable=SC2086
	(cd "$dl" && apt-get -q $sandbox download "$PKG=$VER" >&2) ||
	    { rm -rf "$dl"; die "apt-get download $PKG=$VER failed"; }
	[ "$(sha256sum <"$dl/$DEB" | cut -d' ' -f1)" = "$SHA" ] ||
	    { rm -rf "$dl"; die "$DEB: sha256 does not match apt's index"; }
	mv "$dl/$DEB" "$CACHE/$DEB"
	rm -rf "$dl"
	say "downloaded in $(($(date +%s) - t0)) s"
fi

# --- 2. unpack, vmlinux out of the bzImage ---------------------------------
NEW=$(mktemp -d "$PARENT/.$(basename "$OUT").new.XXXXXX")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/banger-kernel.XXXXXX")
trap 'rm -rf "$NEW" "$WORK"' EXIT
trap 'exit 130' INT TERM HUP PIPE
chmod 0755 "$NEW"

dpkg-deb -x "$CACHE/$DEB" "$WORK/pkg"
VMLINUZ=$WORK/pkg/boot/vmlinuz-$KVER
MODDIR=$WORK/pkg/lib/modules/$KVER
[ -f "$VMLINUZ" ] || die "$DEB has no boot/vmlinuz-$KVER"
[ -d "$MODDIR" ] || die "$DEB has no lib/modules/$KVER"

info=$("$BIN/vmlinux-extract" --info "$VMLINUZ") || die "$VMLINUZ: not a usable bzImage"
set -- $info	# FORMAT LENGTH SIZE
[ "$1" = xz ] || die "$VMLINUZ: payload is $1, not xz: this recipe only knows xz (FACTS)"
"$BIN/vmlinux-extract" "$VMLINUZ" "$WORK/payload.xz"
# The kernel build appends the decompressed size after the xz stream.
xz -dc --single-stream "$WORK/payload.xz" >"$NEW/vmlinux" ||
    die "$VMLINUZ: xz payload does not decompress"
size=$(wc -c <"$NEW/vmlinux")
[ "$size" = "$3" ] || die "vmlinux is $size bytes, the bzImage says $3"
"$BIN/vmlinux-extract" --check-pvh "$NEW/vmlinux" >&2 ||
    die "$PKG: vmlinux has no PVH note"

# --- 3. initrd.img: /init and the modules, in load order --------------------
R=$WORK/initrd
mkdir -p "$R/dev" "$R/proc" "$R/sys" "$R/newroot"
strip -o "$R/init" "$BIN/initrd-init"
chmod 0755 "$R/init"
# shellcheck disable=SC2086
"$BIN/modinfo-deps" "$MODDIR" $MODULES >"$WORK/order"
: >"$R/modules.order"
while read -r _name path; do
	dst=lib/modules/$KVER/${path%.ko*}.ko
	mkdir -p "$R/$(dirname "$dst")"
	case $path in
	*.ko) cp "$MODDIR/$path" "$R/$dst" ;;
	*.ko.xz) xz -dc "$MODDIR/$path" >"$R/$dst" ;;
	*.ko.zst) zstd -qdc "$MODDIR/$path" >"$R/$dst" ;;
	*.ko.gz) gzip -dc "$MODDIR/$path" >"$R/$dst" ;;
	esac
	echo "/$dst" >>"$R/modules.order"
done <"$WORK/order"
say "initrd modules: $(cut -d' ' -f1 "$WORK/order" | tr '\n' ' ')"
# Fixed times and owners: the same inputs give the same initrd.
find "$R" -exec touch -h -d @0 {} +
(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) \
    >"$NEW/initrd.img"

# --- 4. modules.ext4: /lib/modules/<kver> for Docker -----------------------
# The tree is what /lib/modules/<kver> holds on a Debian system, cut down
# to DISK_MODULES and their dependencies: the modules (as the package has
# them), the package's modules.builtin{,.modinfo} (modprobe of a built-in
# module succeeds), modules.order in the package's order, and depmod's
# indexes (depmod -b works on any tree, without root).  A read-only ext4
# without a journal, reproducible (fixed times, UUID and hash seed from
# the inputs), every file root's (fakeroot), flagged read-only.
if [ -n "$DISK_MODULES" ]; then
	T=$WORK/modtree
	D=$T/lib/modules/$KVER
	mkdir -p "$D"
	# shellcheck disable=SC2086
	"$BIN/modinfo-deps" "$MODDIR" $DISK_MODULES >"$WORK/disk-order"
	while read -r _name path; do
		mkdir -p "$D/$(dirname "$path")"
		cp "$MODDIR/$path" "$D/$path"
	done <"$WORK/disk-order"
	cut -d' ' -f2 "$WORK/disk-order" | LC_ALL=C sort >"$WORK/disk-paths"
	grep -Fxf "$WORK/disk-paths" "$MODDIR/modules.order" >"$D/modules.order" || :
	for f in modules.builtin modules.builtin.modinfo; do
		[ ! -f "$MODDIR/$f" ] || cp "$MODDIR/$f" "$D/$f"
	done
	depmod -b "$T" "$KVER" || die "depmod -b $T $KVER failed"
	[ -s "$D/modules.dep" ] || die "depmod wrote no modules.dep"
	say "modules.ext4: $(wc -l <"$WORK/disk-order") modules: $(cut -d' ' -f1 "$WORK/disk-order" | tr '\n' ' ')"
	find "$T" -exec touch -h -d "@$EPOCH" {} +
	# A quarter more than the files and 1 MiB for the metadata.
	kib=$(du -sk "$D" | cut -f1)
	MIB=$(((kib * 5 / 4 + 1024 + 1023) / 1024))
	SUM=$( (cd "$D" && find . | LC_ALL=C sort &&
	    find . -type f | LC_ALL=C sort | xargs cat && echo "$MIB") | sha256sum)
	UUID=$(echo "$SUM" |
	    sed -E 's/^(.{8})(.{4}).(.{3}).(.{3})(.{12}).*/\1-\2-4\3-8\4-\5/')
	E2FSPROGS_FAKE_TIME=$EPOCH fakeroot mkfs.ext4 -q -F -d "$D" -L modules \
	    -O ^has_journal -U "$UUID" -E hash_seed="$UUID" -T default \
	    "$NEW/modules.ext4" "${MIB}M" >/dev/null || die "mkfs.ext4 -d of the modules failed"
	# mkfs copies each file's ctime and its atime (reading them moved it):
	# debugfs sets both.
	(cd "$D" && find .) | sed -e 's|^\./||' -e 's|^\.$||' \
	    -e "s|.*|sif /& ctime @$EPOCH\nsif /& atime @$EPOCH|" >"$WORK/times"
	E2FSPROGS_FAKE_TIME=$EPOCH debugfs -w -f "$WORK/times" "$NEW/modules.ext4" \
	    >/dev/null 2>&1 || die "debugfs on modules.ext4 failed"
	# The read-only feature: the guest's kernel refuses to mount it rw.
	E2FSPROGS_FAKE_TIME=$EPOCH tune2fs -O read-only "$NEW/modules.ext4" >/dev/null ||
	    die "tune2fs -O read-only modules.ext4 failed"
fi

# --- 5. manifest.json ------------------------------------------------------
entry() {
	printf '"%s":{"size":%s,"sha256":"%s"}' "$1" "$(wc -c <"$NEW/$1" | tr -d ' ')" \
	    "$(sha256sum <"$NEW/$1" | cut -d' ' -f1)"
}
files="$(entry vmlinux),$(entry initrd.img)"
[ ! -f "$NEW/modules.ext4" ] || files="$files,$(entry modules.ext4)"
printf '{"name":"debian-%s","kind":"kernel","version":"%s","files":{%s},"source":"%s %s"}\n' \
    "$KVER" "$KVER" "$files" "$PKG" "$VER" \
    >"$NEW/manifest.json"
sync -f "$NEW/manifest.json" 2>/dev/null || sync

# --- 6. into place: the old bundle goes only once the new one is whole -----
# Concurrent builders (prove -j) take turns here: flock on the parent dir.
exec 9<"$PARENT"
command -v flock >/dev/null && flock 9
if [ -e "$OUT" ]; then
	OLD=$(mktemp -d "$PARENT/.$(basename "$OUT").old.XXXXXX")
	mv -T "$OUT" "$OLD/b"
	mv -T "$NEW" "$OUT"
	rm -rf "$OLD"
else
	mv -T "$NEW" "$OUT"
fi
exec 9<&-
say "built $OUT: debian-$KVER ($PKG $VER)"
