#!/bin/sh
# t/1001-test-image.t — banger-init and the test image (images/test).
#
# (a) banger-init's command-line parser, built for the host with
#     -DBANGER_INIT_TEST (and the sanitizers), on valid and bad input;
# (b) the image recipe: built here into the trash directory (downloads
#     shared with build/images/cache), checked with debugfs;
# (c) real boots under QEMU TCG, inside a private network namespace with
#     its own bridge br-fc 172.16.0.1/24 and tap: the guest answers ssh
#     with the host key the test generated (pinned, no trust on first
#     use), has the hostname, resolv.conf and /root modes banger-init
#     set, reaches the bridge, and ends QEMU with poweroff.  A second
#     boot from the same disks (a VM restarted) keeps the installed host
#     key, refuses a symlinked authorized_keys without touching its
#     target, and ends QEMU with reboot.
# The kernel is build/images/kernel, built by images/kernel/build.sh
# when missing.

. "${0%/*}/lib.sh"

cd "$TRASH" || exit 1
BI=$TRASH/banger-init-test
IMG=$TRASH/img
KDIR=$B/images/kernel
export BANGER_IMAGE_CACHE="$B/images/cache"

# ---- (a) the command-line parser ------------------------------------

test_expect_success 'banger-init builds for the host with -DBANGER_INIT_TEST' '
	${CC:-cc} -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	    -Wmissing-prototypes -D_GNU_SOURCE -DBANGER_INIT_TEST \
	    -fsanitize=address,undefined -fno-sanitize-recover=all -O1 -g \
	    -o "$BI" "$TOP/images/init/banger-init.c"
'

# parses 'CMDLINE' IP GW DNS HOSTNAME INIT: what the parser keeps.
parses() {
	printf '%s' "$1" | "$BI" > out 2> err || { cat err; return 1; }
	printf 'ip=%s\ngw=%s\ndns=%s\nhostname=%s\ninit=%s\n' \
	    "$2" "$3" "$4" "$5" "$6" > want
	test_cmp want out
}

# logged 'TEXT': the last parse said TEXT on its console (stderr).
logged() {
	grep -F -- "$1" err >/dev/null || { echo "no '$1' in:"; cat err; return 1; }
}

V='console=ttyS0 banger.ip=172.16.0.2/24 banger.gw=172.16.0.1'
V="$V banger.dns=172.16.0.1,9.9.9.9 banger.hostname=t1 quiet"

test_expect_success 'parser: a full, valid command line' '
	parses "$V" 172.16.0.2/24 172.16.0.1 172.16.0.1,9.9.9.9 t1 "" &&
	! test -s err &&
	parses "$V banger.init=/lib/systemd/systemd" 172.16.0.2/24 \
	    172.16.0.1 172.16.0.1,9.9.9.9 t1 /lib/systemd/systemd &&
	parses "$(printf "%s\n" "$V")" 172.16.0.2/24 172.16.0.1 \
	    172.16.0.1,9.9.9.9 t1 ""
'

test_expect_success 'parser: missing keys stay unset' '
	parses "" "" "" "" "" "" &&
	parses "root=/dev/vda quiet" "" "" "" "" "" &&
	parses "banger.hostname=only" "" "" "" only "" &&
	parses "banger.ip=10.1.2.3/16" 10.1.2.3/16 "" "" "" "" &&
	parses "banger.dns=1.1.1.1" "" "" 1.1.1.1 "" ""
'

test_expect_success 'parser: hostnames must be DNS labels' '
	for h in T1 -a a- a_b a.b "\"a b\"" "" ä \
	    aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; do
		parses "banger.hostname=$h" "" "" "" "" "" &&
		logged "not a DNS label" || return 1
	done &&
	H=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa &&
	parses "banger.hostname=$H" "" "" "" $H "" &&
	parses "banger.hostname=a-0" "" "" "" a-0 ""
'

