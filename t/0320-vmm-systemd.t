#!/bin/sh
# t/0320-vmm-systemd.t — a VMM in its transient unit, under a real systemd.
#
# root-vmm-launch runs the VMM through `systemd-run --unit=banger-vm-NAME
# --uid=OWNER ... vmm-exec NAME` when systemd is PID 1, and forks
# elsewhere; the other tests only see the second way.  This one boots systemd as PID 1
# of a systemd-nspawn container (t/nspawn.sh), installs banger as 0310
# does, and drives `banger vm start`/`stop` as the owner through the
# real sockets: banger.socket -> dispatch -> vm-start -> banger-root.socket
# -> root-tap-add, root-vmm-launch -> systemd-run -> vmm-exec -> the
# VMM.  The VMM is a fake (no QEMU, no kernel in the container): the
# VM's vm.json names it (vmm_bin, as firecracker_bin would), a perl
# script that records who runs it and with what, and answers QMP the
# way vm-stop needs.  Checked: the unit runs as the owner
# with the VM lock held by its main process; vm list says running; vm
# stop ends it through QMP, and through SIGKILL when the VMM is deaf; the
# unit is collected; a VM starts again; bad names, symlinked VM
# directories and foreign uids are refused; powering off with a VM
# running is clean.  Also `banger vm create`, CLI and raw (with a
# workspace payload), through the same socket: vm-create clones the
# image, runs mkfs.ext4 and writes the keys and the tar payload through
# libext2fs, all inside banger.service's full sandbox; the files must
# land root-owned with their modes on the work disk (debugfs).
# Needs root, systemd-nspawn and debootstrap; the first run builds a
# tree (~40 s).  See docs/testing.md.

. "${0%/*}/lib.sh"
. "${0%/*}/nspawn.sh"

OWNER=owner OWNER_UID=1500 OWNER_GROUP=ownergrp
CT=$TRASH/ct
CLIENT=$NS_CLIENT
FAKE=/usr/local/libexec/banger-test/fake-qemu
SOCK=/run/banger/bangerd.sock
RSOCK=/run/banger-root/bangerd-root.sock
VM=box
UNIT=banger-vm-$VM.service
VMDIR=/var/lib/banger/vms/$VM
RUNDIR=/run/banger/vms/$VM
ST=/var/lib/banger
PAYLOAD=/usr/local/lib/banger-t/payload
# The tree: NS_INCLUDE (what a VM start drives) and what vm-create runs:
# libarchive13 (the workspace payload), e2fsprogs (mkfs.ext4 and
# libext2fs; debugfs to look inside), libsodium23 (the VM's host key),
# openssh-client (ssh-keygen: the CLI's key).  The list is part of the
# cache key: a new list builds a new tree.
INCLUDE=$NS_INCLUDE,libarchive13,e2fsprogs,libsodium23,openssh-client

why=$(ns_missing)
if [ -n "$why" ]; then
	test_skip 'VMM transient units under a real systemd (nspawn)' "$why"
	test_done
fi
at_exit ns_stop

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# ---- the container tree ---------------------------------------------

ns_tree_step "$INCLUDE" "systemd, libnftables, libarchive, libsodium, ssh-keygen (cached)"

LIBEXEC=$(ns_libexec)

# install_banger: what `banger system install --owner owner` does
# (ns_install_banger, t/nspawn.sh), with the admin's limits in
# slice.conf, plus the payload client and the test's VMM: the fake
# below, which the VM's vm.json names (vmm_bin, the owner's choice,
# read by vmm-exec as the owner).
install_banger() {
	ns_install_banger "$CT" &&
	install -d -m 0755 "$CT${FAKE%/*}" &&
	printf '[Slice]\nMemoryMax=3G\nTasksMax=777\n' > "$CT/etc/banger/slice.conf" ||
	    return 1
	# The payload client: a request, then stdin as its payload, then
	# shutdown(SHUT_WR), and only then the answer (docs/protocol.md).
	cat > "$CT$PAYLOAD" <<'EOF' || return 1
#!/usr/bin/perl
# payload SOCKET VERB JSON < STREAM: prints every answer line; 111:
# connect failed.  A helper that stops reading early (a refused
# payload) still gets its answer read.
use strict;
use warnings;
use IO::Socket::UNIX;
$SIG{PIPE} = 'IGNORE';
my ($path, $verb, $req) = @ARGV;
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $path);
if (!$s) {
	print STDERR "payload: connect $path: $!\n";
	exit 111;
}
binmode STDIN;
binmode $s;
my ($buf, $n, $sent) = ('', 0, 0);
my $out = "$verb\n$req\n";
SEND: while (1) {
	while (length $out) {
		my $w = syswrite($s, $out);
		if (!defined $w) {
			print STDERR "payload: write after $sent bytes: $!\n";
			last SEND;
		}
		substr($out, 0, $w) = '';
		$sent += $w;
	}
	$n = sysread(STDIN, $buf, 65536);
	die "payload: read stdin: $!\n" unless defined $n;
	last if $n == 0;
	$out = $buf;
}
shutdown($s, 1);
local $/;
print <$s> // '';
EOF
	chmod 0755 "$CT$PAYLOAD"
	# The fake VMM.  Its stdout is the VM's vmm.log (vmm-exec).
	cat > "$CT$FAKE" <<'EOF'
#!/usr/bin/perl
# fake-qemu — stands in for qemu-system-x86_64 (vmm_bin).  It
# logs who runs it and how (uid, gid, NoNewPrivs, capabilities, cgroup)
# and its argv, one "arg: " line each, then serves QMP on the -qmp
# socket as QEMU does for what vm-stop sends: system_powerdown and quit
# end it with status 0 (a guest powering off under -no-reboot).  With a
# file "fake-deaf" in the VM's directory it opens no socket, and only a
# signal ends it.
use strict;
use warnings;
use IO::Socket::UNIX;

$| = 1;
my ($qmp, $dir) = ('', '');
for my $i (0 .. $#ARGV - 1) {
	$qmp = $1 if $ARGV[$i] eq '-qmp' && $ARGV[$i + 1] =~ /^unix:([^,]+),/;
	$dir = $1 if $ARGV[$i] eq '-chardev' &&
	    $ARGV[$i + 1] =~ m{,path=([^,]+)/serial\.log,};
}
open my $st, '<', '/proc/self/status' or die "fake-qemu: status: $!\n";
my %s = map { /^(\w+):\s*(.*)$/ ? ($1, $2) : () } <$st>;
open my $cg, '<', '/proc/self/cgroup' or die "fake-qemu: cgroup: $!\n";
my @cg = <$cg>;
chomp @cg;
print "fake-qemu: pid=$$ uid=$< euid=$> gid=", $( + 0, " egid=", $) + 0,
    " groups=$s{Groups} nnp=$s{NoNewPrivs} capeff=$s{CapEff}",
    " capprm=$s{CapPrm} cgroup=$cg[-1] argc=", scalar(@ARGV), "\n";
