#!/bin/sh
# t/1000-kernel-bundle.t — the kernel bundle (images/kernel,
# docs/kernel-bundle.md): manifest, vmlinux with its PVH note, the initrd's
# /init and modules in load order, modules.ext4 (Docker's modules, their
# dependencies, depmod's indexes, reproducible), the tools' answers to bad
# input, and real boots under QEMU TCG: to a marker printed by a tiny
# static /sbin/init, with no root disk, with banger.root= pointing at a
# second disk, and with the modules disk mounted by banger.modules=.
#
# The bundle is built once into build/images/kernel (by `make images` or
# here) and reused while its manifest verifies and nothing in images/kernel/
# or the recipe's programs is newer than it.

. "${0%/*}/lib.sh"

K=$B/images/kernel
X=$B/images/bin
MODS="virtio_ring virtio virtio_mmio virtio_blk failover net_failover virtio_net crc32c_generic jbd2 mbcache crc16 ext4 button evdev"
# modules.ext4: what the recipe asks for (Docker's), and what that pulls in.
DMODS="overlay bridge br_netfilter veth nfnetlink nf_tables nft_compat
nft_chain_nat nft_ct nft_masq nft_nat nft_reject_inet nf_conntrack nf_nat
nf_conntrack_netlink x_tables ip_tables iptable_filter iptable_nat
ip6_tables ip6table_filter ip6table_nat xt_MASQUERADE xt_addrtype
xt_conntrack xt_nat xt_tcpudp ipt_REJECT llc stp nf_defrag_ipv4
nf_defrag_ipv6 libcrc32c"
export K X MODS DMODS

# manifest.pl DIR: check DIR/manifest.json and the files it lists; print
# the version.
cat >"$TRASH/manifest.pl" <<'EOF'
use strict;
use warnings;
use JSON::PP;
use Digest::SHA;
my $d = shift;
open(my $f, '<', "$d/manifest.json") or die "$d/manifest.json: $!\n";
my $m = decode_json(do { local $/; <$f> });
die "kind is not kernel\n" unless $m->{kind} eq 'kernel';
die "bad version\n" unless $m->{version} =~ /^6\.1\.0-\d+-amd64$/;
die "name is not debian-<version>\n" unless $m->{name} eq "debian-$m->{version}";
die "bad source\n" unless $m->{source} =~ /^linux-image-\Q$m->{version}\E \S+$/;
die "files are not vmlinux, initrd.img and modules.ext4\n"
    unless join(',', sort keys %{$m->{files}}) eq 'initrd.img,modules.ext4,vmlinux';
for my $n (sort keys %{$m->{files}}) {
	my $e = $m->{files}{$n};
	my $size = -s "$d/$n" // die "$d/$n: missing\n";
	die "$n: size $size, manifest says $e->{size}\n" unless $size == $e->{size};
	my $sum = Digest::SHA->new(256)->addfile("$d/$n")->hexdigest;
	die "$n: sha256 $sum, manifest says $e->{sha256}\n" unless $sum eq $e->{sha256};
}
print "$m->{version}\n";
EOF

fresh() {
	[ -f "$K/manifest.json" ] &&
	    [ -z "$(find "$TOP/images/kernel" "$X/vmlinux-extract" \
		"$X/modinfo-deps" "$X/initrd-init" -newer "$K/manifest.json" \
		2>/dev/null)" ] &&
	    perl "$TRASH/manifest.pl" "$K" >/dev/null 2>&1
}

for t in vmlinux-extract modinfo-deps initrd-init; do
	[ -x "$X/$t" ] || { echo "Bail out! $X/$t missing: run make"; exit 1; }
done
if fresh; then
	test_expect_success 'the bundle in build/images/kernel is up to date: reused' 'true'
else
	t0=$(date +%s)
	test_expect_success 'sh images/kernel/build.sh build/images/kernel' '
		sh "$TOP/images/kernel/build.sh" "$K"
	'
	echo "# bundle built in $(($(date +%s) - t0)) s"
fi

test_expect_success 'manifest: name, kind, version, source; sizes and sha256s match' '
	perl "$TRASH/manifest.pl" "$K" >version &&
	test "$(ls "$K" | tr "\n" " ")" = "initrd.img manifest.json modules.ext4 vmlinux "
'
KVER=$(perl "$TRASH/manifest.pl" "$K" 2>/dev/null)
export KVER