test_expect_success 'parser: bad addresses and prefixes are refused' '
	for ip in 172.16.0.256/24 172.16.0.2 172.16.0.2/ 172.16.0.2/33 \
	    172.16.0.2/0 172.16.0.2/024 172.16.0.2/2x 172.16.0.2/+4 1.2.3/24 \
	    172.016.0.2/24 0x7f.0.0.1/8 " 1.2.3.4/24" 172.16.0.0/24 \
	    172.16.0.255/24 ::1/64 172.16.0.2/24/24 /24; do
		parses "banger.ip=$ip" "" "" "" "" "" || return 1
	done &&
	parses "banger.ip=172.16.0.2/32" 172.16.0.2/32 "" "" "" "" &&
	parses "banger.ip=10.0.0.0/31" 10.0.0.0/31 "" "" "" "" &&
	parses "banger.gw=1.2.3" "" "" "" "" "" && logged "bad address" &&
	parses "banger.gw=172.16.0.1" "" "" "" "" "" && logged "no banger.ip" &&
	parses "banger.ip=172.16.0.2/24 banger.gw=172.16.1.1" \
	    172.16.0.2/24 "" "" "" "" && logged "ignoring banger.gw" &&
	parses "banger.ip=172.16.0.2/24 banger.gw=172.16.0.2" \
	    172.16.0.2/24 "" "" "" "" &&
	parses "banger.init=sbin/init" "" "" "" "" "" &&
	logged "not an absolute path"
'

test_expect_success 'parser: dns lists' '
	parses "banger.dns=1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4" "" "" \
	    1.1.1.1,2.2.2.2,3.3.3.3 "" "" && logged "4.4.4.4 ignored" &&
	for d in 1.1.1.1, ,1.1.1.1 1.1.1.1,,2.2.2.2 1.1.1.1,x 1.1.1 \
	    "\"1.1.1.1 2.2.2.2\"" 1.1.1.1,2.2.2.2,3.3.3.3,bad; do
		parses "banger.dns=$d" "" "" "" "" "" || return 1
	done
'

test_expect_success 'parser: overlong values and command lines' '
	L=$(printf "%0255d" 0) &&
	parses "banger.init=/${L#0}" "" "" "" "" "/${L#0}" &&
	parses "banger.init=/$L" "" "" "" "" "" && logged "value too long" &&
	parses "banger.hostname=$L$L$L$L banger.ip=1.2.3.4/8" 1.2.3.4/8 \
	    "" "" "" "" &&
	P=$(printf "%04070d" 0) &&
	parses "$P banger.hostname=abcdefghijklmnopqrstuvwxyz0123456789" \
	    "" "" "" "" "" &&
	logged "longer than 4095 bytes" &&
	parses "$P banger.hostname=ab" "" "" "" ab "" &&
	parses "banger.dns=$(printf "1.1.1.1,%.0s" $(seq 300))1.1.1.1" \
	    "" "" "" "" ""
'