print "arg: $_\n" for @ARGV;
# With a file "fake-probe" in the VM's directory: what the VMM can see
# of each path listed there, one "probe PATH: ok|ERROR" line each (a
# socket is connected to, anything else opened and read).
if ($dir ne '' && open(my $pl, '<', "$dir/fake-probe")) {
	while (my $p = <$pl>) {
		chomp $p;
		my $r;
		if (-S $p) {
			$r = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $p) ? 'ok' : "$!";
		} elsif (open(my $f, '<', $p)) {
			$r = defined(sysread($f, my $b, 1)) ? 'ok' : "$!";
		} else {
			$r = "$!";
		}
		print "probe $p: $r\n";
	}
}
if ($qmp eq '' || $dir eq '' || -e "$dir/fake-deaf") {
	print "fake-qemu: deaf\n";
	sleep 1 while 1;
}
unlink $qmp;
my $srv = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $qmp,
    Listen => 4) or die "fake-qemu: listen on $qmp: $!\n";
print "fake-qemu: QMP on $qmp\n";
while (my $c = $srv->accept) {
	$c->autoflush(1);
	print $c '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "fake"}, "capabilities": []}}', "\n";
	while (my $l = <$c>) {
		my ($cmd) = $l =~ /"execute"\s*:\s*"([\w-]+)"/;
		$cmd //= '?';
		print "fake-qemu: QMP $cmd\n";
		if ($cmd eq 'qmp_capabilities') {
			print $c '{"return": {}}', "\n";
		} elsif ($cmd eq 'system_powerdown' || $cmd eq 'quit') {
			print $c '{"return": {}}', "\n";
			close $c;
			unlink $qmp;
			print "fake-qemu: powered off\n";
			exit 0;
		} else {
			print $c qq({"error": {"class": "CommandNotFound", "desc": "$cmd"}}\n);
		}
	}
	close $c;
}
EOF
	chmod 0755 "$CT$FAKE"
}

# answer_is FILE PERL-CONDITION: FILE's last line is JSON (a final
# answer, or the CLI's --json result) and the condition holds for $a.
answer_is() {
	perl -MJSON::PP -e '
	    my @l = <STDIN>; die "no answer\n" unless @l;
	    my $a = decode_json($l[-1]);
	    my $ok = eval $ARGV[0]; die $@ if $@;
	    exit 0 if $ok;
	    print STDERR "unexpected answer: $l[-1]"; exit 1' "$2" < "$1"
}

# only_refusals FILE: each line is a helper's audit line (lib/audit.c:
# "banger-VERB: uid U pid P: ok" for a root request that succeeded, or
# "...: CODE: message") with a code a refusal has, and none looks like
# the sandbox getting in the way.
only_refusals() {
	! grep -Ev "^banger-(root-)?[a-z-]+: uid [0-9]+ pid [0-9]+: (ok$|(bad_request|busy|exists|not_found|permission_denied|temporary): )" "$1" &&
	! grep -Ei "unable to|fatal|not permitted|read-only file system|permission denied" "$1"
}

# state_is STATE: vm list --json (as the owner) says the VM is STATE.
state_is() {
	ns_as $OWNER banger vm list --json > list.out 2> list.err ||
	    { cat list.err; return 1; }
	answer_is list.out "grep({ \$_->{name} eq q($VM) && \$_->{state} eq q($1) } @{\$a->{vms}}) == 1"
}

# prop UNIT PROPERTY: the property's value, as systemctl show -P says.
prop() { ns_run systemctl show -P "$2" "$1"; }

# unit_gone: the VM's unit has ended and been collected.
unit_gone() { [ "$(prop $UNIT LoadState)" = not-found ]; }

# lock_held: someone holds the VM lock (the probe takes LOCK_SH, as
# vm-list does; flock -n exits 1 when it cannot).
lock_held() {
	must_fail 1 ns_as $OWNER flock -n -s $RUNDIR/lock true
}

# lock_holder: the pid holding the VM lock, from /proc/locks.
lock_holder() {
	_ino=$(ns_run stat -c %i $RUNDIR/lock) &&
	ns_run cat /proc/locks | awk -v i="$_ino" '$2 == "FLOCK" {
	    n = split($6, f, ":"); if (f[n] == i) print $5 }'
}

# vmm_line: the fake VMM's last "fake-qemu: pid=" line in vmm.log.
vmm_line() {
	ns_run grep '^fake-qemu: pid=' $VMDIR/vmm.log | tail -n 1
}

test_expect_success 'install into a copy: banger, the fake VMM and its drop-in' '
	install_banger
'
[ -d "$CT/etc/banger" ] || test_done

test_expect_success 'every helper a VM start or create drives can run in the container' '
	for f in banger vm-start vm-stop vm-list vm-create vm-delete \
	    root-net-setup root-tap-add root-vmm-launch vmm-exec; do
		case $f in banger) p=/usr/local/bin/banger ;; *) p=$LIBEXEC/$f ;; esac
		miss=$(chroot "$CT" ldd "$p" 2>/dev/null | awk "/not found/ { print \$1 }")
		[ -z "$miss" ] || { echo "$f: missing $miss"; return 1; }
	done
'

# ---- boot ------------------------------------------------------------

ns_boot_step "$CT"

test_expect_success 'the root service chooses no VMM binary (no environment for it)' '
	env=$(prop banger-root@probe.service Environment) &&
	case " $env " in *BIN=*) echo "Environment=$env"; false ;; esac
'

# The VM, as vm-create would leave it: a vm.json written by the owner,
# naming the fake VMM as its binary.  The kernel, initrd and disks are
# never opened by the launch path.
cat > "$TRASH/vm.json" <<EOF
{"name":"$VM","status":"created","image":"test-image","kernel":"test-kernel","vcpu":1,"memory_mib":256,"disk_bytes":1073741824,"slot":2,"ip":"172.16.0.2","mac":"06:00:ac:10:00:02","tap":"bgtap2","vmm":"qemu","vmm_bin":"$FAKE","accel":"tcg","created_at":"2025-01-01T00:00:00Z"}
EOF
test_expect_success "owner: an empty vm list, then VM $VM (created, stopped)" '
	ns_as $OWNER banger vm list --json > empty.out 2>&1 || { cat empty.out; false; } &&
	answer_is empty.out "!@{\$a->{vms}}" &&
	ns_as $OWNER sh -c "mkdir -p $VMDIR && cat > $VMDIR/vm.json" < vm.json &&
	state_is stopped
