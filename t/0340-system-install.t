#!/bin/sh
# t/0340-system-install.t — the real `banger system install` and
# `system uninstall`, end to end, under a real systemd.
#
# The other nspawn tests install banger by hand (ns_install_banger);
# this one boots systemd as PID 1 of a systemd-nspawn container
# (t/nspawn.sh, 0330's tree with qemu-system-x86) that holds only the
# build's installable files in /opt/bb (bin/banger, libexec/banger/*,
# share/banger/**), and as root runs `/opt/bb/bin/banger system install
# --owner owner`.  Checked: the programs, units (owner filled in),
# /etc/banger and directories it writes, the sockets it starts, the
# network it sets up (br-fc, nftables, ip_forward); a second run writes
# nothing; as the owner, doctor and two real guests (QEMU, TCG): `vm run
# --rm -- uname -a` and a VM `keep` left running; an upgrade from a
# newer build (one unit template changed) writes exactly that unit and
# leaves the running VM alone; installing for another owner is refused
# and changes nothing; `system uninstall` stops the VM cleanly and takes
# everything but the VMs' disks away (ip_forward back to its old
# value); install again, `uninstall --purge` takes the state too but not
# the owner's home; a second uninstall succeeds.  Needs root,
# systemd-nspawn, debootstrap, jq, nft and `make images`; the tree is
# 0330's (cached).  See docs/testing.md.

. "${0%/*}/lib.sh"
. "${0%/*}/nspawn.sh"

OWNER=owner OWNER_UID=1500 OWNER_GROUP=ownergrp
CT=$TRASH/ct
ST=/var/lib/banger
BB=/opt/bb
BB2=/opt/bb2
LX=/usr/local/libexec/banger
SD=/etc/systemd/system
# The unit template the "newer build" changes.
UPGRADED=banger.socket
MEM_MIB=512
# Boot under TCG, on a busy 2-core machine.
SSH_TIMEOUT=300
# 0330's list: the same cache key, the same tree.
INCLUDE=$NS_INCLUDE,libarchive13,e2fsprogs,libsodium23,libbearssl0,openssh-client,qemu-system-x86,git

why=$(ns_missing)
if [ -z "$why" ]; then
	for f in bin/banger share/banger/units/banger.socket \
	    libexec/banger/system-install libexec/banger/system-uninstall; do
		[ -f "$B/$f" ] && continue
		why="no build/$f (make)"
		break
	done
fi
if [ -z "$why" ]; then
	for f in kernel/vmlinux kernel/initrd.img kernel/manifest.json \
	    test/rootfs.ext4 test/manifest.json; do
		[ -f "$B/images/$f" ] && continue
		why="no build/images/$f (make images)"
		break
	done
fi
for c in jq nft; do
	[ -z "$why" ] && ! command -v $c >/dev/null 2>&1 && why="$c is not installed"
done
if [ -n "$why" ]; then
	test_skip 'banger system install and uninstall under a real systemd (nspawn)' "$why"
	test_done
fi
at_exit ns_stop

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# ---- the container tree ---------------------------------------------

ns_tree_step "$INCLUDE" "systemd, libnftables, ssh, e2fsprogs and qemu-system-x86 (cached)"

KVER=$(jq -r .version "$B/images/kernel/manifest.json" 2>/dev/null)
HOST_TUN=$(stat -c %a /dev/net/tun 2>/dev/null)