test_expect_success 'parser: garbage, quotes, "--", repeated keys' '
	parses "banger. banger.ip banger.ip== = == banger.=x banger.ip=\"\"" \
	    "" "" "" "" "" &&
	logged "ignoring banger.ip: no value" &&
	parses "banger.foo=1 banger.root=/dev/vda banger.rootwait=5 banger.modules=/dev/vdc" \
	    "" "" "" "" "" &&
	logged "banger.foo=1: unknown key" && ! logged banger.root &&
	! logged banger.modules &&
	parses "banger.hostname=\"t2\"" "" "" "" t2 "" &&
	parses "x=\"banger.hostname=evil y\" banger.hostname=ok" \
	    "" "" "" ok "" &&
	parses "banger.hostname=a -- banger.hostname=b" "" "" "" a "" &&
	parses "banger.hostname=a banger.hostname=b" "" "" "" b "" &&
	parses "banger.hostname=a banger.hostname=B" "" "" "" a "" &&
	parses "	banger.hostname=tab	banger.ip=1.2.3.4/8  " 1.2.3.4/8 \
	    "" "" tab "" &&
	parses "banger.hostname=$(printf "\033[2Jx")" "" "" "" "" "" &&
	! grep -q "$(printf "\033")" err
'

test_expect_success 'parser: random bytes never crash it' '
	for i in 1 2 3 4 5 6 7 8 9 10; do
		head -c 6000 /dev/urandom | tr "\000" " " > rnd &&
		"$BI" < rnd > /dev/null 2>&1 || return 1
		{ printf "banger.ip=" && head -c 300 /dev/urandom; } |
		    "$BI" > /dev/null 2>&1 || return 1
	done
'

# The imported images' init (docs/guest.md): which /sbin/init is
# systemd, and what is unmounted at shutdown, in which order.
test_expect_success 'banger-init: systemd is a resolved /sbin/init named systemd' '
	"$BI" systemd /lib/systemd/systemd /usr/lib/systemd/systemd /systemd \
	    /bin/busybox /sbin/init /usr/lib/systemd/systemd-udevd \
	    /usr/bin/systemdx "" >out &&
	printf "%s\n" "/lib/systemd/systemd yes" "/usr/lib/systemd/systemd yes" \
	    "/systemd yes" "/bin/busybox no" "/sbin/init no" \
	    "/usr/lib/systemd/systemd-udevd no" "/usr/bin/systemdx no" " no" >want &&
	test_cmp want out
'

test_expect_success 'banger-init: the unmount plan (block devices but /, last first)' '
	printf "%s\n" "/dev/root / ext4 rw,relatime 0 0" \
	    "devtmpfs /dev devtmpfs rw 0 0" "proc /proc proc rw 0 0" \
	    "/dev/vdc /lib/modules/6.1.0-57-amd64 ext4 ro 0 0" \
	    "tmpfs /run tmpfs rw 0 0" "/dev/vdb /root ext4 rw 0 0" \
	    "/dev/vdd /mnt/a\\040b\\134c ext4 rw 0 0" "/dev/vde relative ext4 rw 0 0" \
	    "/dev/vdf" "/dev/vdg /nofields" "" "garbage" \
	    "/dev/vdh /mnt/x\\04 ext4 rw 0 0" "/dev/vdi /mnt/y\\777 ext4 rw 0 0" >mounts &&
	"$BI" mounts <mounts >out &&
	printf "%s\n" "/mnt/y\\777" "/mnt/x\\04" "/mnt/a b\\c" /root \
	    /lib/modules/6.1.0-57-amd64 >want &&
	test_cmp want out &&
	for i in $(seq 70); do echo "/dev/vdb /m$i ext4 rw 0 0"; done >many &&
	"$BI" mounts <many >out && test "$(wc -l <out)" = 64 &&
	test "$(head -n 1 out)" = /m64 && test "$(tail -n 1 out)" = /m1 &&
	for i in 1 2 3 4 5; do
		head -c 5000 /dev/urandom | "$BI" mounts >/dev/null 2>&1 || return 1
	done
'

# ---- (b) the image --------------------------------------------------

test_expect_success 'images/test/build.sh builds the image' '
	sh "$TOP/images/test/build.sh" "$IMG" >build.log 2>&1 ||
	    { cat build.log; return 1; }
	test -s "$IMG/rootfs.ext4" && test -s "$IMG/manifest.json" &&
	! ls -a "$TRASH" | grep -q "^\.test-build"
'

test_expect_success 'the build is reproducible, never leaves half an OUTDIR' '
	sh "$TOP/images/test/build.sh" "$TRASH/img2" >/dev/null 2>&1 &&
	cmp "$IMG/rootfs.ext4" "$TRASH/img2/rootfs.ext4" &&
	cmp "$IMG/manifest.json" "$TRASH/img2/manifest.json" &&
	BANGER_INIT_BIN=/nonexistent must_fail 1 \
	    sh "$TOP/images/test/build.sh" "$TRASH/img2" 2>err &&
	grep -q "run make first" err &&
	cmp "$IMG/rootfs.ext4" "$TRASH/img2/rootfs.ext4" &&
	test "$(ls -A "$TRASH/img2")" = "manifest.json
rootfs.ext4"
'

FS=$IMG/rootfs.ext4

# walk DIR: "mode uid gid path" of everything under DIR in the image.
walk() {
	_l=$(debugfs -R "ls -p $1" "$FS" 2>/dev/null |
	    awk -F/ -v d="${1%/}" 'NF > 6 && $6 != "." && $6 != ".." {
		print $3, $4, $5, d "/" $6 }')
	[ -z "$_l" ] || echo "$_l"
	echo "$_l" | awk '$1 ~ /^04/ { print $4 }' | while read -r _d; do
		walk "$_d"
	done
}

# mode PATH: the octal mode and owner of PATH in the image.
mode() {
	debugfs -R "stat $1" "$FS" 2>/dev/null |
	    awk '/Mode:/ { for (i = 1; i < NF; i++) if ($i == "Mode:") m = $(i + 1) }
		/^User:/ { u = $2; g = $4 }
		END { print m, u, g }'
}

test_expect_success 'the manifest describes the image' '
	perl -MJSON::PP -e "
		local \$/; my \$m = decode_json(<STDIN>);
		my \$f = \$m->{files}{q(rootfs.ext4)};
		print join(q( ), \$m->{name}, \$m->{kind}, \$m->{ssh},
		    \$f->{size}, \$f->{sha256}, length(\$m->{version}) > 0), qq(\n);
	" < "$IMG/manifest.json" > out &&
	echo "test image dropbear $(stat -c %s "$FS") $(sha256sum < "$FS" |
	    cut -d" " -f1) 1" > want &&
	test_cmp want out &&
	test $(du -k "$FS" | cut -f1) -lt 20000