'
# Neighbours the VMM must not see (another VM's files, an image, another
# kernel, the sockets, the cache), and what it must see: its own files
# and its kernel.  The fake VMM probes each (fake-probe).
test_expect_success 'owner: neighbours of VM '$VM' (another VM, an image, kernels)' '
	ns_as $OWNER sh -c "mkdir -p $ST/vms/other $ST/images/img $ST/kernels/kother $ST/kernels/test-kernel /run/banger/vms/other &&
	    echo x > $ST/vms/other/vm.json && echo x > $ST/images/img/rootfs.ext4 &&
	    echo x > $ST/kernels/kother/vmlinux && echo x > $ST/kernels/test-kernel/vmlinux &&
	    echo x > /run/banger/vms/other/pid" &&
	ns_run sh -c "mkdir -p /var/cache/banger && echo x > /var/cache/banger/c && chmod 644 /var/cache/banger/c" &&
	printf "%s\n" $VMDIR/vm.json $ST/kernels/test-kernel/vmlinux $ST/vms/other/vm.json \
	    /run/banger/vms/other/pid $ST/images/img/rootfs.ext4 $ST/kernels/kother/vmlinux \
	    $SOCK $RSOCK /var/cache/banger/c > probe &&
	ns_as $OWNER sh -c "cat > $VMDIR/fake-probe" < probe
'

# ---- start (a QMP-speaking VMM) -------------------------------------------

_t0=$(date +%s%N)
ns_as $OWNER banger vm start --json $VM > "$TRASH/start1.out" 2> "$TRASH/start1.err"
start_st=$?
echo "# banger vm start: $(ms_since "$_t0") ms"
test_expect_success "owner: banger vm start $VM" '
	[ $start_st = 0 ] || { cat start1.err start1.out; ns_run journalctl -b --no-pager -n 40; false; } &&
	answer_is start1.out "\$a->{name} eq q($VM) && \$a->{state} eq q(running)"
'

test_expect_success "$UNIT: active, User=$OWNER_UID, main pid = the pid file = the VMM" '
	st=$(prop $UNIT ActiveState) && [ "$st" = active ] ||
	    { echo "ActiveState=$st"; ns_run systemctl status --no-pager $UNIT; false; } &&
	u=$(prop $UNIT User) &&
	{ [ "$u" = $OWNER_UID ] || [ "$u" = $OWNER ]; } || { echo "User=$u"; false; } &&
	g=$(prop $UNIT Group) &&
	{ [ "$g" = $OWNER_UID ] || [ "$g" = $OWNER_GROUP ]; } || { echo "Group=$g"; false; } &&
	main=$(prop $UNIT MainPID) && pid=$(ns_run cat $RUNDIR/pid) &&
	{ [ "$main" = "$pid" ] && [ "$main" -gt 1 ]; } || { echo "MainPID=$main, pid file $pid"; false; } &&
	vmm_line | grep -q "^fake-qemu: pid=$main " || { vmm_line; false; }
'

test_expect_success 'the VMM runs as the owner, without privileges, in the unit'"'"'s cgroup' '
	l=$(vmm_line) &&
	for w in uid=$OWNER_UID euid=$OWNER_UID gid=$OWNER_UID egid=$OWNER_UID \
	    "groups=$OWNER_UID" nnp=1 capeff=0000000000000000 \
	    capprm=0000000000000000 "cgroup=0::/banger.slice/$UNIT"; do
		case "$l " in *" $w "*) ;; *) echo "want $w in: $l"; return 1 ;; esac
	done &&
	for p in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes; do
		v=$(prop $UNIT ${p%%=*}) && [ "$v" = "${p#*=}" ] ||
		    { echo "${p%%=*}=$v"; return 1; }
	done &&
	bp=$(prop $UNIT BindPaths) &&
	[ "$bp" = "/dev/net/tun:/dev/net/tun:rbind -/dev/kvm:/dev/kvm:rbind" ] ||
	    { echo "BindPaths=$bp"; false; }
'

# The VM's unit as a jail (docs/privileges.md): what systemd says it
# applied, and systemd's own rating of it.  box: 256 MiB, 1 vCPU, QEMU
# under TCG (overhead 320 MiB, 96 threads; lib/vmm-qemu.c).
test_expect_success "$UNIT is a jail: no capabilities, its own files and devices, limits" '
	for p in CapabilityBoundingSet= AmbientCapabilities= NoNewPrivileges=yes \
	    PrivateDevices=yes DevicePolicy=closed ProtectSystem=strict ProtectHome=yes \
	    PrivateTmp=yes ProtectKernelTunables=yes ProtectKernelModules=yes \
	    ProtectControlGroups=yes RestrictNamespaces=yes ProtectProc=invisible \
	    ProcSubset=pid RestrictSUIDSGID=yes LockPersonality=yes \
	    RestrictAddressFamilies=AF_UNIX UMask=0077 Slice=banger.slice \
	    MemoryMax=603979776 MemorySwapMax=0 TasksMax=97 \
	    MemoryDenyWriteExecute=no TemporaryFileSystem= BindReadOnlyPaths= \
	    "ReadWritePaths=$VMDIR $RUNDIR"; do
		v=$(prop $UNIT "${p%%=*}") && [ "$v" = "${p#*=}" ] ||
		    { echo "${p%%=*}=$v, want ${p#*=}"; return 1; }
	done &&
	ip=" $(prop $UNIT InaccessiblePaths) " &&
	for h in $ST/vms/other $ST/images /run/banger/vms/other /run/banger/bangerd.sock \
	    $ST/kernels/kother /run/banger-root /var/cache/banger; do
		case $ip in *" -$h "*) ;; *) echo "InaccessiblePaths=$ip: no -$h"; return 1 ;; esac
	done &&
	case $ip in *" -$VMDIR "* | *" -$RUNDIR "* | *test-kernel*) echo "InaccessiblePaths=$ip"; false ;; esac &&
	prop $UNIT DeviceAllow > dev.out &&
	grep -q "/dev/net/tun rw" dev.out && grep -q "/dev/kvm rw" dev.out &&
	prop $UNIT SystemCallFilter > scf.out &&
	grep -qw ioctl scf.out && grep -qw seccomp scf.out && ! grep -qw mount scf.out