test_expect_success 'vmlinux is an ELF executable with a PVH entry note' '
	test "$(head -c 4 "$K/vmlinux" | od -An -c | tr -d " ")" = "177ELF" &&
	"$X/vmlinux-extract" --check-pvh "$K/vmlinux" >pvh &&
	grep -Eq "^pvh_entry=0x[0-9a-f]+$" pvh
'

test_expect_success 'initrd.img is an uncompressed newc cpio, all files root-owned' '
	test "$(head -c 6 "$K/initrd.img")" = 070701 &&
	cpio -itv --quiet --numeric-uid-gid <"$K/initrd.img" >list &&
	! awk "\$3 != 0 || \$4 != 0" list | grep . &&
	mkdir initrd && (cd initrd && cpio -idm --quiet <"$K/initrd.img")
'

test_expect_success '/init is a static executable; /dev /proc /sys /newroot exist' '
	test -f initrd/init && test -x initrd/init &&
	readelf -lW initrd/init >phdrs && ! grep -q INTERP phdrs &&
	! readelf -dW initrd/init | grep -q NEEDED &&
	for d in dev proc sys newroot; do test -d initrd/$d || exit 1; done
'

test_expect_success 'every module is in the initrd and in /modules.order, nothing else' '
	for m in $MODS; do
		grep -q "/$m\.ko\$" initrd/modules.order || { echo "no $m"; exit 1; }
	done &&
	test "$(wc -l <initrd/modules.order)" = 14 &&
	while read -r p; do test -f "initrd$p" || exit 1; done <initrd/modules.order &&
	test "$(find initrd/lib -name "*.ko" | wc -l)" = 14
'

# deps FILE: hard dependencies from .modinfo, read with binutils (not our tool).
deps() {
	objcopy -O binary --only-section=.modinfo "$1" /dev/stdout |
	    tr "\0" "\n" | sed -n "s/^depends=//p" | tr "," " "
}
test_expect_success 'ext4 needs jbd2, mbcache, crc16 (read from its .modinfo)' '
	test "$(deps initrd/lib/modules/$KVER/kernel/fs/ext4/ext4.ko)" = "jbd2 mbcache crc16" &&
	test "$("$X/modinfo-deps" -F depends initrd/lib/modules/$KVER/kernel/fs/ext4/ext4.ko)" = jbd2,mbcache,crc16
'

test_expect_success '/modules.order is a load order: each module after its deps' '
	seen=" " &&
	while read -r p; do
		for d in $(deps "initrd$p"); do
			case $seen in *" $d "*) ;; *) echo "$p before $d"; exit 1 ;; esac
		done
		m=${p##*/}; seen="$seen${m%.ko} "
	done <initrd/modules.order &&
	case $seen in *" crc32c_generic jbd2 "*) ;; *) echo "softdep: $seen"; exit 1 ;; esac
'

test_expect_success 'modinfo-deps: same order from a tree with .ko.xz modules' '
	cp -r initrd/lib/modules/$KVER mods &&
	xz mods/kernel/fs/ext4/ext4.ko mods/kernel/crypto/crc32c_generic.ko &&
	"$X/modinfo-deps" mods virtio_mmio virtio-blk virtio_net ext4 button evdev >order &&
	cut -d" " -f2 order | sed "s/\.xz\$//; s|^|/lib/modules/$KVER/|" >paths &&
	test_cmp initrd/modules.order paths
'

test_expect_success 'modinfo-deps: unknown module, non-module 100; missing file 111' '
	must_fail 100 "$X/modinfo-deps" mods ext4 no_such_module &&
	must_fail 100 "$X/modinfo-deps" -F depends "$TOP/t/lib.sh" &&
	must_fail 100 "$X/modinfo-deps" -F depends initrd/init &&
	must_fail 111 "$X/modinfo-deps" -F depends nonexistent.ko &&
	must_fail 100 "$X/modinfo-deps"
'

# --- modules.ext4 ---------------------------------------------------------
# Read with e2fsprogs (not with anything of the recipe's): its features,
# every file root's, then its tree copied out with debugfs rdump.
test_expect_success 'modules.ext4: ext4 labelled modules, no journal, the read-only feature, clean' '
	dumpe2fs -h "$K/modules.ext4" >sb 2>/dev/null &&
	grep -Eq "^Filesystem volume name: +modules$" sb &&
	grep -E "^Filesystem features:" sb >features &&
	grep -qw read-only features && ! grep -qw has_journal features &&
	e2fsck -fn "$K/modules.ext4" >fsck 2>&1 || { cat fsck; false; }
