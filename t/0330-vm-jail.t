#!/bin/sh
# t/0330-vm-jail.t — a real QEMU in the VM's jail, under a real systemd.
#
# t/0320 drives banger-vm-NAME.service with a fake VMM; this test runs
# the real one.  It boots systemd as PID 1 of a systemd-nspawn container
# (t/nspawn.sh) whose tree also holds qemu-system-x86, installs banger
# there as `banger system install` would (units with banger.slice and
# slice.conf, helpers, CLI, install.toml, the owner's access rules),
# plus the real kernel bundle and test image from build/images, and as
# the owner runs `banger vm run -- uname -a` through the real sockets:
# banger.socket -> dispatch -> vm-create, vm-start -> banger-root.socket
# -> root-tap-add, root-vmm-launch -> systemd-run -> vmm-exec -> QEMU
# (TCG) in its jail (helpers/root-vmm-launch.c, jail()).  Checked: the
# guest's banner comes back over ssh; the unit is in banger.slice with
# the jail's properties; QEMU runs with its own -sandbox (its seccomp
# filter inside systemd's); the guest got the host's TSC rate, which
# vmm-exec reads from /proc/cpuinfo inside the unit; the QEMU process
# has no capabilities, no_new_privs and the unit's cgroup; in its mount
# namespace the owner reaches its VM's files and kernel but no image,
# socket or home; its memory and threads stay within the unit's limits; QEMU logged no refusal; `vm stop` ends it through
# QMP (the guest powers off, the unit is collected); `vm run --rm` works
# end to end; systemd-analyze's rating of the real unit.
# Needs root, systemd-nspawn, debootstrap, jq and `make images`; the
# first run builds a tree (50-75 s, 380 MB).  See docs/testing.md.

. "${0%/*}/lib.sh"
. "${0%/*}/nspawn.sh"

OWNER=owner OWNER_UID=1500 OWNER_GROUP=ownergrp
CT=$TRASH/ct
ST=/var/lib/banger
QEMU=/usr/bin/qemu-system-x86_64
VM=j1
UNIT=banger-vm-$VM.service
VMDIR=$ST/vms/$VM
RUNDIR=/run/banger/vms/$VM
# The guest: the owner's config (as t/with-sandbox writes it).  Under
# TCG the unit's MemoryMax is the RAM + 320 MiB and its TasksMax the
# vCPUs + 96 (lib/vmm-qemu.c).
MEM_MIB=512
MEMORY_MAX=$(((MEM_MIB + 320) * 1024 * 1024))
TASKS_MAX=97
# Boot and powerdown under TCG, on a busy 2-core machine.
SSH_TIMEOUT=300
# 0320's tree (NS_INCLUDE, libarchive13, e2fsprogs, libsodium23,
# openssh-client: the CLI's ssh and ssh-keygen) and the real VMM.  The
# list is part of the cache key: a new list builds a new tree.
INCLUDE=$NS_INCLUDE,libarchive13,e2fsprogs,libsodium23,libbearssl0,openssh-client,qemu-system-x86,git

why=$(ns_missing)
if [ -z "$why" ]; then
	for f in kernel/vmlinux kernel/initrd.img kernel/manifest.json \
	    test/rootfs.ext4 test/manifest.json; do
		[ -f "$B/images/$f" ] && continue
		why="no build/images/$f (make images)"
		break
	done
fi
if [ -z "$why" ] && ! command -v jq >/dev/null 2>&1; then
	why="jq is not installed"
fi
if [ -n "$why" ]; then
	test_skip 'a real QEMU in the VM'"'"'s jail under a real systemd (nspawn)' "$why"
	test_done
fi
at_exit ns_stop

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# ---- the container tree ---------------------------------------------

ns_tree_step "$INCLUDE" "systemd, libnftables, ssh, e2fsprogs and qemu-system-x86 (cached)"
echo "# tree size: $(du -sm "$NS_TREE" 2>/dev/null | cut -f1) MB"