'
test_expect_success "$UNIT: the VMM sees only its own VM of banger's state" '
	ns_until 10 ns_run grep -q "^probe /var/cache/banger/c: " $VMDIR/vmm.log &&
	ns_run grep "^probe " $VMDIR/vmm.log > seen.out &&
	grep -qx "probe $VMDIR/vm.json: ok" seen.out &&
	grep -qx "probe $ST/kernels/test-kernel/vmlinux: ok" seen.out &&
	for h in $ST/vms/other/vm.json /run/banger/vms/other/pid $ST/images/img/rootfs.ext4 \
	    $ST/kernels/kother/vmlinux $SOCK $RSOCK /var/cache/banger/c; do
		{ ! grep -q "^probe $h: ok" seen.out || { echo "the VMM reached $h"; cat seen.out; return 1; }; } &&
		grep -q "^probe $h: " seen.out || { echo "no probe of $h"; cat seen.out; return 1; }
	done &&
	ns_as $OWNER rm -r $VMDIR/fake-probe $ST/vms/other /run/banger/vms/other $ST/images/img \
	    $ST/kernels/kother
'
test_expect_success "$UNIT: systemd-analyze security exposure <= 2.5" '
	ns_run systemd-analyze security --no-pager $UNIT > sa.out 2>&1 &&
	e=$(sed -n "s/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p" sa.out) &&
	echo "$e" > exposure &&
	awk -v e="$e" "BEGIN { exit !(e <= 2.5) }" || { cat sa.out; false; }
'
echo "# $UNIT: systemd-analyze security exposure $(cat "$TRASH/exposure" 2>/dev/null)"
test_expect_success 'banger.slice: the admin'"'"'s limits from /etc/banger/slice.conf' '
	[ "$(prop banger.slice MemoryMax)" = 3221225472 ] &&
	[ "$(prop banger.slice TasksMax)" = 777 ] ||
	    { ns_run systemctl cat banger.slice; false; }
'
# The whole argv reached the VMM: the last QEMU option is -qmp (a
# truncated command line would lose it), and the tap is the slot's.
# Under TCG the guest gets the host's TSC rate (tsc_early_khz=): the
# unit hides /proc/cpuinfo (ProcSubset=pid), so root reads it and passes
# it in (BANGER_TSC_KHZ); without the rate a guest may hang calibrating
# (t/0330).
test_expect_success 'the VMM got the whole QEMU command line, the TSC rate in it' '
	ns_run sed -n "s/^arg: //p" $VMDIR/vmm.log > argv.out &&
	[ "$(sed -n 1p argv.out)" = -name ] &&
	[ "$(sed -n 2p argv.out)" = banger-vm-$VM ] &&
	[ "$(tail -n 2 argv.out | head -n 1)" = -qmp ] &&
	[ "$(tail -n 1 argv.out)" = "unix:$RUNDIR/vmm.sock,server=on,wait=off" ] &&
	grep -qx "tap,id=net0,ifname=bgtap2,script=no,downscript=no,vnet_hdr=on" argv.out &&
	grep -qx "virtio-net-device,netdev=net0,mac=06:00:ac:10:00:02" argv.out &&
	grep -qx "id=root,if=none,format=raw,discard=unmap,file=$VMDIR/rootfs.ext4" argv.out &&
	awk "p { print; exit } \$0 == \"-append\" { p = 1 }" argv.out |
	    grep -Eq "(^| )tsc_early_khz=[0-9]+( |\$)" ||
	    { cat argv.out; false; }
'

test_expect_success 'the VM lock is held, by the unit'"'"'s main process' '
	lock_held &&
	h=$(lock_holder) && main=$(prop $UNIT MainPID) &&
	[ "$h" = "$main" ] || { echo "lock holder $h, MainPID $main"; ns_run cat /proc/locks; false; }
'

test_expect_success 'the network: br-fc, and bgtap2 owned by the owner on it' '
	ns_run test -d /sys/class/net/br-fc/bridge &&
	o=$(ns_run cat /sys/class/net/bgtap2/owner) &&
	[ "$o" = $OWNER_UID ] || { echo "bgtap2 owner $o"; false; } &&
	m=$(ns_run readlink /sys/class/net/bgtap2/master) &&
	[ "${m##*/}" = br-fc ] || { echo "bgtap2 master $m"; false; }
'

test_expect_success 'vm list says running (json and table)' '
	state_is running &&
	ns_as $OWNER banger vm list > table.out 2>&1 &&
	grep -E "^$VM[[:space:]].*running" table.out || { cat table.out; false; }
'

test_expect_success 'a second start is refused while it runs (vm-start and vmm-launch)' '
	main=$(prop $UNIT MainPID) &&
	must_fail 1 ns_as $OWNER banger vm start $VM > again.out 2>&1 &&
	grep -q "already running" again.out || { cat again.out; false; } &&
	ns_as $OWNER $CLIENT $RSOCK vmm-launch "{\"v\":1,\"name\":\"$VM\"}" > again2.out &&
	answer_is again2.out "!\$a->{ok} && \$a->{error}{code} eq q(busy)" &&
	[ "$(prop $UNIT MainPID)" = "$main" ]
'

# ---- stop: QMP ---------------------------------------------------------------

_t0=$(date +%s%N)
ns_as $OWNER banger vm stop --json $VM > "$TRASH/stop1.out" 2> "$TRASH/stop1.err"
stop_st=$?
echo "# banger vm stop (QMP): $(ms_since "$_t0") ms"
test_expect_success 'owner: vm stop ends it through QMP (not forced)' '
	[ $stop_st = 0 ] || { cat stop1.err stop1.out; false; } &&
	answer_is stop1.out "\$a->{state} eq q(stopped) && \$a->{was_running} && !\$a->{forced}" &&
	ns_run grep -q "^fake-qemu: QMP system_powerdown" $VMDIR/vmm.log
'

test_expect_success 'the unit ended well and is collected; vm list says stopped; the lock is free' '
	ns_until 10 unit_gone ||
	    { echo "LoadState=$(prop $UNIT LoadState) ActiveState=$(prop $UNIT ActiveState)"; false; } &&
	state_is stopped &&
	! lock_held &&
	ns_run journalctl --sync &&
	ns_run journalctl -b -o cat _PID=1 | grep -qx "$UNIT: Deactivated successfully."
'

# ---- start again; stop: SIGKILL ---------------------------------------------

test_expect_success 'it starts again (a deaf VMM this time)' '
	ns_as $OWNER touch $VMDIR/fake-deaf &&
	ns_as $OWNER banger vm start $VM > start2.out 2>&1 || { cat start2.out; false; } &&
	st=$(prop $UNIT ActiveState) && [ "$st" = active ] &&
	main=$(prop $UNIT MainPID) &&
	[ "$(lock_holder)" = "$main" ] &&
	vmm_line | grep -q "^fake-qemu: pid=$main " &&
	ns_run tail -n 1 $VMDIR/vmm.log | grep -qx "fake-qemu: deaf" &&
	state_is running