'

test_expect_success 'every file in the image is root:root' '
	walk / > all &&
	test $(wc -l < all) -gt 300 &&
	awk "\$2 != 0 || \$3 != 0" all > bad &&
	test_cmp /dev/null bad
'

test_expect_success 'banger-init is in the image, static, executable' '
	test "$(mode /sbin/banger-init)" = "0755 0 0" &&
	debugfs -R "dump /sbin/banger-init bi" "$FS" 2>/dev/null &&
	test "$(head -c 4 bi | od -An -c | tr -d " ")" = "177ELF" &&
	! readelf -lW bi | grep -qi interp &&
	! readelf -dW bi | grep -q NEEDED
'

test_expect_success 'the image has init, dropbear, users and key-only ssh' '
	for f in /sbin/init /bin/sh /usr/sbin/dropbear /usr/bin/dropbearconvert \
	    /lib64/ld-linux-x86-64.so.2 /etc/inittab /etc/init.d/rcS; do
		grep -q " $f\$" all || { echo "no $f"; return 1; }
	done &&
	test "$(mode /root)" = "0700 0 0" &&
	test "$(mode /tmp)" = "01777 0 0" &&
	test "$(mode /etc/shadow)" = "0600 0 0" &&
	debugfs -R "cat /etc/passwd" "$FS" 2>/dev/null > passwd &&
	test "$(cat passwd)" = "root:x:0:0:root:/root:/bin/sh" &&
	debugfs -R "cat /etc/init.d/dropbear" "$FS" 2>/dev/null > db &&
	grep -q "^exec /usr/sbin/dropbear -F -E -s -g -p 22" db
'

# ---- (c) real boots -------------------------------------------------

NS=banger-t-$$
IP=172.16.0.2
QPID=

# boot LOG: start QEMU on root.ext4 and work.ext4 in the namespace;
# QEMU's pid goes to qemu.pid and the time it started to t0.
boot() {
	khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' \
	    /proc/cpuinfo)
	date +%s.%N > t0
	ip netns exec "$NS" qemu-system-x86_64 -M microvm -nodefaults \
	    -no-user-config -accel tcg -cpu max -m 256 -smp 1 -nographic \
	    -no-reboot -kernel "$KDIR/vmlinux" -initrd "$KDIR/initrd.img" \
	    -append "console=ttyS0 banger.ip=$IP/24 banger.gw=172.16.0.1 \
banger.dns=172.16.0.1 banger.hostname=t1 tsc_early_khz=$khz quiet \
mitigations=off pci=off cryptomgr.notests no_timer_check audit=0 \
i8042.nopnp i8042.noaux i8042.nokbd nowatchdog" \
	    -serial "file:$TRASH/$1" \
	    -device virtio-blk-device,drive=r \
	    -drive id=r,if=none,format=raw,file="$TRASH/root.ext4" \
	    -device virtio-blk-device,drive=w \
	    -drive id=w,if=none,format=raw,file="$TRASH/work.ext4" \
	    -netdev tap,id=n,ifname=tap0,script=no,downscript=no \
	    -device virtio-net-device,netdev=n,mac=06:00:AC:10:00:02 \
	    </dev/null >qemu.out 2>&1 &
	echo $! > qemu.pid
}

