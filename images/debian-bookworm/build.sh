#!/bin/sh
# images/debian-bookworm/build.sh OUTDIR — the "debian-bookworm" golden
# image, as root (debootstrap and chroot need it).
#
# A Debian 12 system booted by systemd: `debootstrap --variant=minbase`
# with the packages in $PKGS, brought up to date from bookworm-updates
# and bookworm-security, plus banger-init as /sbin/banger-init
# (build/images/bin/banger-init: run `make` first), and mise (not in
# Debian: its npm package's binary, version and sha512 pinned below,
# fetched with curl from the npm registry) as /usr/local/bin/mise.  It
# is configured for banger's image contract (docs/guest.md): sshd with
# the VM's own ed25519 host key only, root by key only; no host keys,
# machine-id or network configuration of its own; units that cannot work
# or only slow the boot in a microVM masked; Docker (Debian's docker.io)
# started on demand by docker.socket.  Docker's kernel modules are not
# in the image: the kernel bundle's modules.ext4 brings them
# (docs/kernel-bundle.md).  See docs/golden-image.md.
#
# It is written as an ext4 image with `mkfs.ext4 -d` (run as root, so
# files keep their real owners) into a sparse file 1.5 times the tree's
# size (whole GiB, at least 2 GiB), and becomes
# OUTDIR/{rootfs.ext4,manifest.json}.  The build happens in a temp
# directory next to OUTDIR that replaces OUTDIR only when complete.
# Downloaded .debs are cached in $BANGER_IMAGE_CACHE (default
# OUTDIR/../cache)/debootstrap-bookworm, mise's npm tarball in
# $BANGER_IMAGE_CACHE/mise.
#
# Not reproducible byte for byte: the packages are whatever the mirror
# serves today, and dpkg and debootstrap stamp the time into files.
# The manifest's version is the image's own hash, so two builds are
# told apart.
#
# Environment: BANGER_DEBIAN_MIRROR (default http://deb.debian.org/debian)
# and BANGER_DEBIAN_SECURITY_MIRROR (default
# http://deb.debian.org/debian-security) for the build; the image's own
# sources.list always names deb.debian.org.  BANGER_NPM_REGISTRY
# (default https://registry.npmjs.org) for mise's tarball.
set -eu