'

_t0=$(date +%s%N)
ns_as $OWNER banger vm stop --json --timeout 1 $VM > "$TRASH/stop2.out" 2> "$TRASH/stop2.err"
stop_st=$?
echo "# banger vm stop --timeout 1 (no QMP: SIGKILL): $(ms_since "$_t0") ms"
test_expect_success 'owner: vm stop --timeout 1 ends a deaf VMM (forced)' '
	[ $stop_st = 0 ] || { cat stop2.err stop2.out; false; } &&
	answer_is stop2.out "\$a->{state} eq q(stopped) && \$a->{was_running} && \$a->{forced}"
'

test_expect_success 'the killed unit is collected too, and no unit is left failed' '
	ns_until 10 unit_gone ||
	    { echo "LoadState=$(prop $UNIT LoadState) ActiveState=$(prop $UNIT ActiveState)"; false; } &&
	state_is stopped &&
	! lock_held &&
	ns_run journalctl --sync &&
	ns_run journalctl -b -o cat _PID=1 |
	    grep -qx "$UNIT: Main process exited, code=killed, status=9/KILL" &&
	ns_run systemctl list-units --failed --no-legend --plain > failed.out &&
	! grep . failed.out
'

# ---- vm create, inside banger.service's sandbox ------------------------------

# ext DISK REQUEST: debugfs's answer about the ext4 image DISK (in the
# container, as root).
ext() { ns_run debugfs -R "$2" "$1" 2>/dev/null; }

# ext_stat DISK PATH: "TYPE MODE UID GID" of PATH inside DISK.
ext_stat() {
	ext "$1" "stat $2" | awk '
	    $3 == "Type:" { t = $4; m = $6 }
	    $1 == "User:" { u = $2; g = $4 }
	    END { if (t != "") print t, m, u, g }'
}

# ext_ls DISK DIR: "NAME MODE UID GID" of each entry of DIR but . and
# .., by name (MODE with its type bits, as `ls -l` in debugfs shows it).
ext_ls() {
	ext "$1" "ls -l $2" | awk 'NF >= 9 && $NF != "." && $NF != ".." {
	    print $NF, $2, $4, $5 }' | LC_ALL=C sort
}

# ext_ino DISK PATH: PATH's inode number inside DISK.
ext_ino() { ext "$1" "stat $2" | awk '$1 == "Inode:" { print $2 }'; }

# ext_link DISK PATH: the target of the symlink PATH inside DISK.
ext_link() { ext "$1" "stat $2" | sed -n 's/^Fast link dest: "\(.*\)"$/\1/p'; }

# put_as PATH: stdin into the container's PATH, written by the owner.
put_as() { ns_as $OWNER sh -c 'cat > "$1"' put "$1"; }

# vm-create only clones the image's rootfs.ext4 and checks that the
# kernel's files are readable: a small ext4 and two dummies do.
cat > "$TRASH/image.json" <<EOF
{"name":"test-image","version":"1","files":{"rootfs.ext4":{"size":16777216}}}
EOF
cat > "$TRASH/kernel.json" <<EOF
{"name":"test-kernel","kind":"kernel","version":"0","files":{"vmlinux":{"size":13},"initrd.img":{"size":12}}}
EOF
test_expect_success 'owner: a small image (test-image) and a dummy kernel (test-kernel)' '
	ns_as $OWNER mkdir -p $ST/images/test-image $ST/kernels/test-kernel &&
	ns_as $OWNER truncate -s 16M $ST/images/test-image/rootfs.ext4 &&
	ns_as $OWNER mkfs.ext4 -q -F -L test-rootfs $ST/images/test-image/rootfs.ext4 &&
	put_as $ST/images/test-image/manifest.json < image.json &&
	put_as $ST/kernels/test-kernel/manifest.json < kernel.json &&
	echo dummy-vmlinux | put_as $ST/kernels/test-kernel/vmlinux &&
	echo dummy-initrd | put_as $ST/kernels/test-kernel/initrd.img &&
	ns_as $OWNER banger image list > images.out 2>&1 &&
	grep -Eq "^test-image[[:space:]].*ready" images.out || { cat images.out; false; }
'

# The CLI: the owner's ssh key (made now), the spec, then vm-create
# through banger.socket -> banger.service (serve) -> dispatch -> vm-create.
_t0=$(date +%s%N)
ns_as $OWNER banger vm create --json --name c1 --image test-image \
    --kernel test-kernel --vcpu 1 --memory 256 --disk 1G \
    > "$TRASH/c1.out" 2> "$TRASH/c1.err"
c1_st=$?
echo "# banger vm create (CLI): $(ms_since "$_t0") ms"
test_expect_success 'owner: banger vm create --name c1 (the CLI, under the unit sandbox)' '
	[ $c1_st = 0 ] || { cat c1.err c1.out; ns_run journalctl -b --no-pager -n 40; false; } &&
	answer_is c1.out "\$a->{name} eq q(c1) && \$a->{status} eq q(created) &&
	    \$a->{state} eq q(stopped) && \$a->{slot} == 3 && \$a->{ip} eq q(172.16.0.3) &&
	    \$a->{image} eq q(test-image) && \$a->{kernel} eq q(test-kernel) &&
	    \$a->{disk_bytes} == 1073741824" &&
	grep -qx "created VM c1 (172.16.0.3)" c1.err || { cat c1.err; false; }
'

C1=$ST/vms/c1
test_expect_success 'c1: a complete VM directory (vm.json created, rootfs.ext4 the image, work.ext4)' '
	ns_run ls -A $C1 > c1.ls &&
	for f in vm.json rootfs.ext4 work.ext4; do
		grep -qx $f c1.ls || { echo "no $f in:"; cat c1.ls; return 1; }
	done &&
	! grep -qx work.d c1.ls &&
	ns_run find $C1 ! -user $OWNER > c1.foreign && ! grep . c1.foreign &&
	ns_run cat $C1/vm.json > c1.json &&
	answer_is c1.json "\$a->{status} eq q(created) && \$a->{name} eq q(c1) && \$a->{slot} == 3" &&
	ns_run cmp $ST/images/test-image/rootfs.ext4 $C1/rootfs.ext4 &&
	[ "$(ns_run stat -c %s $C1/work.ext4)" = 1073741824 ] &&
	ns_run dumpe2fs -h $C1/work.ext4 2>/dev/null |
	    grep -Eq "^Filesystem volume name:[[:space:]]+work$" &&
	state_is stopped &&
	ns_as $OWNER banger vm list --json > c1list.out &&
	answer_is c1list.out "grep({ \$_->{name} eq q(c1) && \$_->{state} eq q(stopped) } @{\$a->{vms}}) == 1"