# wait_ssh: poll port 22 from one process (a connect every 100 ms, at
# most 90 s) until the server's banner arrives; fails early if QEMU died.
wait_ssh() {
	ip netns exec "$NS" perl -MIO::Socket::INET -MTime::HiRes=time,sleep -e '
		my ($ip, $pid) = @ARGV; my $end = time + 90;
		while (time < $end) {
			exit 2 unless kill 0, $pid;
			my $s = IO::Socket::INET->new(PeerAddr => "$ip:22",
			    Timeout => 0.1);
			if ($s) {
				my $rin = ""; vec($rin, fileno($s), 1) = 1;
				my $l = "";
				$l = <$s> if select($rin, undef, undef, 5);
				exit 0 if defined $l && $l =~ /^SSH-2\.0-/;
			}
			sleep 0.1;
		}
		exit 1;' "$IP" "$(cat qemu.pid)"
}

# gssh CMD: run CMD in the guest as root, the host key pinned.
gssh() {
	ip netns exec "$NS" ssh -F /dev/null -i "$TRASH/id" -o IdentitiesOnly=yes \
	    -o BatchMode=yes -o ConnectTimeout=20 -o LogLevel=ERROR \
	    -o UserKnownHostsFile="$TRASH/pinned" \
	    -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes \
	    "root@$IP" "$@"
}

# wait_exit SECS: QEMU has ended within SECS seconds (a zombie counts as
# ended: QEMU is the main shell's child, reaped only at its exit).
wait_exit() {
	_p=$(cat qemu.pid)
	_i=0
	while [ -e /proc/$_p ] &&
	    [ "$(sed "s/.*) //; s/ .*//" /proc/$_p/stat 2>/dev/null)" != Z ]; do
		_i=$((_i + 1))
		[ $_i -le $(($1 * 10)) ] || { echo "QEMU still running"; return 1; }
		sleep 0.1
	done
}

# serial LOG: show the guest's console (when a test fails).
serial() { echo "--- $1:"; cat "$TRASH/$1"; return 1; }

why=
[ "$(id -u)" = 0 ] || why="needs root (ip netns)"
for t in qemu-system-x86_64 ssh ssh-keygen ip perl fakeroot mkfs.ext4; do
	command -v $t >/dev/null 2>&1 || why="${why:-$t not installed}"
done
[ -c /dev/net/tun ] || why="${why:-no /dev/net/tun}"
[ -s "$FS" ] || why="${why:-no test image}"

if [ -z "$why" ] && ! { [ -s "$KDIR/vmlinux" ] && [ -s "$KDIR/initrd.img" ]; }; then
	test_expect_success 'the kernel bundle builds (images/kernel)' '
		sh "$TOP/images/kernel/build.sh" "$KDIR" > kbuild.log 2>&1 ||
		    { tail -20 kbuild.log; return 1; }
	'
	[ -s "$KDIR/vmlinux" ] || why="no kernel bundle"
fi

if [ -n "$why" ]; then
	for t in 'boot: ssh with the pinned host key' \
	    'boot: hostname, resolv.conf, /root modes, host key moved' \
	    'boot: the guest reaches the bridge' 'boot: poweroff ends QEMU' \
	    'reboot: the installed host key stays, symlink refused' \
	    'reboot: reboot ends QEMU'; do
		test_skip "$t" "$why"
	done
	test_done
fi

# The namespace: bridge br-fc and tap0, nothing on the host's network.
at_exit '[ -s "$TRASH/qemu.pid" ] && kill -9 $(cat "$TRASH/qemu.pid")
ip netns del '"$NS"
ip netns add "$NS" &&
ip -n "$NS" link set lo up &&
ip -n "$NS" link add br-fc type bridge &&
ip -n "$NS" addr add 172.16.0.1/24 dev br-fc &&
ip -n "$NS" link set br-fc up &&
ip -n "$NS" tuntap add tap0 mode tap &&
ip -n "$NS" link set tap0 master br-fc &&
ip -n "$NS" link set tap0 up || echo "# namespace setup failed" >&2