OUT=${1:?usage: build.sh OUTDIR}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
INIT=${BANGER_INIT_BIN:-$TOP/build/images/bin/banger-init}
MIRROR=${BANGER_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECMIRROR=${BANGER_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SUITE=bookworm
# build-essential is in: a dev sandbox without cc and make is not
# much of one (+~190 MB in the tree, +~15 s of build).  docker.io with
# what it needs here: iptables (docker's rules; nft backend, Debian's
# default), kmod (modprobe, for docker and the kernel's module
# requests), apparmor (the Debian kernel has AppArmor on, and docker
# then loads its docker-default profile with apparmor_parser).
PKGS=systemd,systemd-sysv,dbus,openssh-server,git,ca-certificates,curl,jq,\
iproute2,procps,less,sudo,xz-utils,zstd,build-essential,vim-tiny,\
iputils-ping,netbase,udev,docker.io,iptables,kmod,apparmor
# mise: the npm package @jdxcode/mise-linux-x64 carries the Linux binary
# (package/bin/mise, used as it is: stripping it breaks it).  Pinned:
# the version and the sha512 "integrity" the registry's metadata gives
# for its tarball (https://registry.npmjs.org/@jdxcode/mise-linux-x64).
MISE_VERSION=2026.9.15
MISE_SHA512=ButPFGyztN0Rk/HOHvHuf+W80CkvQRAjbDWHvhGJc3PnL3e2KhCYZIOyjx8wPkhr9VJa/7sJZXpxtt5JLjsfaQ==
NPM=${BANGER_NPM_REGISTRY:-https://registry.npmjs.org}
# Units that cannot work or only slow the boot here: timers for a
# long-lived machine (apt, e2scrub, fstrim, dpkg backups), anything that
# would configure eth0 or DNS (banger-init did), first-boot prompts,
# binfmt_misc (its automount needs autofs4, a module), gettys (root has
# no password: ssh is the way in), modprobe@ for modules no disk carries
# (the kernel bundle's modules.ext4 holds Docker's only), and
# apparmor.service: loading every profile at boot costs seconds under
# TCG, and the one profile used here, docker's, is loaded by dockerd.
MASK="apt-daily.timer apt-daily-upgrade.timer apt-daily.service
apt-daily-upgrade.service e2scrub_all.timer e2scrub_all.service
e2scrub_reap.service fstrim.timer dpkg-db-backup.timer man-db.timer
systemd-networkd.service systemd-networkd.socket
systemd-networkd-wait-online.service systemd-resolved.service
networking.service ifupdown-pre.service
systemd-firstboot.service proc-sys-fs-binfmt_misc.automount
proc-sys-fs-binfmt_misc.mount systemd-binfmt.service
getty@tty1.service serial-getty@ttyS0.service getty-static.service
systemd-hwdb-update.service modprobe@dm_mod.service modprobe@drm.service
modprobe@efi_pstore.service modprobe@fuse.service modprobe@loop.service
apparmor.service"

die() { echo "images/debian-bookworm: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] ||
    die "must run as root (debootstrap, chroot, and mkfs.ext4 -d keeping each file's owner)"
[ -x "$INIT" ] || die "no $INIT: run make first"
for t in debootstrap chroot mkfs.ext4 sha256sum sha512sum base64 od curl tar \
    systemctl mount umount; do
	command -v $t >/dev/null || die "$t not found (see conf/deps.sh)"
done

mkdir -p "$(dirname "$OUT")"
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")
CACHE=${BANGER_IMAGE_CACHE:-$(dirname "$OUT")/cache}
mkdir -p "$CACHE/debootstrap-$SUITE"
CACHE=$(cd "$CACHE" && pwd)

TMP=$(mktemp -d "$(dirname "$OUT")/.debian-bookworm-build.XXXXXX")
R=$TMP/root
# Unmount whatever is mounted below TMP (ours, or what a failed
# debootstrap left), deepest first; never remove across a mount.
unmount_all() {
	awk -v d="$TMP" 'index($2, d "/") == 1 { print $2 }' /proc/self/mounts |
	    sort -r | while read -r m; do umount -l "$m"; done
}
cleanup() {
	unmount_all
	if awk -v d="$TMP" 'index($2, d "/") == 1 { f = 1 } END { exit !f }' \
	    /proc/self/mounts; then
		echo "images/debian-bookworm: mounts left below $TMP; not removing it" >&2
	else
		rm -rf --one-file-system "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

t0=$(date +%s)
# mise's tarball, first (a bad pin fails before the long part): from the
# cache when its sha512 matches the pin, else downloaded and checked.
MISE_TGZ=$CACHE/mise/mise-linux-x64-$MISE_VERSION.tgz
MISE_HEX=$(printf '%s' "$MISE_SHA512" | base64 -d | od -An -v -tx1 | tr -d ' \n')
[ ${#MISE_HEX} = 128 ] || die "MISE_SHA512 is not a base64 sha512"
sha512_ok() { [ -f "$1" ] && [ "$(sha512sum <"$1" | cut -d' ' -f1)" = "$MISE_HEX" ]; }
if sha512_ok "$MISE_TGZ"; then
	echo "images/debian-bookworm: using cached mise $MISE_VERSION"
else
	echo "images/debian-bookworm: downloading mise $MISE_VERSION from $NPM"
	mkdir -p "$CACHE/mise"
	curl -fsSL --proto '=https' --retry 3 -o "$TMP/mise.tgz" \
	    "$NPM/@jdxcode/mise-linux-x64/-/mise-linux-x64-$MISE_VERSION.tgz" ||
	    die "cannot download mise $MISE_VERSION from $NPM"
	sha512_ok "$TMP/mise.tgz" ||
	    die "mise-linux-x64-$MISE_VERSION.tgz: sha512 does not match the pinned integrity"
	mv "$TMP/mise.tgz" "$MISE_TGZ"
fi

echo "images/debian-bookworm: debootstrap $SUITE from $MIRROR"
if ! debootstrap --variant=minbase --include="$PKGS" \
    --cache-dir="$CACHE/debootstrap-$SUITE" \
    "$SUITE" "$R" "$MIRROR" >"$TMP/debootstrap.log" 2>&1; then
	tail -n 30 "$TMP/debootstrap.log" >&2
	die "debootstrap failed (log above)"
fi
unmount_all

# Updates: bookworm-updates and bookworm-security, in the chroot, with
# no service started (policy-rc.d) and the build host's DNS.
cat > "$R/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECMIRROR $SUITE-security main
EOF
printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"
chmod 0755 "$R/usr/sbin/policy-rc.d"
cp -L /etc/resolv.conf "$R/etc/resolv.conf"
mount -t proc proc "$R/proc"
echo "images/debian-bookworm: apt-get dist-upgrade ($SUITE-updates, $SUITE-security)"
if ! chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 sh -c '
	apt-get -q update &&
	apt-get -q -y -o Dpkg::Options::=--force-confdef \
	    -o Dpkg::Options::=--force-confold dist-upgrade &&
	apt-get -q -y --purge autoremove' >"$TMP/apt.log" 2>&1; then
	tail -n 30 "$TMP/apt.log" >&2
	die "apt-get dist-upgrade in the chroot failed (log above)"
fi
unmount_all
rm -f "$R/usr/sbin/policy-rc.d"

# The image's own apt sources: the public archive, whatever mirror built it.
cat > "$R/etc/apt/sources.list" <<EOF
deb http://deb.debian.org/debian $SUITE main
deb http://deb.debian.org/debian $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main
EOF

# banger-init (static).
cp "$INIT" "$R/sbin/banger-init"
strip "$R/sbin/banger-init" 2>/dev/null || :
chmod 0755 "$R/sbin/banger-init"

# mise: the binary as the package has it (checked above), root's.  Its
# self-update would replace a file the image owns: mise reads
# ../lib/mise-self-update-instructions.toml next to its binary and then
# says this instead of updating.  Its shims on the PATH of login shells
# (vm run's interactive shell), so tools it installs are found.
mkdir -p "$TMP/mise"
tar -xzf "$MISE_TGZ" -C "$TMP/mise" package/bin/mise ||
    die "mise-linux-x64-$MISE_VERSION.tgz has no package/bin/mise"
install -o 0 -g 0 -m 0755 "$TMP/mise/package/bin/mise" "$R/usr/local/bin/mise"
mkdir -p "$R/usr/local/lib"
printf 'message = "mise came with the banger image debian-bookworm (mise %s): rebuild the image to update it"\n' \
    "$MISE_VERSION" > "$R/usr/local/lib/mise-self-update-instructions.toml"
cat > "$R/etc/profile.d/mise.sh" <<'EOF'
# banger (images/debian-bookworm): tools installed by mise on the PATH.
case ":$PATH:" in
*":${MISE_DATA_DIR:-$HOME/.local/share/mise}/shims:"*) ;;
*) PATH="${MISE_DATA_DIR:-$HOME/.local/share/mise}/shims:$PATH" ;;
esac
EOF

# sshd: the VM's ed25519 key (banger-init puts it in /etc/ssh before
# systemd starts), root by key only.  Debian's sshd_config includes
# sshd_config.d/*.conf first, and for sshd the first value wins; its
# own HostKey lines are commented out, so this is the only host key.
cat > "$R/etc/ssh/sshd_config.d/banger.conf" <<'EOF'
# banger (images/debian-bookworm): see docs/guest.md.
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile /root/.ssh/authorized_keys
UseDNS no
EOF
# The keys openssh-server's postinst made would be every clone's:
# each VM gets its own from banger-init.  Nothing regenerates them at
# boot on bookworm (no sshd-keygen unit; keys are made by the postinst
# only); ssh.service's `sshd -t` needs the ed25519 one, which is there.
rm -f "$R"/etc/ssh/ssh_host_*

# Identity: no machine-id (systemd makes one per VM on first boot), no
# build host name or resolver.
: > "$R/etc/machine-id"
rm -f "$R/var/lib/dbus/machine-id"
ln -s /etc/machine-id "$R/var/lib/dbus/machine-id"
printf 'banger\n' > "$R/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n' \
    > "$R/etc/hosts"
: > "$R/etc/resolv.conf"	# banger-init writes it on every boot
cat > "$R/etc/fstab" <<'EOF'
# banger: the root file system is mounted by the initrd, and /proc,
# /sys, /dev, /dev/pts, /run and the work disk on /root by banger-init.
EOF

# Units.  (systemctl --root edits the tree only; nothing runs.)
# shellcheck disable=SC2086
systemctl --root="$R" mask $MASK >/dev/null 2>&1 ||
    die "systemctl --root mask failed"
systemctl --root="$R" enable ssh.service >/dev/null 2>&1 ||
    die "systemctl --root enable ssh.service failed"
# Docker on demand: docker.io's postinst enabled docker.service (and
# containerd.service) at boot, which would delay every boot for a
# daemon most sessions never use.  docker.socket stays enabled: the
# first `docker` command starts docker.service, which pulls in
# containerd (Wants=).
systemctl --root="$R" disable docker.service containerd.service >/dev/null 2>&1 ||
    die "systemctl --root disable docker.service containerd.service failed"
systemctl --root="$R" enable docker.socket >/dev/null 2>&1 ||
    die "systemctl --root enable docker.socket failed"
systemctl --root="$R" set-default multi-user.target >/dev/null 2>&1
# udev is there for logind: it tags the ACPI power button, which is how
# `vm stop` asks the guest to shut down.  No renaming of eth0 (it is up
# and configured before udev starts): the kernel's names stay.
mkdir -p "$R/etc/systemd/network"
ln -sf /dev/null "$R/etc/systemd/network/99-default.link"
# A short stop timeout: `vm stop` gives the guest 10 s in all.
mkdir -p "$R/etc/systemd/system.conf.d"
cat > "$R/etc/systemd/system.conf.d/banger.conf" <<'EOF'
# banger: a microVM has no use for long waits.
[Manager]
DefaultTimeoutStopSec=5s
EOF
# The journal in memory and on the console's log only: no disk writes
# for logs in a throwaway VM (journalctl still works while it runs).
mkdir -p "$R/etc/systemd/journald.conf.d"
cat > "$R/etc/systemd/journald.conf.d/banger.conf" <<'EOF'
[Journal]
Storage=volatile
RuntimeMaxUse=32M
EOF

# Clean: apt's lists and caches, logs of the build.
rm -rf "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin \
    "$R"/var/cache/apt/archives/*.deb "$R"/var/cache/apt/archives/partial/* \
    "$R"/var/cache/debconf/*-old "$R"/var/lib/dpkg/*-old \
    "$R"/var/log/*.log "$R"/var/log/apt/* "$R"/var/log/journal/* \
    "$R"/tmp/* "$R"/var/tmp/* "$R"/root/.bash_history
mkdir -p "$R/var/lib/apt/lists/partial"

# The file system: 1.5 times the tree, whole GiB, at least 2 GiB.
USED=$(du -sxm "$R" | cut -f1)
GIB=$(( (USED * 3 / 2 + 1023) / 1024 ))
[ "$GIB" -ge 2 ] || GIB=2
cd "$TMP"
truncate -s "${GIB}G" rootfs.ext4
mkfs.ext4 -q -F -d "$R" -L rootfs -T default rootfs.ext4 >/dev/null ||
    die "mkfs.ext4 -d failed"

. "$TOP/images/lib.sh"
image_publish debian-bookworm openssh
echo "images/debian-bookworm: $OUT/rootfs.ext4 (${USED} MB of files in ${GIB} GiB; $(($(date +%s) - t0)) s; $HASH)"