'

test_expect_success 'c1: work.ext4 is root'"'"'s (libext2fs): the owner'"'"'s key, a pinned host key' '
	W=$C1/work.ext4 &&
	ext_stat $W / > root.st && grep -Eq "^directory 0[0-7]+ 0 0$" root.st &&
	[ "$(ext_stat $W /.ssh)" = "directory 0700 0 0" ] &&
	[ "$(ext_stat $W /.ssh/authorized_keys)" = "regular 0600 0 0" ] &&
	[ "$(ext_stat $W /.banger/ssh_host_ed25519_key)" = "regular 0600 0 0" ] ||
	    { ext_ls $W /; ext_ls $W /.ssh; ext_ls $W /.banger; false; } &&
	ext $W "cat /.ssh/authorized_keys" > ak.out &&
	ns_run cat /home/$OWNER/.local/state/banger/ssh/id_ed25519.pub > pub.out &&
	test_cmp pub.out ak.out &&
	hk=$(ext $W "cat /.banger/ssh_host_ed25519_key.pub" | cut -d" " -f1,2) &&
	[ -n "$hk" ] &&
	ns_run cat $ST/ssh/known_hosts > kh.out &&
	grep -qxF "172.16.0.3,c1.vm $hk" kh.out || { cat kh.out; false; }
'

# The workspace: a tar stream after the request line, as `vm run PATH`
# sends it (cli/vm.c), unpacked by libarchive inside the sandbox: a
# script (0755), a setuid file (its bit dropped), a hidden file, a
# private subdirectory, symlinks and a hard link.
test_expect_success 'owner: a workspace with modes, symlinks and a hard link; a file to sync' '
	WS=$CT/home/$OWNER/ws &&
	rm -rf "$WS" && mkdir -p "$WS/sub" &&
	printf "#!/bin/sh\necho ran\n" > "$WS/run.sh" &&
	echo data > "$WS/data.txt" && echo hidden > "$WS/.hidden" &&
	echo deep > "$WS/sub/deep.txt" && echo suid > "$WS/suid" &&
	ln -s run.sh "$WS/link" && ln -s ../data.txt "$WS/sub/up" &&
	ln "$WS/data.txt" "$WS/hard" &&
	chown -hR $OWNER_UID:$OWNER_UID "$WS" &&
	chmod 0755 "$WS/run.sh" && chmod 0640 "$WS/data.txt" &&
	chmod 0644 "$WS/.hidden" && chmod 0600 "$WS/sub/deep.txt" &&
	chmod 04755 "$WS/suid" && chmod 0750 "$WS/sub" &&
	echo synced > "$CT/home/$OWNER/fs.txt" &&
	chown $OWNER_UID:$OWNER_UID "$CT/home/$OWNER/fs.txt" &&
	ns_as $OWNER tar -cf - -C /home/$OWNER/ws . > ws.tar &&
	tar -tvf ws.tar > ws.lst && grep -q "^-rwsr-xr-x .* ./suid$" ws.lst &&
	grep -q "^hrw-r----- .* ./hard link to ./data.txt$" ws.lst ||
	    { cat ws.lst; false; }
'

pub=$(cat "$CT/home/$OWNER/.local/state/banger/ssh/id_ed25519.pub" 2>/dev/null)
REQ2="{\"v\":1,\"name\":\"c2\",\"image\":\"test-image\",\"kernel\":\"test-kernel\",\"vcpu\":1,\"memory_mib\":256,\"disk_bytes\":1073741824,\"ssh_pubkey\":\"$pub\",\"vmm\":\"qemu\",\"accel\":\"tcg\",\"workspace\":true,\"file_sync\":[{\"host\":\"/home/$OWNER/fs.txt\",\"guest\":\"conf/app/fs.txt\",\"mode\":420}]}"
_t0=$(date +%s%N)
ns_as $OWNER tar -cf - -C /home/$OWNER/ws . |
    ns_as $OWNER $PAYLOAD $SOCK vm-create "$REQ2" > "$TRASH/c2.out" 2> "$TRASH/c2.err"
c2_st=$?
echo "# vm-create with a workspace payload (raw): $(ms_since "$_t0") ms"
test_expect_success 'owner: vm-create c2 with a workspace payload (request, tar, shutdown, answer)' '
	[ $c2_st = 0 ] || { cat c2.err c2.out; false; } &&
	! grep . c2.err &&
	answer_is c2.out "\$a->{ok} && \$a->{result}{name} eq q(c2) &&
	    \$a->{result}{status} eq q(created) && \$a->{result}{slot} == 4" ||
	    { cat c2.out; ns_run journalctl -b --no-pager -n 40; false; }
'