# The users, the build's installable files in /opt/bb, nothing else of
# banger; /opt/bb2, a "newer build" whose $UPGRADED template has one more
# line; the owner's config (qemu, tcg, as 0330's).
prepare() {
	ns_copy "$CT" &&
	chroot "$CT" groupadd -g $OWNER_UID $OWNER_GROUP &&
	chroot "$CT" useradd -m -u $OWNER_UID -g $OWNER_GROUP $OWNER &&
	chroot "$CT" useradd -m -u 1501 -U other &&
	install -d -m 0755 "$CT$BB/bin" "$CT$BB/libexec/banger" "$CT$BB/share" &&
	install -m 0755 "$B/bin/banger" "$CT$BB/bin/banger" &&
	install -m 0755 "$B"/libexec/banger/* "$CT$BB/libexec/banger/" &&
	cp -R "$B/share/banger" "$CT$BB/share/banger" &&
	chmod -R u=rwX,go=rX "$CT$BB/share" &&
	cp -a "$CT$BB" "$CT$BB2" &&
	echo "# t/0340: a newer build" >> "$CT$BB2/share/banger/units/$UPGRADED" &&
	ns_owner_config "$CT" "$MEM_MIB" &&
	for p in usr/local/bin/banger usr/local/libexec/banger \
	    usr/local/share/banger etc/banger var/lib/banger; do
		[ ! -e "$CT/$p" ] || { echo "/$p is in the tree"; return 1; }
	done
}

test_expect_success 'a copy of the tree with the users and the build in /opt/bb, no banger installed' '
	prepare
'
[ -x "$CT$BB/bin/banger" ] || test_done

ns_boot_step "$CT"

# As in 0330: a stock host's /dev/net/tun is 0666 (the container's own node).
test_expect_success 'the container'"'"'s /dev/net/tun is 0666 (as on a stock host)' '
	ns_run chmod 0666 /dev/net/tun &&
	[ "$(stat -c %a /dev/net/tun)" = "$HOST_TUN" ]
'

# ---- helpers ------------------------------------------------------------

# prop UNIT PROPERTY: as systemctl show -P says.
prop() { ns_run systemctl show -P "$2" "$1"; }
unit_gone() { [ "$(prop "$1" LoadState)" = not-found ]; }
# nft and its tables, in the container's network namespace (the tree has
# libnftables but no nft).
ct_nft() { nsenter -t "$NS_LEADER" -n nft "$@"; }

# installed_list: every installed file and link (path, inode, mode,
# owner, link target) and every file's sha256.  An atomic rewrite
# changes the inode, so equal listings mean nothing was written.
installed_list() {
	ns_run sh -c 'cd / &&
	    find usr/local/bin/banger usr/local/libexec/banger usr/local/share/banger \
	        etc/banger etc/systemd/system/banger* \
	        etc/systemd/system/sockets.target.wants/banger* \
	        \( -type f -o -type l \) -printf "%p %i %m %U:%G %l\n" 2>/dev/null | sort &&
	    find usr/local/bin/banger usr/local/libexec/banger usr/local/share/banger \
	        etc/banger etc/systemd/system/banger* -type f 2>/dev/null |
	        sort | xargs sha256sum'
}

# home_list: the owner's banger files (config, state), the same way.
home_list() {
	ns_run sh -c 'cd /home/owner &&
	    find .config/banger .local/state/banger -printf "%p %i %m %U:%G %s\n" | sort &&
	    find .config/banger .local/state/banger -type f | sort | xargs sha256sum'
}

# as_root_json FILE CMD...: banger as root with --json; FILE gets stdout,
# FILE.err stderr, FILE.st the exit status.
as_root_json() {
	_f=$1
	shift
	ns_run "$@" --json > "$TRASH/$_f" 2> "$TRASH/$_f.err"
	echo $? > "$TRASH/$_f.st"
}

# owner_json FILE CMD...: the CLI as the owner with --json.
owner_json() {
	_f=$1
	shift
	ns_as $OWNER banger --json "$@" > "$TRASH/$_f" 2> "$TRASH/$_f.err" ||
	    { cat "$TRASH/$_f.err" "$TRASH/$_f"; return 1; }
}

# why_vmm NAME: what the journal and the VM's logs say.
why_vmm() {
	ns_run journalctl --sync
	echo "--- the journal (tail)"
	ns_run journalctl -b --no-pager -o cat -n 12
	echo "--- $ST/vms/$1/serial.log (tail)"
	ns_run tail -n 15 "$ST/vms/$1/serial.log"
	echo "--- $ST/vms/$1/vmm.log"
	ns_run tail -n 10 "$ST/vms/$1/vmm.log"
}

# journal_tail: for a failing install or uninstall.
journal_tail() {
	ns_run journalctl --sync
	ns_run journalctl -b --no-pager -o short-monotonic -n 25
}

# net_gone: no tap, no bridge, no banger table of any family.
net_gone() {
	ns_run ip -o link show > links.out &&
	! grep -E "bgtap|br-fc" links.out &&
	ct_nft list tables > tables.out &&
	! grep -w banger tables.out
}

# ---- install --------------------------------------------------------------

FWD0=$(ns_run cat /proc/sys/net/ipv4/ip_forward)
echo "# ip_forward before install: $FWD0"
test_expect_success 'before install: ip_forward is 0 (the restore is checked later), no banger anywhere' '
	[ "$FWD0" = 0 ] &&
	! ns_run test -e /usr/local/bin/banger &&
	! ns_run test -e $SD/banger.socket &&
	! ns_run ip link show br-fc 2>/dev/null
'

_t0=$(date +%s%N)
ns_run $BB/bin/banger system install --owner $OWNER > "$TRASH/install1.out" 2> "$TRASH/install1.err"
inst_st=$?
echo "# system install: $(ms_since "$_t0") ms"
sed 's/^/# /' "$TRASH/install1.out"
test_expect_success 'as root: /opt/bb/bin/banger system install --owner owner succeeds' '
	[ $inst_st = 0 ] || { cat install1.err install1.out; journal_tail; false; } &&
	grep -q "^banger .* installed for owner (uid 1500, gid 1500)\$" install1.out &&
	grep -Eq "^  [1-9][0-9]* files written, 0 unchanged\$" install1.out ||
	    { cat install1.out; false; }
'

test_expect_success 'the programs: /usr/local/bin/banger and every helper, root 0755, as built' '
	ns_run cmp $BB/bin/banger /usr/local/bin/banger &&
	[ "$(ns_run stat -c "%U:%G %a" /usr/local/bin/banger)" = "root:root 755" ] &&
	ns_run ls $LX > lx.out &&
	ls "$CT$BB/libexec/banger" > lx.want &&
	test_cmp lx.want lx.out &&
	for h in $(cat lx.want); do
		ns_run cmp $BB/libexec/banger/$h $LX/$h &&
		[ "$(ns_run stat -c "%U:%G %a" $LX/$h)" = "root:root 755" ] ||
		    { echo "$LX/$h"; return 1; }
	done &&
	ns_run diff -r $BB/share/banger /usr/local/share/banger
'

test_expect_success 'the units in /etc/systemd/system: the templates with the owner filled in' '
	for u in $NS_UNITS; do
		sed -e "s/@OWNER@/$OWNER/g" -e "s/@OWNER_GROUP@/$OWNER_GROUP/g" \
		    "$CT$BB/share/banger/units/$u" > "unit.$u" &&
		ns_run cat $SD/$u | test_cmp "unit.$u" - &&
		[ "$(ns_run stat -c "%U:%G %a" $SD/$u)" = "root:root 644" ] ||
		    { echo "$SD/$u"; return 1; }
	done &&
	grep -qx "SocketUser=$OWNER" unit.banger.socket &&
	grep -qx "SocketGroup=$OWNER_GROUP" unit.banger-root.socket &&
	grep -qx "User=$OWNER" unit.banger.service &&
	grep -qx "ExecStart=$LX/serve $LX/dispatch" unit.banger.service &&
	[ "$(ns_run readlink $SD/banger.slice.d/50-banger.conf)" = /etc/banger/slice.conf ]
'

test_expect_success '/etc/banger: install.toml (owner_uid = owner_gid = 1500), access rules, slice.conf' '
	ns_run cat /etc/banger/install.toml > install.toml &&
	grep -qx "owner = \"$OWNER\"" install.toml &&
	grep -qx "owner_uid = 1500" install.toml &&
	grep -qx "owner_gid = 1500" install.toml &&
	grep -qx "bindir = \"/usr/local/bin\"" install.toml &&
	grep -qx "libexecdir = \"$LX\"" install.toml &&
	ns_run cmp $BB/share/banger/conf/access/owner.allow /etc/banger/access/uid/1500/allow &&
	ns_run cmp $BB/share/banger/conf/slice.conf /etc/banger/slice.conf ||
	    { cat install.toml; false; }
'

test_expect_success 'banger.socket, banger-root.socket and banger-dns.socket enabled and active' '
	for s in banger.socket banger-root.socket banger-dns.socket; do
		[ "$(ns_run systemctl is-enabled $s)" = enabled ] &&
		[ "$(ns_run systemctl is-active $s)" = active ] ||
		    { echo "$s: $(ns_run systemctl is-enabled $s) $(ns_run systemctl is-active $s)"; return 1; }
	done &&
	[ "$(prop banger.socket NeedDaemonReload)" = no ]
'

test_expect_success 'the directories: run dirs root'"'"'s 0755, vms, state and cache the owner'"'"'s 0700; the sockets' '
	ns_run stat -c "%n %U:%G %a" /run/banger /run/banger-root /run/banger/vms \
	    $ST /var/cache/banger /run/banger/bangerd.sock \
	    /run/banger-root/bangerd-root.sock > dirs.out &&
	cat > dirs.want <<-EOF &&
	/run/banger root:root 755
	/run/banger-root root:root 755
	/run/banger/vms $OWNER:$OWNER_GROUP 700
	$ST $OWNER:$OWNER_GROUP 700
	/var/cache/banger $OWNER:$OWNER_GROUP 700
	/run/banger/bangerd.sock $OWNER:$OWNER_GROUP 600
	/run/banger-root/bangerd-root.sock root:$OWNER_GROUP 660
	EOF
	test_cmp dirs.want dirs.out
'

test_expect_success 'the network: br-fc 172.16.0.1/24, nft table inet banger, ip_forward 1' '
	ns_run ip -o -4 addr show dev br-fc > br.out &&
	grep -q "inet 172\.16\.0\.1/24" br.out &&
	ct_nft list table inet banger > nft.out &&
	grep -q "table inet banger" nft.out &&
	[ "$(ns_run cat /proc/sys/net/ipv4/ip_forward)" = 1 ] ||
	    { cat br.out nft.out; false; }
'
ct_nft list tables 2>/dev/null | sed 's/^/# nft: /'

# ---- install again ----------------------------------------------------------

installed_list > "$TRASH/list1" 2> "$TRASH/list1.err"
as_root_json install2.json $BB/bin/banger system install --owner $OWNER
installed_list > "$TRASH/list2" 2> "$TRASH/list2.err"
test_expect_success 'install again (--json): nothing written, every file as it was' '
	[ "$(cat install2.json.st)" = 0 ] || { cat install2.json.err install2.json; false; } &&
	jq -e ".written == [] and .unchanged > 0 and .owner == \"$OWNER\" and
	    .uid == 1500 and .gid == 1500 and .from == \"$BB\"" install2.json ||
	    { cat install2.json; false; } &&
	grep -q "^usr/local/libexec/banger/system-install " list1 &&
	grep -q "^etc/systemd/system/sockets.target.wants/banger.socket " list1 &&
	grep -q " *usr/local/bin/banger\$" list1 &&
	test_cmp list1 list2 &&
	[ "$(ns_run systemctl is-active banger.socket)" = active ]
'
echo "# second install: $(jq -r '"\(.written | length) written, \(.unchanged) unchanged"' "$TRASH/install2.json" 2>/dev/null)"

# ---- as the owner: doctor, a guest, a VM kept running --------------------------

# doctor: the checks are the host's (docs/doctor.md); none is about the
# installation.  In the container: no /dev/kvm (a warning: TCG is
# configured), no Firecracker (a warning: not the configured VMM); every
# program banger runs is there (git too), so nothing fails.  No
# systemd-resolved in this container: the dns line warns (t/0360 has it).
ns_as $OWNER banger --json doctor > "$TRASH/doctor.json" 2> "$TRASH/doctor.err"
doc_st=$?
jq -r '.checks[] | "# doctor: \(.name) \(.status): \(.detail)"' "$TRASH/doctor.json" 2>/dev/null
echo "# doctor exited $doc_st: $(cat "$TRASH/doctor.err")"
has() { ns_run sh -c 'for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
	[ -x "$d/$1" ] && exit 0; done; exit 1' has "$1"; }
test_expect_success 'owner: banger doctor: the container'"'"'s checks pass; only missing programs fail (exit 1 then)' '
	{
		echo "arch pass" &&
		echo "qemu pass" && echo "firecracker warn" &&
		for t in ssh ssh-keygen mkfs.ext4 git; do
			if has $t; then echo "$t pass"; else echo "$t fail"; fi
		done &&
		echo "tun pass" && echo "config pass" && echo "vm_defaults pass" &&
		echo "dns warn"
	} > doctor.want &&
	jq -r ".checks[] | select(.name == \"dns\") | .detail" doctor.json |
	    grep -q "systemd-resolved is not running" &&
	jq -r ".checks[] | select(.name != \"kvm\") | \"\(.name) \(.status)\"" doctor.json > doctor.got &&
	test_cmp doctor.want doctor.got &&
	jq -e "[.checks[] | select(.name == \"kvm\")][0].status | test(\"^(pass|warn)\$\")" doctor.json &&
	fails=$(grep -c " fail\$" doctor.want || :) &&
	jq -e ".failed == $fails" doctor.json &&
	if [ "$fails" = 0 ]; then [ $doc_st = 0 ]; else [ $doc_st = 1 ] &&
		grep -q "$fails checks\{0,1\} failed" doctor.err; fi
'

# The README's steps ("Install on your machine"), as the owner: the
# bundles of the build's kernel and test image (make bundles:
# images/bundles.sh), served over HTTPS on the container's loopback by
# images/serve-bundles.sh (make serve-bundles; run from the host in the
# container's network namespace), the two config lines it prints put
# at the top of the owner's config; `vm run` below then pulls the test
# image and its kernel through banger.service.
KNAME=debian-6.1-amd64
serve_bundles() {
	BUNDLE_LEVEL=1 sh "$TOP/images/bundles.sh" "$TRASH/bundles" https://localhost:8443 \
	    > bundles.log 2>&1 || { cat bundles.log; return 1; }
	{ nsenter -t "$NS_LEADER" -n sh "$TOP/images/serve-bundles.sh" "$TRASH/bundles" 8443 \
	    > serve.out 2> serve.err & } &&
	n=0 && while [ ! -s "$TRASH/bundles/pki/port" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done &&
	[ -s "$TRASH/bundles/pki/port" ] || { cat serve.err; return 1; }
	# The owner reads the catalog and the CA where the README's
	# checkout would be: copied into the container, the lines pointed there.
	mkdir -p "$CT/opt/bbimg" &&
	cp "$TRASH/bundles/catalog.json" "$TRASH/bundles/pki/ca.pem" "$CT/opt/bbimg/" &&
	chmod -R a+rX "$CT/opt/bbimg" &&
	grep -q "^catalog_file = \"$TRASH/bundles/catalog.json\"$" serve.out &&
	grep -q "^ca_file = \"$TRASH/bundles/pki/ca.pem\"$" serve.out &&
	c=$CT/home/$OWNER/.config/banger/config.toml &&
	{ grep "^catalog_file\|^ca_file" serve.out | sed "s|$TRASH/bundles/pki/|/opt/bbimg/|; s|$TRASH/bundles/|/opt/bbimg/|" &&
	  cat "$c"; } > "$c.new" && mv "$c.new" "$c" && chown "$OWNER_UID" "$c"
}
test_expect_success 'make bundles; make serve-bundles on the container'"'"'s loopback; its config lines' '
	serve_bundles &&
	grep -q "^catalog_file = \"/opt/bbimg/catalog.json\"$" "$CT/home/$OWNER/.config/banger/config.toml"
'
at_exit 'pkill -f "https-server.py --dir $TRASH/bundles "'

_t0=$(date +%s%N)
ns_as $OWNER banger vm run --rm --name r1 --ssh-timeout $SSH_TIMEOUT -- uname -a \
    > "$TRASH/run.out" 2> "$TRASH/run.err" < /dev/null
run_st=$?
echo "# banger vm run --rm -- uname -a: $(ms_since "$_t0") ms"
echo "# guest: $(head -n 1 "$TRASH/run.out" 2>/dev/null)"
test_expect_success "owner: banger vm run --rm -- uname -a pulls the image and kernel, prints the guest's kernel ($KVER)" '
	[ $run_st = 0 ] || { cat run.err run.out; why_vmm r1; false; } &&
	grep -q "^Linux r1 $KVER .*x86_64" run.out || { cat run.out run.err; false; } &&
	grep -q "image test is not on this host: pulling it from the catalog" run.err &&
	grep -q "kernel $KNAME is not on this host: pulling it" run.err &&
	ns_artifacts_ready "$KNAME" &&
	ns_run test ! -e $ST/vms/r1
'

# Without --rm the VM stays running after the command (docs/cli.md).
_t0=$(date +%s%N)
ns_as $OWNER banger vm run --name keep --ssh-timeout $SSH_TIMEOUT -- true \
    > "$TRASH/keep.out" 2> "$TRASH/keep.err" < /dev/null
keep_st=$?
echo "# banger vm run --name keep -- true: $(ms_since "$_t0") ms"
test_expect_success 'owner: banger vm run --name keep -- true; keep stays running (QEMU, its unit)' '
	[ $keep_st = 0 ] || { cat keep.err keep.out; why_vmm keep; false; } &&
	owner_json list1.json vm list &&
	jq -e "[.vms[] | select(.name == \"keep\")][0].state == \"running\"" list1.json ||
	    { cat list1.json; false; } &&
	[ "$(prop banger-vm-keep.service ActiveState)" = active ] &&
	main=$(prop banger-vm-keep.service MainPID) &&
	[ "$(ns_run cat /run/banger/vms/keep/pid)" = "$main" ] &&
	[ "$(ns_run readlink /proc/$main/exe)" = /usr/bin/qemu-system-x86_64 ] &&
	echo "$main" > keep.pid
'
KEEP_PID=$(cat "$TRASH/keep.pid" 2>/dev/null)

# ---- upgrade from a newer build ---------------------------------------------

as_root_json upgrade.json $BB2/bin/banger system install --owner $OWNER
test_expect_success 'install from a newer build (one unit template changed): writes exactly that unit' '
	[ "$(cat upgrade.json.st)" = 0 ] || { cat upgrade.json.err upgrade.json; false; } &&
	jq -r ".written[]" upgrade.json | sort > written.out &&
	printf "%s\n" $SD/$UPGRADED /usr/local/share/banger/units/$UPGRADED | sort > written.want &&
	test_cmp written.want written.out &&
	jq -e ".from == \"$BB2\"" upgrade.json &&
	ns_run tail -n 1 $SD/$UPGRADED | grep -qx "# t/0340: a newer build" &&
	[ "$(prop $UPGRADED NeedDaemonReload)" = no ] &&
	[ "$(ns_run systemctl is-active banger.socket banger-root.socket)" = "active
active" ]
'

test_expect_success 'after the upgrade keep is still running: the same QEMU, and vm ssh reaches it' '
	[ -n "$KEEP_PID" ] &&
	owner_json list2.json vm list &&
	jq -e "[.vms[] | select(.name == \"keep\")][0].state == \"running\"" list2.json ||
	    { cat list2.json; false; } &&
	[ "$(prop banger-vm-keep.service MainPID)" = "$KEEP_PID" ] &&
	ns_run test -d /proc/$KEEP_PID &&
	ns_as $OWNER banger vm ssh keep -- cat /proc/sys/kernel/hostname > ssh.out 2> ssh.err < /dev/null &&
	[ "$(cat ssh.out)" = keep ] || { cat ssh.out ssh.err; false; }
'

# ---- status and restart ----------------------------------------------------

# system status, as the owner (no sudo): healthy, the sockets active
# (systemd over D-Bus), keep's unit, the bridge; nftables needs root.
ns_as $OWNER banger --json system status > "$TRASH/status.json" 2> "$TRASH/status.err"
status_st=$?
ns_as $OWNER banger system status > "$TRASH/status.txt" 2>&1
sed 's/^/# status: /' "$TRASH/status.txt"
test_expect_success 'owner: system status: installed, healthy (exit 0), sockets active, keep running, the bridge' '
	[ $status_st = 0 ] || { cat status.err status.json; false; } &&
	jq -e ".installed and .healthy" status.json &&
	jq -e ".owner.name == \"$OWNER\" and .owner.uid == 1500 and .owner.gid == 1500" status.json &&
	jq -e ".version == .this_version" status.json &&
	jq -e "[.sockets[] | select(.unit == \"banger.socket\" or .unit == \"banger-root.socket\") | .active] == [\"active\", \"active\"]" status.json &&
	jq -e "[.vms[] | select(.name == \"keep\")][0].sub == \"running\"" status.json &&
	jq -e ".bridge.present" status.json &&
	jq -e ".nftables.error | test(\"needs root\")" status.json &&
	grep -q "^banger-root.socket *active/listening" status.txt || { cat status.json status.txt; false; }
'
ns_run /usr/local/bin/banger --json system status > "$TRASH/rstatus.json" 2>&1
test_expect_success 'root: system status lists banger'"'"'s nftables tables too' '
	jq -e "[.nftables.tables[]] | index(\"inet banger\") != null" rstatus.json ||
	    { cat rstatus.json; false; }
'
# system restart: the units reloaded, the sockets restarted, the network
# applied again; keep keeps running and answering.
as_root_json restart.json /usr/local/bin/banger system restart
test_expect_success 'system restart: exit 0; keep is the same QEMU and still answers ssh; sockets active' '
	[ "$(cat restart.json.st)" = 0 ] || { cat restart.json.err restart.json; false; } &&
	[ "$(prop banger-vm-keep.service MainPID)" = "$KEEP_PID" ] &&
	ns_as $OWNER banger vm ssh keep -- cat /proc/sys/kernel/hostname > ssh2.out 2> ssh2.err < /dev/null &&
	[ "$(cat ssh2.out)" = keep ] || { cat ssh2.out ssh2.err; false; } &&
	[ "$(ns_run systemctl is-active banger.socket banger-root.socket)" = "active
active" ]
'

# ---- refused: another owner -----------------------------------------------

installed_list > "$TRASH/list3" 2> "$TRASH/list3.err"
ns_run $BB/bin/banger system install --owner other > "$TRASH/other.out" 2> "$TRASH/other.err"
other_st=$?
installed_list > "$TRASH/list4" 2> "$TRASH/list4.err"
test_expect_success 'install --owner other while installed for owner: exit 1, "installed for uid 1500", nothing changed' '
	[ $other_st = 1 ] || { echo "exit $other_st"; cat other.err other.out; false; } &&
	grep -q "installed for uid 1500" other.err &&
	test_cmp list3 list4 &&
	ns_run grep -qx "owner_uid = 1500" /etc/banger/install.toml &&
	[ "$(prop banger-vm-keep.service MainPID)" = "$KEEP_PID" ]
'
echo "# refused: $(head -n 1 "$TRASH/other.err")"

# ---- uninstall ----------------------------------------------------------------

home_list > "$TRASH/home1" 2> "$TRASH/home1.err"
_t0=$(date +%s%N)
as_root_json uninstall1.json /usr/local/bin/banger system uninstall
echo "# system uninstall (one VM running): $(ms_since "$_t0") ms"
jq -c . "$TRASH/uninstall1.json" 2>/dev/null | sed 's/^/# uninstall: /'
test_expect_success 'system uninstall: exit 0; it stopped keep, cleanly (the guest powered off); its unit is gone' '
	[ "$(cat uninstall1.json.st)" = 0 ] || { cat uninstall1.json.err uninstall1.json; journal_tail; false; } &&
	jq -e ".stopped == [\"keep\"]" uninstall1.json &&
	ns_until 20 unit_gone banger-vm-keep.service &&
	! ns_run test -d /proc/$KEEP_PID &&
	[ "$(ns_run grep -c "reboot: Power down" $ST/vms/keep/serial.log)" = 1 ] ||
	    { cat uninstall1.json; why_vmm keep; false; }
'

test_expect_success 'uninstall removed the units, programs and /etc/banger; kept the VM'"'"'s disks' '
	ns_run sh -c "ls -d $SD/banger* $SD/*/banger* 2>/dev/null; true" > units.left &&
	! grep . units.left &&
	! ns_run test -e /usr/local/bin/banger &&
	! ns_run test -e $LX &&
	! ns_run test -e /usr/local/share/banger &&
	! ns_run test -e /etc/banger &&
	ns_run test -f $ST/vms/keep/vm.json &&
	ns_run test -f $ST/vms/keep/rootfs.ext4 &&
	ns_run test -d $ST/images/test &&
	jq -e ".kept == [\"$ST\", \"/var/cache/banger\"]" uninstall1.json
'

test_expect_success 'uninstall took the network down: no bgtap, no br-fc, no banger table; ip_forward back to 0' '
	net_gone &&
	[ "$(ns_run cat /proc/sys/net/ipv4/ip_forward)" = "$FWD0" ] ||
	    { cat links.out tables.out; false; }
'

test_expect_success 'systemd: no banger unit loaded or active, no unit file, nothing failed' '
	ns_run systemctl list-units --all --no-legend --plain "banger*" > lu.out &&
	! grep . lu.out &&
	{ ns_run systemctl list-unit-files --plain "banger*" || :; } > luf.out &&
	grep -qx "0 unit files listed." luf.out &&
	ns_run systemctl list-units --failed --no-legend --plain > failed.out &&
	! grep . failed.out || { cat lu.out luf.out failed.out; false; }
'

# The state uninstall kept is the owner's: another owner must not inherit it.
ns_run $BB/bin/banger system install --owner other > "$TRASH/other2.out" 2> "$TRASH/other2.err"
other2_st=$?
test_expect_success 'install --owner other over the kept state of owner: exit 1, nothing installed' '
	[ $other2_st = 1 ] || { echo "exit $other2_st"; cat other2.err other2.out; false; } &&
	grep -q "/var/lib/banger belongs to uid 1500" other2.err &&
	! ns_run test -e /etc/banger/install.toml &&
	[ "$(ns_run stat -c %u $ST)" = 1500 ]
'

# ---- install again, then uninstall --purge -------------------------------------

as_root_json install3.json $BB/bin/banger system install --owner $OWNER
test_expect_success 'install again from /opt/bb: keep is back (stopped)' '
	[ "$(cat install3.json.st)" = 0 ] || { cat install3.json.err install3.json; journal_tail; false; } &&
	owner_json list3.json vm list &&
	jq -e "[.vms[] | select(.name == \"keep\")][0].state == \"stopped\"" list3.json ||
	    { cat list3.json; false; }
'

as_root_json purge.json /usr/local/bin/banger system uninstall --purge
jq -c . "$TRASH/purge.json" 2>/dev/null | sed 's/^/# uninstall --purge: /'
home_list > "$TRASH/home2" 2> "$TRASH/home2.err"
test_expect_success 'uninstall --purge: state, cache and run directories gone too; the owner'"'"'s home untouched' '
	[ "$(cat purge.json.st)" = 0 ] || { cat purge.json.err purge.json; journal_tail; false; } &&
	jq -e ".stopped == [] and .kept == []" purge.json &&
	for d in $ST /var/cache/banger /run/banger /run/banger-root /etc/banger $LX \
	    /usr/local/bin/banger /usr/local/share/banger $SD/banger.socket; do
		! ns_run test -e $d || { echo "$d is still there"; return 1; }
	done &&
	net_gone &&
	[ "$(ns_run cat /proc/sys/net/ipv4/ip_forward)" = "$FWD0" ] &&
	grep -q "^\.config/banger/config\.toml " home1 &&
	grep -q "^\.local/state/banger/ssh/id_ed25519 " home1 &&
	test_cmp home1 home2
'

as_root_json again.json $BB/bin/banger system uninstall
test_expect_success 'uninstall when nothing is installed: exit 0, nothing removed' '
	[ "$(cat again.json.st)" = 0 ] || { cat again.json.err again.json; false; } &&
	jq -e ".removed == [] and .stopped == []" again.json
'
test_expect_success 'system status when not installed: says so, exit 1' '
	must_fail 1 ns_as $OWNER $BB/bin/banger system status > st3.out 2>&1 &&
	grep -q "banger is not installed" st3.out
'

test_expect_success 'no unit failed; PID 1 logged no failure of a banger unit' '
	ns_run systemctl list-units --failed --no-legend --plain > failed2.out &&
	! grep . failed2.out &&
	ns_run journalctl --sync &&
	ns_run journalctl -b -o cat _PID=1 > pid1.log &&
	! grep -E "^banger.*(Failed|failed|status=[1-9]|code=killed)" pid1.log ||
	    { cat failed2.out; grep "^banger" pid1.log; false; }
'

# The bundles' server lives in the container's network namespace:
# ended before the container, which must leave nothing behind.
# (Found by its --dir, unique to this run: what $! named did not
# always stay the server.)
pkill -f "https-server.py --dir $TRASH/bundles "
n=0
while pgrep -f "https-server.py --dir $TRASH/bundles " >/dev/null && [ $n -lt 100 ]; do
	sleep 0.05
	n=$((n + 1))
done
ns_stop_step '[ "$(stat -c %a /dev/net/tun)" = "$HOST_TUN" ]'

test_done