LIBEXEC=$(ns_libexec)
KNAME=$(jq -r .name "$B/images/kernel/manifest.json" 2>/dev/null)
HOST_TUN=$(stat -c %a /dev/net/tun 2>/dev/null)

# install_banger: what `banger system install --owner owner` does
# (ns_install_banger, t/nspawn.sh: units, banger.slice with
# conf/slice.conf as /etc/banger/slice.conf, its drop-in, helpers, CLI,
# install.toml, access rules), then the kernel and test image laid out
# as t/with-sandbox does (directories the owner's, files root's) and
# the owner's config.
install_banger() {
	case $KNAME in
	''|null|*/*|.*) echo "no kernel name in $B/images/kernel/manifest.json" >&2; return 1 ;;
	esac
	ns_install_banger "$CT" || return 1
	[ -x "$CT$QEMU" ] || { echo "no $QEMU in the tree" >&2; return 1; }
	g=$(chroot "$CT" getent passwd $OWNER | cut -d: -f4) || return 1
	# The kernel and the image: root's files in the owner's directories.
	# systemd leaves a StateDirectory= whose top is the owner's as it is.
	K=$CT$ST/kernels/$KNAME I=$CT$ST/images/test &&
	mkdir -p "$K" "$I" &&
	for f in $(jq -r '.files | keys[]' "$B/images/kernel/manifest.json") manifest.json; do
		cp --reflink=auto --sparse=always "$B/images/kernel/$f" "$K/$f" || return 1
	done &&
	for f in rootfs.ext4 manifest.json; do
		cp --reflink=auto --sparse=always "$B/images/test/$f" "$I/$f" || return 1
	done &&
	chmod 0644 "$K"/* "$I"/* &&
	chown $OWNER_UID:"$g" "$CT$ST" "$CT$ST/kernels" "$CT$ST/images" &&
	ns_owner_config "$CT" "$MEM_MIB"
}

# prop UNIT PROPERTY: the property's value, as systemctl show -P says.
prop() { ns_run systemctl show -P "$2" "$1"; }

# unit_gone UNIT: the unit has ended and been collected.
unit_gone() { [ "$(prop "$1" LoadState)" = not-found ]; }

# owner_json FILE CMD...: run the CLI as the owner with --json; FILE
# gets stdout, FILE.err stderr.
owner_json() {
	_f=$1
	shift
	ns_as $OWNER banger --json "$@" > "$TRASH/$_f" 2> "$TRASH/$_f.err" ||
	    { cat "$TRASH/$_f.err" "$TRASH/$_f"; return 1; }
}

# why_vmm [NAME]: what the journal and the VM's logs say (a failing
# test's diagnostics); NAME defaults to $VM.
why_vmm() {
	_n=${1:-$VM}
	ns_run journalctl --sync
	echo "--- the journal (tail)"
	ns_run journalctl -b --no-pager -o cat -n 8
	echo "--- journalctl -u banger-vm-$_n.service"
	ns_run journalctl -b --no-pager -o cat -u "banger-vm-$_n.service" | tail -n 8
	echo "--- $ST/vms/$_n/serial.log (tail)"
	ns_run tail -n 15 "$ST/vms/$_n/serial.log"
	echo "--- $ST/vms/$_n/vmm.log"
	ns_run tail -n 10 "$ST/vms/$_n/vmm.log"
}

test_expect_success 'install into a copy: banger, banger.slice, the kernel, the test image' '
	install_banger
'
[ -d "$CT/etc/banger" ] || test_done
# The owner's passwd group: install.toml's owner_gid, the unit's Group=.
OWNER_GID=$(chroot "$CT" getent passwd $OWNER | cut -d: -f4)

test_expect_success 'QEMU and every helper a VM run drives can run in the container' '
	for p in /usr/local/bin/banger $LIBEXEC/dispatch $LIBEXEC/vm-create \
	    $LIBEXEC/vm-start $LIBEXEC/vm-stop $LIBEXEC/vm-delete \
	    $LIBEXEC/root-net-setup $LIBEXEC/root-tap-add \
	    $LIBEXEC/root-vmm-launch $LIBEXEC/vmm-exec $QEMU; do
		miss=$(chroot "$CT" ldd "$p" 2>/dev/null | awk "/not found/ { print \$1 }")
		[ -z "$miss" ] || { echo "$p: missing $miss"; return 1; }
	done &&
	chroot "$CT" $QEMU --version > qemu.version &&
	head -n 1 qemu.version | grep -q "^QEMU emulator version" &&
	chroot "$CT" test -f /usr/share/qemu/bios-microvm.bin
'
echo "# in the container: $(head -n 1 "$TRASH/qemu.version" 2>/dev/null)"

# ---- boot ------------------------------------------------------------

ns_boot_step "$CT"

# nspawn copies the host's /dev/net/tun with its mode, 0600 here; a
# stock host's is 0666, and the tap is the owner's (root-tap-add), so
# the owner's QEMU opens it without privilege.  The node is the
# container's own (its /dev is a tmpfs): the host's keeps its mode.
test_expect_success 'the container'"'"'s /dev/net/tun is 0666 (as on a stock host)' '
	ns_run chmod 0666 /dev/net/tun &&
	[ "$(ns_run stat -c %a /dev/net/tun)" = 666 ] &&
	[ "$(stat -c %a /dev/net/tun)" = "$HOST_TUN" ]
'

test_expect_success 'owner: the kernel and the test image are ready' '
	ns_artifacts_ready "$KNAME"
'

# ---- vm run: a real guest through the jail ----------------------------

# Without --rm the VM stays running after the command, to be looked at.
_t0=$(date +%s%N)
ns_as $OWNER banger vm run --name $VM --ssh-timeout $SSH_TIMEOUT -- uname -a \
    > "$TRASH/run.out" 2> "$TRASH/run.err" < /dev/null
run_st=$?
echo "# banger vm run -- uname -a (create, start, boot under TCG, ssh): $(ms_since "$_t0") ms"
test_expect_success "owner: banger vm run --name $VM -- uname -a prints the guest's banner" '
	[ $run_st = 0 ] || { cat run.err run.out; why_vmm; false; } &&
	grep -q "^Linux $VM 6\.1\..*x86_64" run.out || { cat run.out run.err; false; }
'
echo "# guest: $(head -n 1 "$TRASH/run.out" 2>/dev/null)"

test_expect_success "$UNIT: active in banger.slice, as the owner, its main process QEMU (with its own -sandbox)" '
	st=$(prop $UNIT ActiveState) && [ "$st" = active ] ||
	    { echo "ActiveState=$st"; why_vmm; false; } &&
	[ "$(prop $UNIT Slice)" = banger.slice ] &&
	[ "$(prop $UNIT ControlGroup)" = /banger.slice/$UNIT ] &&
	u=$(prop $UNIT User) &&
	{ [ "$u" = $OWNER_UID ] || [ "$u" = $OWNER ]; } || { echo "User=$u"; false; } &&
	main=$(prop $UNIT MainPID) && [ "$main" -gt 1 ] &&
	[ "$(ns_run cat $RUNDIR/pid)" = "$main" ] &&
	exe=$(ns_run readlink /proc/$main/exe) &&
	[ "$exe" = $QEMU ] || { echo "MainPID=$main is $exe"; false; } &&
	ns_run cat /proc/$main/cmdline | tr "\\0" "\\n" > qemu.argv &&
	grep -qx "tcg,tb-size=128" qemu.argv &&
	grep -qx "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny" qemu.argv &&
	grep -qx "$ST/kernels/$KNAME/vmlinux" qemu.argv || { cat qemu.argv; false; }
'

# Under TCG vmm-exec gives the guest the host's TSC rate
# (tsc_early_khz=, from "cpu MHz" in /proc/cpuinfo; lib/vm.c), without
# which the guest calibrates against emulated timers and may hang
# early.  The unit hides /proc/cpuinfo (ProcSubset=pid): root reads the
# rate and passes it in (BANGER_TSC_KHZ).
test_expect_success 'the guest got the host'"'"'s TSC rate (tsc_early_khz), as outside the jail' '
	awk "p { print; exit } \$0 == \"-append\" { p = 1 }" qemu.argv > append.out &&
	mhz=$(ns_run awk -F: "/^cpu MHz/ { print \$2 + 0; exit }" /proc/cpuinfo) &&
	[ -n "$mhz" ] &&
	grep -Eq "(^| )tsc_early_khz=[0-9]+( |\$)" append.out ||
	    { echo "host cpu MHz: $mhz; the guest'"'"'s command line:"; cat append.out; false; }
'
echo "# the guest's command line: $(cat "$TRASH/append.out" 2>/dev/null)"

# The kernel bundle's modules.ext4 (docs/kernel-bundle.md) is in the
# VM's own kernel directory, which the jail leaves visible (read-only,
# like the rest of the system): QEMU opens it read-only as the third
# disk, and the guest's /init mounts it read-only.
test_expect_success 'the kernel'"'"'s modules.ext4 reaches QEMU in the jail: /dev/vdc, read-only, mounted by the guest' '
	grep -qx "id=modules,if=none,format=raw,readonly=on,file=$ST/kernels/$KNAME/modules.ext4" qemu.argv &&
	grep -q " banger.modules=/dev/vdc\$" append.out &&
	ns_as $OWNER banger vm ssh $VM -- cat /proc/mounts > mods.out 2> mods.err < /dev/null &&
	grep -q "^/dev/vdc /lib/modules/6\.1\.[^ ]* ext4 ro," mods.out ||
	    { cat qemu.argv mods.out mods.err; false; }
'

test_expect_success 'the real QEMU: CapEff 0, NoNewPrivs 1, a seccomp filter, the unit'"'"'s cgroup' '
	main=$(prop $UNIT MainPID) &&
	ns_run cat /proc/$main/status > qemu.status &&
	ns_run cat /proc/$main/cgroup > qemu.cgroup &&
	for w in "CapInh:	0000000000000000" "CapPrm:	0000000000000000" \
	    "CapEff:	0000000000000000" "CapBnd:	0000000000000000" \
	    "CapAmb:	0000000000000000" "NoNewPrivs:	1" "Seccomp:	2" \
	    "Uid:	$OWNER_UID	$OWNER_UID	$OWNER_UID	$OWNER_UID" \
	    "Gid:	$OWNER_GID	$OWNER_GID	$OWNER_GID	$OWNER_GID"; do
		grep -qxF "$w" qemu.status || { echo "want \"$w\" in:"; cat qemu.status; return 1; }
	done &&
	tail -n 1 qemu.cgroup | grep -qx "0::/banger.slice/$UNIT" || { cat qemu.cgroup; false; }
'
echo "# QEMU: $(grep -E "^(CapEff|NoNewPrivs|Seccomp|Threads):" "$TRASH/qemu.status" 2>/dev/null | tr -s "\t\n" "  ")cgroup $(tail -n 1 "$TRASH/qemu.cgroup" 2>/dev/null)"

# The properties the jail sets (helpers/root-vmm-launch.c, jail()), as
# systemd applied them.  Of banger's state the unit binds nothing: its
# two directories are writable (ReadWritePaths=), and every other
# entry is hidden by name (InaccessiblePaths=): at j1's start that is
# the image, the owner's socket, root's socket directory and the cache.
# /proc shows only processes (ProcSubset=pid): the TSC rate comes from
# root (BANGER_TSC_KHZ, above).  seccomp(2) is allowed: QEMU's -sandbox stacks its own
# filter (without it QEMU has no -sandbox option and refuses to start).
test_expect_success "$UNIT is the jail: no capabilities, its own files and devices, limits" '
	for p in CapabilityBoundingSet= AmbientCapabilities= NoNewPrivileges=yes \
	    PrivateDevices=yes DevicePolicy=closed ProtectSystem=strict ProtectHome=yes \
	    PrivateTmp=yes PrivateMounts=yes ProtectKernelTunables=yes \
	    ProtectKernelModules=yes ProtectKernelLogs=yes ProtectControlGroups=yes \
	    ProtectClock=yes ProtectHostname=yes RestrictNamespaces=yes \
	    ProtectProc=invisible ProcSubset=pid RestrictSUIDSGID=yes \
	    RestrictRealtime=yes LockPersonality=yes \
	    RestrictAddressFamilies=AF_UNIX UMask=0077 \
	    MemoryMax=$MEMORY_MAX MemorySwapMax=0 TasksMax=$TASKS_MAX \
	    MemoryDenyWriteExecute=no SystemCallArchitectures=native \
	    TemporaryFileSystem= BindReadOnlyPaths= \
	    "BindPaths=/dev/net/tun:/dev/net/tun:rbind -/dev/kvm:/dev/kvm:rbind" \
	    "ReadWritePaths=$VMDIR $RUNDIR"; do
		v=$(prop $UNIT "${p%%=*}") && [ "$v" = "${p#*=}" ] ||
		    { echo "${p%%=*}=$v, want ${p#*=}"; return 1; }
	done &&
	ip=" $(prop $UNIT InaccessiblePaths) " &&
	for h in $ST/images /run/banger/bangerd.sock /run/banger-root /var/cache/banger; do
		case $ip in *" -$h "*) ;; *) echo "InaccessiblePaths=$ip: no -$h"; return 1 ;; esac
	done &&
	case $ip in *" -$VMDIR "* | *" -$RUNDIR "* | *" -$ST/kernels/$KNAME "*)
		echo "InaccessiblePaths=$ip"; false ;;
	esac &&
	prop $UNIT IPAddressDeny > ipdeny.out && grep -q "0.0.0.0/0" ipdeny.out &&
	grep -q "::/0" ipdeny.out &&
	prop $UNIT DeviceAllow > dev.out &&
	grep -q "/dev/net/tun rw" dev.out && grep -q "/dev/kvm rw" dev.out &&
	prop $UNIT SystemCallFilter > scf.out && grep -qw ioctl scf.out &&
	grep -qw seccomp scf.out &&
	! grep -qw -e mount -e setrlimit -e sched_setaffinity scf.out
'

# The limits are the unit's properties (above).  Whether systemd can
# account for them depends on the container: on a host whose memory and
# pids controllers are cgroup v1 hierarchies, nspawn mounts them
# read-only, and the container's systemd has neither (MemoryCurrent and
# TasksCurrent "[not set]").  QEMU's own peak resident set and threads
# are always there to compare.
test_expect_success "$UNIT: QEMU within its limits (peak RSS, threads; the cgroup's counters where kept)" '
	main=$(prop $UNIT MainPID) &&
	ns_run cat /proc/$main/status > qemu.status2 &&
	hwm=$(awk "/^VmHWM:/ { print \$2 }" qemu.status2) && hwm=$((hwm * 1024)) &&
	thr=$(awk "/^Threads:/ { print \$2 }" qemu.status2) &&
	mem=$(prop $UNIT MemoryCurrent) && tasks=$(prop $UNIT TasksCurrent) &&
	echo "$hwm $thr $mem $tasks" | sed "s/\[not set\]/n\/a/g" > usage &&
	[ "$hwm" -gt 0 ] && [ "$hwm" -lt $MEMORY_MAX ] &&
	[ "$thr" -ge 1 ] && [ "$thr" -le $TASKS_MAX ] &&
	case $mem in "[not set]") ;; *) [ "$mem" -lt $MEMORY_MAX ] ;; esac &&
	case $tasks in "[not set]") ;; *) [ "$tasks" -le $TASKS_MAX ] ;; esac ||
	    { echo "VmHWM=$hwm Threads=$thr MemoryCurrent=$mem TasksCurrent=$tasks"; false; }
'
read -r _hwm _thr _mem _tasks < "$TRASH/usage" 2>/dev/null
echo "# QEMU: peak RSS ${_hwm:-?} bytes, ${_thr:-?} threads; the unit: MemoryCurrent ${_mem:-?} of MemoryMax $MEMORY_MAX, TasksCurrent ${_tasks:-?} of TasksMax $TASKS_MAX"

# What the owner can reach from inside QEMU's mount namespace (its view
# of the file system, with the unit's /proc): its own VM's files and
# its kernel; not the image, either socket or its home, all of which it
# reaches outside the jail (the control).
# owner_probe jail|outside PATH...: "PATH: ok" or "PATH: no" for each,
# as the owner, in the unit's mount namespace or the container's (a
# socket is connected to, anything else opened and read).
owner_probe() {
	_in=
	if [ "$1" = jail ]; then
		_main=$(prop $UNIT MainPID) && [ "$_main" -gt 1 ] || return 1
		_in="nsenter -t $_main -m"
	fi
	shift
	# shellcheck disable=SC2086  # $_in: a command, or nothing
	ns_run $_in setpriv --reuid=$OWNER_UID --regid="$OWNER_GID" --init-groups \
	    perl -MIO::Socket::UNIX -e '
	    for my $p (@ARGV) {
		my ($f, $b);
		my $ok = -S $p ? IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $p) :
		    open($f, "<", $p) && defined(sysread($f, $b, 1));
		print "$p: ", ($ok ? "ok" : "no"), "\n";
	    }' "$@"
}
OWN="$VMDIR/vm.json $RUNDIR/lock $ST/kernels/$KNAME/vmlinux $ST/kernels/$KNAME/modules.ext4"
NOT="$ST/images/test/manifest.json $ST/images/test/rootfs.ext4
/home/$OWNER/.config/banger/config.toml"
SOCKS="/run/banger/bangerd.sock /run/banger-root/bangerd-root.sock"
# (The control leaves the sockets out: a connection starts an instance
# of the service; the CLI reached both a moment ago.)
test_expect_success 'in the jail the owner reaches its VM and kernel; no image, socket or home' '
	owner_probe outside $OWN $NOT > outside.out &&
	for p in $OWN $NOT; do echo "$p: ok"; done > outside.want &&
	test_cmp outside.want outside.out &&
	owner_probe jail $OWN $NOT $SOCKS > jail.out &&
	{ for p in $OWN; do echo "$p: ok"; done; for p in $NOT $SOCKS; do echo "$p: no"; done; } > jail.want &&
	test_cmp jail.want jail.out
'

test_expect_success 'QEMU and systemd logged no refusal' '
	ns_run journalctl --sync &&
	ns_run cat $VMDIR/vmm.log > vmm.log &&
	! grep -Ei "not permitted|permission denied|seccomp|denied|error" vmm.log &&
	ns_run journalctl -b -o cat -u $UNIT > unit.log &&
	! grep -Ei "fail|denied|not permitted|status=" unit.log &&
	ns_run grep -q "^banger-init: hostname $VM" $VMDIR/serial.log ||
	    { cat vmm.log unit.log; false; }
'

test_expect_success 'owner: banger vm ssh reaches the same guest' '
	ns_as $OWNER banger vm ssh $VM -- cat /proc/sys/kernel/hostname > ssh.out 2> ssh.err < /dev/null &&
	[ "$(cat ssh.out)" = $VM ] || { cat ssh.out ssh.err; false; }
'
# How the guest calibrated its TSC (with tsc_early_khz it takes the
# given rate; without it, it calibrates against emulated timers).
ns_as $OWNER banger vm ssh $VM -- dmesg < /dev/null 2>/dev/null |
    grep -E "\] (tsc: |clocksource: Switched)" | head -n 6 | sed 's/^/# guest dmesg: /'

test_expect_success "$UNIT: systemd-analyze security exposure <= 2.5" '
	ns_run systemd-analyze security --no-pager $UNIT > sa.out 2>&1 &&
	e=$(sed -n "s/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p" sa.out) &&
	echo "$e" > exposure &&
	awk -v e="$e" "BEGIN { exit !(e <= 2.5) }" || { cat sa.out; false; }
'
echo "# $UNIT: systemd-analyze security exposure $(cat "$TRASH/exposure" 2>/dev/null); what it still counts against the unit:"
grep -E '^✗' "$TRASH/sa.out" 2>/dev/null | sed 's/^/#   /'

# ---- stop: the power button, through QMP --------------------------------

_t0=$(date +%s%N)
owner_json stop.out vm stop --timeout 60 $VM
stop_st=$?
echo "# banger vm stop (QMP system_powerdown, guest powers off): $(ms_since "$_t0") ms"
test_expect_success "owner: banger vm stop $VM ends QEMU gracefully (not forced)" '
	[ $stop_st = 0 ] || { why_vmm; false; } &&
	jq -e ".state == \"stopped\" and .was_running == true and .forced == false" stop.out ||
	    { cat stop.out; false; }
'

test_expect_success 'the guest powered off, QEMU exited 0, the unit is collected' '
	ns_until 20 unit_gone $UNIT ||
	    { echo "LoadState=$(prop $UNIT LoadState) ActiveState=$(prop $UNIT ActiveState)"; false; } &&
	ns_run grep -q "reboot: Power down" $VMDIR/serial.log &&
	ns_run journalctl --sync &&
	ns_run journalctl -b -o cat _PID=1 > pid1.log &&
	grep -qx "$UNIT: Deactivated successfully." pid1.log &&
	! grep -F "$UNIT" pid1.log | grep -Ei "failed|status=|killed" &&
	owner_json show.out vm show $VM &&
	jq -e ".state == \"stopped\"" show.out || { grep -F "$UNIT" pid1.log; cat show.out; false; }
'

test_expect_success "owner: banger vm delete $VM" '
	ns_as $OWNER banger vm delete $VM > del.out 2>&1 || { cat del.out; false; } &&
	ns_run test ! -e $VMDIR && ns_run test ! -e $RUNDIR
'

# ---- the one command: vm run --rm ----------------------------------------

_t0=$(date +%s%N)
ns_as $OWNER banger vm run --rm --name j2 --ssh-timeout $SSH_TIMEOUT -- uname -a \
    > "$TRASH/rm.out" 2> "$TRASH/rm.err" < /dev/null
rm_st=$?
echo "# banger vm run --rm -- uname -a: $(ms_since "$_t0") ms"
test_expect_success 'owner: banger vm run --rm -- uname -a: the banner, then nothing is left' '
	[ $rm_st = 0 ] || { cat rm.err rm.out; why_vmm j2; false; } &&
	grep -q "^Linux j2 6\.1\..*x86_64" rm.out &&
	ns_run test ! -e $ST/vms/j2 &&
	ns_until 20 unit_gone banger-vm-j2.service &&
	owner_json list.out vm list &&
	jq -e ".vms == []" list.out || { cat rm.out rm.err list.out; false; }
'

test_expect_success 'no unit failed; banger logged nothing that looks like the jail in the way' '
	ns_run systemctl list-units --failed --no-legend --plain > failed.out &&
	! grep . failed.out &&
	ns_run journalctl --sync &&
	{ ns_run journalctl -b -o cat -t banger -t banger-root > j.log || :; } &&
	! grep -Ei "not permitted|permission denied|read-only file system|fatal" j.log &&
	ns_run journalctl -b -o cat -u "banger-vm-*" > vms.log &&
	! grep -Ei "not permitted|permission denied|denied|seccomp" vms.log &&
	ns_run journalctl -b -o cat _PID=1 > pid1b.log &&
	! grep -E "^banger-vm-.*(Failed|failed|status=|code=)" pid1b.log ||
	    { cat failed.out j.log vms.log; grep "^banger-vm-" pid1b.log; false; }
'

ns_stop_step '[ "$(stat -c %a /dev/net/tun)" = "$HOST_TUN" ]'

test_done