C2=$ST/vms/c2
cat > "$TRASH/repo.want" <<EOF
.hidden 100644 0 0
data.txt 100640 0 0
hard 100640 0 0
link 120777 0 0
run.sh 100755 0 0
sub 40750 0 0
suid 100755 0 0
EOF
cat > "$TRASH/sub.want" <<EOF
deep.txt 100600 0 0
up 120777 0 0
EOF
test_expect_success 'c2: the workspace is /repo on work.ext4, root-owned, modes kept, no setuid; file_sync too' '
	W=$C2/work.ext4 &&
	ns_run test ! -e $C2/work.d &&
	ext_stat $W /repo > repo.st &&
	grep -Eq "^directory 0[0-7]+ 0 0$" repo.st &&
	ext_ls $W /repo > repo.ls && test_cmp repo.want repo.ls &&
	ext_ls $W /repo/sub > sub.ls && test_cmp sub.want sub.ls &&
	[ "$(ext_link $W /repo/link)" = run.sh ] &&
	[ "$(ext_link $W /repo/sub/up)" = ../data.txt ] &&
	[ "$(ext_ino $W /repo/hard)" = "$(ext_ino $W /repo/data.txt)" ] &&
	[ "$(ext $W "cat /repo/run.sh")" = "$(printf "#!/bin/sh\necho ran")" ] &&
	[ "$(ext $W "cat /repo/sub/deep.txt")" = deep ] &&
	[ "$(ext $W "cat /repo/hard")" = data ] &&
	[ "$(ext_stat $W /.ssh/authorized_keys)" = "regular 0600 0 0" ] &&
	[ "$(ext_stat $W /conf/app/fs.txt)" = "regular 0644 0 0" ] &&
	[ "$(ext $W "cat /conf/app/fs.txt")" = synced ] &&
	cp repo.st st_repo && ext_stat $W /conf > st_conf &&
	ext_stat $W /conf/app > st_conf_app &&
	grep -Eq "^directory 0[0-7]+ 0 0$" st_conf &&
	grep -Eq "^directory 0[0-7]+ 0 0$" st_conf_app
'
echo "# work.ext4 (mode uid gid): / $(cut -d" " -f2- "$TRASH/root.st" 2>/dev/null), /repo $(cut -d" " -f2- "$TRASH/repo.st" 2>/dev/null)"

# The modes vm-create asks for are the modes the guest gets, whatever
# the umask (lib/atomic.c): /root/repo is made 0755 (docs/workspace.md:
# "Directories are 0755"), and file_sync's missing parents 0755
# (docs/file-sync.md).  The unit runs vm-create with UMask=0077.
modes=$(for d in /repo /conf /conf/app; do
	printf '%s ' "$d $(cut -d" " -f2 "$TRASH/st$(echo $d | tr / _)" 2>/dev/null)"
done)
test_expect_success 'c2: /repo and the parents file_sync made are 0755, despite UMask=0077' '
	test "$modes" = "/repo 0755 /conf 0755 /conf/app 0755 " || { echo "got: $modes"; false; }
'

# A payload with an entry outside its directory: refused, and nothing
# of the VM is left (vm-create undoes everything).
REQ3=$(printf '%s' "$REQ2" | sed 's/"name":"c2"/"name":"c3"/')
test_expect_success 'a payload with an absolute path is refused (bad_request); no c3 is left' '
	ns_as $OWNER tar -cPf - /etc/hostname 2>/dev/null |
	    ns_as $OWNER $PAYLOAD $SOCK vm-create "$REQ3" > c3.out 2> c3.err &&
	answer_is c3.out "!\$a->{ok} && \$a->{error}{code} eq q(bad_request) &&
	    \$a->{error}{message} =~ /outside its directory/" &&
	ns_run test ! -e $ST/vms/c3 &&
	! ns_run grep -q c3.vm $ST/ssh/known_hosts
'

test_expect_success 'owner: banger vm delete c1 and c2; nothing of them is left' '
	ns_as $OWNER banger vm delete c1 > del.out 2>&1 &&
	ns_as $OWNER banger vm delete c2 >> del.out 2>&1 || { cat del.out; false; } &&
	ns_run test ! -e $C1 && ns_run test ! -e $C2 &&
	! ns_run grep -E "c[12]\.vm" $ST/ssh/known_hosts &&
	ns_as $OWNER banger vm list --json > list3.out &&
	answer_is list3.out "join(q( ), map { \$_->{name} } @{\$a->{vms}}) eq q($VM)"
'

test_expect_success 'creating and deleting: no banger unit failed, the helpers logged only the refusals' '
	ns_run systemctl list-units --failed --no-legend --plain > failed2.out &&
	! grep . failed2.out &&
	ns_run journalctl --sync &&
	{ ns_run journalctl -b -o cat -t banger > j-create.log || :; } &&
	only_refusals j-create.log &&
	grep -q "^banger-vm-create: uid $OWNER_UID pid [0-9]*: bad_request: the workspace: " j-create.log &&
	ns_run journalctl -b -o cat _PID=1 > pid1c.log &&
	! grep -E "banger\.service" pid1c.log | grep -Ei "failed|status=" ||
	    { cat failed2.out j-create.log; grep -E "banger\.service" pid1c.log | tail -n 20; false; }
'

# ---- refusals ---------------------------------------------------------------

# A directory planted as a symlink, and a vm.json that names another VM:
# the root side must refuse both before any unit exists.
test_expect_success 'owner: plant a symlinked VM and a VM whose vm.json names another' '
	ns_as $OWNER ln -s $VM /var/lib/banger/vms/evil &&
	ns_as $OWNER mkdir /var/lib/banger/vms/twin &&
	ns_as $OWNER cp $VMDIR/vm.json /var/lib/banger/vms/twin/vm.json
'

test_expect_success 'bad names and planted directories are refused, on both sides' '
	for req in "vm-start $SOCK" "vmm-launch $RSOCK"; do
		for n in ../$VM $VM/.. evil twin; do
			ns_as $OWNER $CLIENT ${req#* } ${req%% *} "{\"v\":1,\"name\":\"$n\"}" > bad.out ||
			    return 1
			# vmm-launch reads no vm.json: vmm-exec --check, as
			# the owner, refuses twin'"'"'s.
			answer_is bad.out "!\$a->{ok} && \$a->{error}{code} eq q(bad_request)" ||
			    { echo "${req%% *} $n"; return 1; }
		done
	done &&
	! ns_as $OWNER banger vm start ../$VM > badcli.out 2>&1 &&
	! ns_as $OWNER banger vm start evil >> badcli.out 2>&1 &&
	ns_run systemctl list-units --all --no-legend --plain "banger-vm-*" > units.out &&
	! grep . units.out
'

test_expect_success 'foreign uids: other cannot connect, member is refused by root-dispatch' '
	must_fail 111 ns_as other $CLIENT $RSOCK vmm-launch "{\"v\":1,\"name\":\"$VM\"}" 2> other.err &&
	must_fail 111 ns_as other banger vm start $VM 2>> other.err &&
	ns_as member $CLIENT $RSOCK vmm-launch "{\"v\":1,\"name\":\"$VM\"}" > member.out &&
	answer_is member.out "!\$a->{ok} && \$a->{error}{code} eq q(permission_denied)" &&
	unit_gone && state_is stopped
'

# A kernel that is a symlink into another user's 0700 home: the unit
# must not hand the VMM what the owner could never reach (systemd
# resolves a bind's source as root; docs/privileges.md, "The VM's
# unit").  The fake VMM probes the file; so does the owner, from outside,
# through the VMM's /proc/PID/root.
SPY=/var/lib/banger/vms/spy
spy_gone() { [ "$(prop banger-vm-spy.service LoadState)" = not-found ]; }
test_expect_success 'a kernel symlinked into another user'"'"'s 0700 home exposes nothing' '
	ns_run sh -c "chmod 0700 /home/other && mkdir -p /home/other/notes &&
	    echo other-secret > /home/other/notes/secret && chmod 0755 /home/other/notes &&
	    chmod 0644 /home/other/notes/secret && chown -R other: /home/other/notes" &&
	! ns_as $OWNER cat /home/other/notes/secret 2>/dev/null &&
	ns_as $OWNER ln -s /home/other/notes $ST/kernels/evilk &&
	sed -e "s/\"name\":\"$VM\"/\"name\":\"spy\"/" -e "s/\"kernel\":\"test-kernel\"/\"kernel\":\"evilk\"/" \
	    -e "s/\"slot\":2,\"ip\":\"172.16.0.2\",\"mac\":\"06:00:ac:10:00:02\",\"tap\":\"bgtap2\"/\"slot\":3,\"ip\":\"172.16.0.3\",\"mac\":\"06:00:ac:10:00:03\",\"tap\":\"bgtap3\"/" \
	    vm.json > spy.json &&
	grep -q "\"kernel\":\"evilk\".*\"tap\":\"bgtap3\"" spy.json &&
	ns_as $OWNER sh -c "mkdir $SPY && cat > $SPY/vm.json && echo $ST/kernels/evilk/secret > $SPY/fake-probe" < spy.json &&
	ns_as $OWNER banger vm start spy > spy.out 2>&1 || { cat spy.out; false; } &&
	pid=$(ns_run cat /run/banger/vms/spy/pid) &&
	ns_until 10 ns_run grep -q "^probe " $SPY/vmm.log &&
	ns_run grep "^probe " $SPY/vmm.log > spy-probe.out &&
	grep -q "^probe $ST/kernels/evilk/secret: " spy-probe.out &&
	! grep -q "^probe $ST/kernels/evilk/secret: ok" spy-probe.out &&
	! ns_as $OWNER cat /proc/$pid/root$ST/kernels/evilk/secret > spy-proc.out 2>&1 &&
	! grep -q other-secret spy-proc.out &&
	ns_as $OWNER banger vm stop spy > spy.out 2>&1 || { cat spy.out; false; } &&
	ns_until 10 spy_gone &&
	ns_as $OWNER banger vm delete spy > spy.out 2>&1 || { cat spy.out; false; } &&
	ns_as $OWNER rm $ST/kernels/evilk
'

# ---- journal, and power off with a VM running ---------------------------------

test_expect_success 'journal: no complaint about the units, the sandbox or the launch' '
	ns_run journalctl --sync &&
	{ ns_run journalctl -b -o cat -t banger > j-banger.log || :; } &&
	{ ns_run journalctl -b -o cat -t banger-root > j-root.log || :; } &&
	only_refusals j-banger.log &&
	only_refusals j-root.log &&
	ns_run journalctl -b -o cat _PID=1 > pid1.log &&
	! grep -E "banger" pid1.log | grep -Ei "ignoring|unknown|invalid|namespac|status=226|limit" &&
	! grep -E "banger(@|-root@|\.socket|-root\.socket|-dns)" pid1.log | grep -Ei "failed|error"
'

# The network verbs under the narrowed set (CAP_NET_ADMIN alone) and the
# unit's sandbox: net-setup and tap-del as the owner, net-down (root's
# alone) once the stopped VM's tap is gone; the next start mends it all.
test_expect_success 'root verbs with their narrowed capabilities: net-setup, tap-del, net-down' '
	state_is stopped &&
	ns_as $OWNER $CLIENT $RSOCK net-setup "{}" > ns.out &&
	answer_is ns.out "\$a->{ok}" &&
	ns_as $OWNER $CLIENT $RSOCK net-down "{}" > nd.out &&
	answer_is nd.out "!\$a->{ok} && \$a->{error}{code} eq q(permission_denied)" &&
	ns_run $CLIENT $RSOCK net-down "{}" > nd.out &&
	answer_is nd.out "!\$a->{ok} && \$a->{error}{code} eq q(busy)" &&
	ns_as $OWNER $CLIENT $RSOCK tap-del "{\"index\":2}" > td.out &&
	answer_is td.out "\$a->{ok} && \$a->{result}{removed}" &&
	ns_run $CLIENT $RSOCK net-down "{}" > nd.out &&
	answer_is nd.out "\$a->{ok}" &&
	! ns_run ip link show br-fc 2>/dev/null &&
	test "$(ns_run cat /proc/sys/net/ipv4/ip_forward)" = 0
'

# The audit trail (lib/audit.c): journald's native protocol, with fields.
# CAP_EFFECTIVE is what the helper held (capget), which must be exactly
# its verb's set (lib/root-verbs.c): NET_ADMIN (0x1000) for the network
# verbs; SETUID, SETGID, DAC_READ_SEARCH (0xc4) for vmm-launch.
test_expect_success 'audit: every root request in the journal with its fields, each helper with exactly its capabilities' '
	ns_run journalctl --sync &&
	ns_run journalctl -b -o json SYSLOG_IDENTIFIER=banger-root > audit.json &&
	jq -s "map(select(.VERB == \"tap-add\" and .RESULT == \"ok\")) | length > 0" audit.json | grep -qx true &&
	jq -s "map(select(.VERB == \"vmm-launch\" and .RESULT == \"ok\" and .VM == \"$VM\")) | length > 0" audit.json | grep -qx true &&
	jq -s "map(select(.VERB == \"tap-add\" and .RESULT == \"ok\" and .INDEX == \"2\" and .PEER_UID == \"$OWNER_UID\" and (.PEER_PID | test(\"^[0-9]+\$\")))) | length > 0" audit.json | grep -qx true &&
	jq -s "map(select(.BANGER_PROGRAM != \"banger-root-dispatch\" and .VERB != null)) |
	    map(select(((.VERB | test(\"^(tap-add|tap-del|net-setup|net-down)\$\")) and .CAP_EFFECTIVE != \"1000\") or
	               (.VERB == \"vmm-launch\" and .CAP_EFFECTIVE != \"c4\"))) | length" audit.json | grep -qx 0 &&
	jq -s "map(select(.BANGER_PROGRAM != \"banger-root-dispatch\" and .VERB != null and ._CAP_EFFECTIVE != null and
	    ._CAP_EFFECTIVE != .CAP_EFFECTIVE)) | length" audit.json | grep -qx 0 &&
	jq -s "map(select(.BANGER_PROGRAM == \"banger-root-dispatch\" and .RESULT == \"permission_denied\" and .PEER_UID == \"1502\")) | length > 0" audit.json | grep -qx true &&
	jq -s "map(select(.RESULT == \"busy\" and .VERB == \"vmm-launch\" and .ERRNO != null)) | length > 0" audit.json | grep -qx true ||
	{ jq -c "{VERB, RESULT, VM, INDEX, PEER_UID, CAP_EFFECTIVE, _CAP_EFFECTIVE, ERRNO, MESSAGE}" audit.json | tail -n 30; false; }
'

test_expect_success 'a third start: the VM runs when the container powers off' '
	ns_as $OWNER rm $VMDIR/fake-deaf &&
	ns_as $OWNER banger vm start $VM > start3.out 2>&1 || { cat start3.out; false; } &&
	state_is running
'

ns_stop_step

test_done