'

test_expect_success 'modules.ext4: every inode root-owned; the tree copied out (debugfs rdump)' '
	mkdir mtree &&
	debugfs -R "rdump / mtree" "$K/modules.ext4" 2>/dev/null &&
	test -d mtree/kernel &&
	for f in $(cd mtree && find . -mindepth 1 ! -path "./lost+found*" | sed "s|^\.||"); do
		echo "stat \"$f\""
	done >stats.cmd &&
	debugfs -f stats.cmd "$K/modules.ext4" 2>/dev/null >stats &&
	test "$(grep -c "^Inode:" stats)" = "$(wc -l <stats.cmd)" &&
	! grep -E "^User: " stats | grep -vE "^User: +0 +Group: +0 " | grep .
'

test_expect_success 'modules.ext4: Docker'"'"'s modules and their dependencies, nothing else' '
	find mtree/kernel -name "*.ko" | sed "s|.*/||; s|\.ko\$||" | sort >have &&
	for m in $DMODS; do grep -qx "$m" have || { echo "no $m"; return 1; }; done &&
	for ko in $(find mtree/kernel -name "*.ko"); do
		for d in $(deps "$ko"); do
			grep -qx "$d" have || { echo "$ko needs $d, not there"; return 1; }
		done
	done &&
	test "$(wc -l <have)" -lt 80 &&
	! grep -qx -e ext4 -e virtio_blk -e e1000 have
'
echo "# modules.ext4: $(wc -l <"$TRASH/have" 2>/dev/null) modules, $(($(stat -c %s "$K/modules.ext4") >> 20)) MiB, $(du -k "$K/modules.ext4" | cut -f1) KiB allocated"

test_expect_success 'modules.ext4: depmod'"'"'s indexes, modules.builtin and a modules.order of its modules' '
	for f in modules.dep modules.dep.bin modules.alias.bin modules.symbols.bin \
	    modules.builtin modules.builtin.bin modules.builtin.modinfo modules.order; do
		test -s mtree/$f || { echo "no $f"; return 1; }
	done &&
	test "$(wc -l <mtree/modules.order)" = "$(wc -l <have)" &&
	while read -r p; do test -f "mtree/$p" || exit 1; done <mtree/modules.order &&
	grep -q "^kernel/net/bridge/br_netfilter.ko: .*kernel/net/bridge/bridge.ko" mtree/modules.dep &&
	grep -q "^kernel/fs/overlayfs/overlay.ko:" mtree/modules.dep &&
	test "$(wc -l <mtree/modules.dep)" = "$(wc -l <have)"
'

test_expect_success 'modules.ext4: modprobe resolves from it (kmod, --dry-run, against the tree)' '
	modprobe=$(PATH=$PATH:/usr/sbin:/sbin command -v modprobe) &&
	mkdir -p mroot/lib/modules && cp -r mtree "mroot/lib/modules/$KVER" &&
	"$modprobe" -d mroot -S "$KVER" --show-depends br_netfilter >dep.out &&
	grep -q "/bridge.ko" dep.out && grep -q "/br_netfilter.ko" dep.out &&
	"$modprobe" -d mroot -S "$KVER" --show-depends xt_MASQUERADE >dep2.out &&
	grep -q "/nf_nat.ko" dep2.out
'

test_expect_success 'modules.ext4: a second build from the same package is byte for byte the same' '
	BANGER_IMAGE_CACHE="$B/images/cache" sh "$TOP/images/kernel/build.sh" "$TRASH/k2" 2>k2.log &&
	cmp "$K/modules.ext4" k2/modules.ext4 && cmp "$K/initrd.img" k2/initrd.img
'

test_expect_success 'BANGER_KERNEL_DISK_MODULES="": no modules.ext4, nor in the manifest' '
	BANGER_KERNEL_DISK_MODULES= BANGER_IMAGE_CACHE="$B/images/cache" \
	    sh "$TOP/images/kernel/build.sh" "$TRASH/k3" 2>k3.log &&
	test ! -e k3/modules.ext4 &&
	test "$(jq -r ".files | keys | join(\",\")" k3/manifest.json)" = initrd.img,vmlinux
'