# The disks: a copy of the image, and a work disk with the user's key
# and the VM's host key, as vm-create makes them.
mkdir -p work/.ssh work/.banger
ssh-keygen -q -t ed25519 -N "" -C user -f id
ssh-keygen -q -t ed25519 -N "" -C host -f work/.banger/ssh_host_ed25519_key
cp id.pub work/.ssh/authorized_keys
chmod 0644 work/.ssh/authorized_keys
chmod 0755 work work/.ssh
echo "$IP $(cat work/.banger/ssh_host_ed25519_key.pub)" > pinned
fakeroot mkfs.ext4 -q -d work -L work work.ext4 64M >/dev/null
cp --sparse=always "$FS" root.ext4

boot serial1.log
test_expect_success 'boot: ssh with the pinned host key' '
	{ wait_ssh && gssh "uname -a" > uname || serial serial1.log; } &&
	t1=$(date +%s.%N) &&
	grep -q "^Linux t1 6\." uname &&
	echo "$t1 $(cat t0)" | awk "{ printf \"%.2f\", \$1 - \$2 }" > boot.time
'
[ -s boot.time ] &&
    echo "# QEMU start to first ssh uname -a: $(cat boot.time) s"

test_expect_success 'boot: hostname, resolv.conf, /root modes, host key moved' '
	gssh "hostname; grep ^nameserver /etc/resolv.conf;
	    stat -c \"%U %a\" /root /root/.ssh /root/.ssh/authorized_keys;
	    ls -A /root/.banger; grep t1 /etc/hosts" > out &&
	printf "t1\nnameserver 172.16.0.1\nroot 700\nroot 700\nroot 600\n%s\n" \
	    "172.16.0.2	t1	# banger-init" > want &&
	test_cmp want out &&
	gssh "cat /etc/ssh/ssh_host_ed25519_key.pub" > pub &&
	test_cmp work/.banger/ssh_host_ed25519_key.pub pub &&
	ssh-keygen -q -t ed25519 -N "" -C other -f other &&
	! ip netns exec "$NS" ssh -F /dev/null -i other -o IdentitiesOnly=yes \
	    -o BatchMode=yes -o UserKnownHostsFile=pinned \
	    -o StrictHostKeyChecking=yes root@$IP true 2> denied &&
	grep -q "Permission denied (publickey)" denied &&
	{ grep -q "banger-init: installed /etc/ssh/ssh_host_ed25519_key" \
	    serial1.log || serial serial1.log; }
'

test_expect_success 'boot: the guest reaches the bridge' '
	gssh "ping -c1 -W5 172.16.0.1"
'

test_expect_success 'boot: poweroff ends QEMU' '
	# The connection ends with the guest: its status says nothing.
	{ gssh poweroff || :; } &&
	{ wait_exit 30 && rm qemu.pid || serial serial1.log; }
'

# The second boot: the same disks, authorized_keys now a symlink to a
# root-owned 0644 file that banger-init must leave alone (dropbear
# follows the link and accepts the mode).
debugfs -w -f - work.ext4 >/dev/null 2>&1 <<EOF
rm /.ssh/authorized_keys
write $TRASH/id.pub /.ssh/keys
sif /.ssh/keys mode 0100644
sif /.ssh/keys uid 0
sif /.ssh/keys gid 0
symlink /.ssh/authorized_keys keys
EOF

if [ -e qemu.pid ]; then
	kill -9 "$(cat qemu.pid)" 2>/dev/null
	sleep 1
fi
boot serial2.log
test_expect_success 'reboot: the installed host key stays, symlink refused' '
	{ wait_ssh && gssh "ls -A /root/.banger;
	    readlink /root/.ssh/authorized_keys; stat -c %a /root/.ssh/keys" \
	    > out || serial serial2.log; } &&
	printf "keys\n644\n" > want && test_cmp want out &&
	grep -q "refusing /root/.ssh/authorized_keys" serial2.log
'

test_expect_success 'reboot: reboot ends QEMU' '
	{ gssh reboot || :; } &&
	{ wait_exit 30 && rm qemu.pid || serial serial2.log; }
'

test_done