# A fake bzImage: setup_sects 1 (protected-mode code at 1024), protocol
# 2.15, payload at 1024+16, 16 bytes: xz magic, 6 bytes, size 64 (LE).
poke() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
mkbz() {
	head -c 2048 /dev/zero >"$1"
	poke "$1" 497 "\001"; poke "$1" 510 "\125\252"; poke "$1" 514 HdrS
	poke "$1" 518 "\017\002"
	poke "$1" 584 "\020\000\000\000"; poke "$1" 588 "\020\000\000\000"
	poke "$1" 1040 "\3757zXZ\000abcdef\100\000\000\000"
}
test_expect_success 'vmlinux-extract: payload and --info from a boot header' '
	mkbz bz &&
	test "$("$X/vmlinux-extract" --info bz)" = "xz 16 64" &&
	"$X/vmlinux-extract" bz out && "$X/vmlinux-extract" bz >out2 &&
	printf "\3757zXZ\000abcdef\100\000\000\000" >want &&
	cmp want out && cmp want out2 &&
	cp bz gz && poke gz 1040 "\037\213" &&
	test "$("$X/vmlinux-extract" --info gz)" = "gzip 16 64"
'

test_expect_success 'vmlinux-extract: truncated, no HdrS, old protocol, short file 100; missing 111' '
	mkbz bz &&
	head -c 1050 bz >trunc && must_fail 100 "$X/vmlinux-extract" trunc out &&
	must_fail 100 "$X/vmlinux-extract" --info trunc &&
	head -c 500 bz >short && must_fail 100 "$X/vmlinux-extract" short &&
	cp bz nohdrs && poke nohdrs 514 XXXX &&
	must_fail 100 "$X/vmlinux-extract" nohdrs out 2>err && grep -q HdrS err &&
	cp bz old && poke old 518 "\007\002" && must_fail 100 "$X/vmlinux-extract" old &&
	must_fail 111 "$X/vmlinux-extract" nonexistent out &&
	must_fail 100 "$X/vmlinux-extract"
'

# The guest's /sbin/init for the boot tests: prints the mounts it was given
# and a marker with the running kernel, then reboots (with -no-reboot QEMU
# exits; a power-off would not end QEMU microvm).  Static, non-PIE: it is
# also our ELF executable without a PVH note.
cat >"$TRASH/guest-init.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <unistd.h>

int
main(void)
{
	struct utsname u;
	char l[512];
	FILE *f = fopen("/proc/mounts", "r");

	while (f != NULL && fgets(l, sizeof(l), f) != NULL)
		printf("MOUNT %s", l);
	if (f != NULL && (f = fopen("/rw-test", "w")) != NULL && fclose(f) == 0)
		printf("ROOT-RW\n");
	uname(&u);
	printf("BANGER-BOOT-OK %s\n", u.release);
	fflush(stdout);
	sync();
	reboot(RB_AUTOBOOT);
	return 1;
}
EOF
test_expect_success 'check-pvh: non-ELF, ELF without PVH note, PIE 100; missing 111' '
	cc -static -no-pie -O2 -o guest-init guest-init.c &&
	must_fail 100 "$X/vmlinux-extract" --check-pvh "$TOP/t/lib.sh" &&
	must_fail 100 "$X/vmlinux-extract" --check-pvh guest-init 2>err &&
	grep -q "no Xen PHYS32_ENTRY" err &&
	must_fail 100 "$X/vmlinux-extract" --check-pvh initrd/init &&
	head -c 64 "$K/vmlinux" >elfhdr &&
	must_fail 100 "$X/vmlinux-extract" --check-pvh elfhdr &&
	must_fail 111 "$X/vmlinux-extract" --check-pvh nonexistent
'

# --- real boots under QEMU TCG ----------------------------------------------
# boot LOG APPEND [QEMU ARGS...]: run the bundle's kernel; wait up to 60 s
# for QEMU to exit by itself (killed otherwise); LOG.t gets the seconds from
# start to the marker line.
khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
APPEND="console=ttyS0 quiet mitigations=off pci=off cryptomgr.notests no_timer_check audit=0 i8042.nopnp i8042.noaux i8042.nokbd nowatchdog panic=1 reboot=k${khz:+ tsc_early_khz=$khz}"
export APPEND
boot() {
	_log=$1 _app=$2
	shift 2
	_t0=$(date +%s.%N)
	qemu-system-x86_64 -M microvm -nodefaults -no-user-config -accel tcg \
	    -cpu max -m 256 -smp 1 -display none -no-reboot \
	    -global virtio-mmio.force-legacy=false \
	    -kernel "$K/vmlinux" -initrd "$K/initrd.img" \
	    -append "$APPEND $_app" -serial "file:$_log" "$@" \
	    </dev/null >"$_log.qemu" 2>&1 &
	_pid=$!
	echo "$_pid" >>"$TRASH/qemu.pids"
	_i=0
	while kill -0 "$_pid" 2>/dev/null; do
		if [ ! -s "$_log.t" ] && grep -q BANGER-BOOT-OK "$_log" 2>/dev/null; then
			echo "$(date +%s.%N) $_t0" | awk "{ printf \"%.2f\n\", \$1 - \$2 }" >"$_log.t"
		fi
		if [ $_i -ge 600 ]; then
			kill -9 "$_pid"
			echo "QEMU still running after 60 s: killed"
			cat "$_log"
			return 1
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	wait "$_pid" || { echo "QEMU exited $?"; cat "$_log.qemu"; return 1; }
	cat "$_log"
}
# Kill only the QEMUs this script started, if still running.
at_exit 'for p in $(cat "$TRASH/qemu.pids" 2>/dev/null); do
	grep -q qemu "/proc/$p/cmdline" 2>/dev/null && kill -9 "$p"; done'

if ! command -v qemu-system-x86_64 >/dev/null; then
	test_skip 'boot the bundle under QEMU TCG' 'qemu-system-x86_64 not installed'
else
	test_expect_success 'boot: /init mounts /dev/vda rw, switches root, execs /sbin/init' '
		mkdir -p rootfs/sbin && cp guest-init rootfs/sbin/init &&
		mkfs.ext4 -q -F -d rootfs root.ext4 8M &&
		boot serial.log "" -drive id=root,file=root.ext4,format=raw,if=none \
		    -device virtio-blk-device,drive=root &&
		grep -q "^BANGER-BOOT-OK $KVER" serial.log &&
		grep -q "^MOUNT /dev/vda / ext4 rw" serial.log &&
		grep -q "^MOUNT devtmpfs /dev devtmpfs" serial.log &&
		grep -q "^MOUNT proc /proc proc" serial.log &&
		grep -q "^MOUNT sysfs /sys sysfs" serial.log &&
		grep -q "^ROOT-RW" serial.log && ! grep -q FATAL serial.log
	'
	[ -s "$TRASH/serial.log.t" ] &&
	    echo "# QEMU start to BANGER-BOOT-OK: $(cat "$TRASH/serial.log.t") s"

	test_expect_success 'boot without a root disk: a clear message, then QEMU exits' '
		boot nodisk.log "banger.rootwait=1" &&
		grep -q "FATAL: root device /dev/vda did not appear within 1 s" nodisk.log
	'

	test_expect_success 'boot with the modules disk: /init mounts it read-only on /lib/modules/<release>' '
		boot mods.log "banger.modules=/dev/vdb" \
		    -drive id=root,file=root.ext4,format=raw,if=none \
		    -device virtio-blk-device,drive=root \
		    -drive id=mods,file="$K/modules.ext4",format=raw,if=none,readonly=on \
		    -device virtio-blk-device,drive=mods &&
		grep -q "^MOUNT /dev/vdb /lib/modules/$KVER ext4 ro," mods.log &&
		grep -q "^MOUNT /dev/vda / ext4 rw" mods.log &&
		grep -q "^BANGER-BOOT-OK $KVER" mods.log && ! grep -q "banger-initrd:" mods.log
	'

	test_expect_success 'banger.modules= naming no disk: a warning, and the boot goes on' '
		boot nomods.log "banger.modules=/dev/vdc" \
		    -drive id=root,file=root.ext4,format=raw,if=none \
		    -device virtio-blk-device,drive=root &&
		grep -q "banger-initrd: warning: modules disk /dev/vdc: did not appear within 3 s" nomods.log &&
		! grep -q "^MOUNT .* /lib/modules/" nomods.log &&
		grep -q "^BANGER-BOOT-OK $KVER" nomods.log
	'

	test_expect_success 'boot with banger.root=/dev/vdb (vda empty)' '
		mkdir -p empty && mkfs.ext4 -q -F -d empty empty.ext4 4M &&
		boot vdb.log "banger.root=/dev/vdb" \
		    -drive id=a,file=empty.ext4,format=raw,if=none \
		    -device virtio-blk-device,drive=a \
		    -drive id=b,file=root.ext4,format=raw,if=none \
		    -device virtio-blk-device,drive=b &&
		grep -q "^MOUNT /dev/vdb / ext4 rw" vdb.log &&
		grep -q "^BANGER-BOOT-OK $KVER" vdb.log
	'
fi

test_done
