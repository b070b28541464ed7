#!/bin/sh
# t/1010-fc-fixture.t — the VMM drivers end to end (docs/vmm.md).
#
# (a) t/fc-fixture's command line: --version, the API socket that must
#     not exist, unknown arguments;
# (b) its API, driven through banger's own client (bg_fc_request, via
#     build/t/vmm-client) and, for the wire format, raw bytes: status
#     codes, fault_message texts, pre-boot/post-boot rules, the 51200
#     bytes payload limit, keep-alive;
# (c) a real boot through the fixture in a private network namespace:
#     bg_fc_boot() configures it from a vm.json, the guest comes up with
#     the root drive as vda and the work disk as vdb and answers ssh, a
#     second InstanceStart and any configuration are refused, and
#     SendCtrlAltDel makes the guest reboot and the fixture exit 0;
#     killing the fixture kills its QEMU;
# (d) the QEMU driver: the exact argv of bg_qemu_argv() boots the same
#     guest, bg_qmp() answers query-status and quit ends it.
# (c) and (d) need root, QEMU, /dev/net/tun and the kernel and test
# image in build/images (make images); they skip, with the reason,
# where those are missing.

. "${0%/*}/lib.sh"

cd "$TRASH" || exit 1
FIX=$B/t/fc-fixture
CLI=$B/t/vmm-client
KDIR=$B/images/kernel
IMG=$B/images/test/rootfs.ext4

if ! make -s -C "$TOP" -f Makefile -f t/fc-fixture/rules.mk \
    build/t/fc-fixture build/t/vmm-client > make.log 2>&1; then
	echo "Bail out! cannot build the fixture: $(tail -5 make.log)"
	exit 1
fi

# wait_sock PATH: the fixture is listening (at most 10 s).
wait_sock() {
	_i=0
	until [ -S "$1" ]; do
		_i=$((_i + 1))
		[ $_i -le 100 ] || { echo "no socket $1"; return 1; }
		sleep 0.1
	done
}

# wait_gone PID SECS: PID has exited within SECS seconds (a child of
# ours must have been started with spawn, or it stays a zombie).
wait_gone() {
	_i=0
	while kill -0 "$1" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -le $(($2 * 10)) ] || { echo "pid $1 still running"; return 1; }
		sleep 0.1
	done
}

# req METHOD PATH [BODY]: bg_fc_request() on $SOCK; out has status,
# answer, "fault: ..."; returns the client's exit code.
req() {
	"$CLI" request "$SOCK" "$@" > out 2> err
}

# fault TEXT: the last answer was a 400 whose fault_message contains TEXT.
fault() {
	head -1 out | grep -qx 400 && grep "^fault: firecracker: " out |
	    grep -qF -- "$1" ||
	    { echo "want a 400 saying '$1', got:"; cat out err; return 1; }
}

# spawn NAME CMD...: run CMD in the background; its pid (CMD execs, so
# the pid stays the same through ip netns exec) in NAME.pid, its exit
# status in NAME.status once it ends (so no zombie fools kill -0).
spawn() {
	_n=$1
	shift
	rm -f "$TRASH/$_n.status"
	( sh -c 'echo $$ > "$0"; exec "$@"' "$TRASH/$_n.pid" "$@"
	  echo $? > "$TRASH/$_n.status" ) &
	_i=0
	until [ -s "$TRASH/$_n.pid" ] || [ $_i -gt 100 ]; do
		_i=$((_i + 1))
		sleep 0.05
	done
}

# raw: send stdin's bytes to $SOCK as they are; print what comes back
# until the server is quiet for half a second.
cat > raw.pl <<'EOF'
use strict;
use warnings;
use IO::Socket::UNIX;
use IO::Select;
binmode(STDIN);
binmode(STDOUT);
my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!\n";
local $/;
my $in = <STDIN>;
$in =~ s/\\r\\n/\r\n/g;
print $s $in;
my $sel = IO::Select->new($s);
while ($sel->can_read(0.5)) {
	my $n = sysread($s, my $buf, 65536);
	last unless $n;
	print $buf;
}
EOF
raw() { perl raw.pl "$SOCK"; }

# ---- (a) the command line ------------------------------------------

test_expect_success 'fixture: --version speaks like Firecracker' '
	"$FIX" --version > out && printf "Firecracker v1.7.0\n\n" > want &&
	test_cmp want out
'

test_expect_success 'fixture: the API socket must not exist' '
	touch exists &&
	must_fail 1 "$FIX" --api-sock "$TRASH/exists" 2> err &&
	grep -qF "Error: RunWithApi(FailedToBindSocket(\"$TRASH/exists\"))" err
'

test_expect_success 'fixture: unknown arguments exit 153 (ArgParsing)' '
	must_fail 153 "$FIX" --api-sock x --bogus 2> err &&
	grep -q "Found argument .--bogus." err
'

# ---- (b) the API ---------------------------------------------------

SOCK=$TRASH/api.sock
spawn fix "$FIX" --api-sock "$SOCK" --id test-1 > fix.out 2> fix.err
at_exit 'kill -9 $(cat "$TRASH/fix.pid" "$TRASH/fcb.pid" "$TRASH/fix3.pid" 2>/dev/null) 2>/dev/null'
wait_sock "$SOCK" >&2

test_expect_success 'api: GET / is the instance info, not started' '
	req GET / && head -1 out | grep -qx 200 &&
	sed -n 2p out > got &&
	echo "{\"id\":\"test-1\",\"state\":\"Not started\",\"vmm_version\":\"1.7.0\",\"app_name\":\"Firecracker\"}" > want &&
	test_cmp want got &&
	req GET /version && grep -qF "{\"firecracker_version\":\"1.7.0\"}" out
'

test_expect_success 'api: the wire format (204 without a body, keep-alive)' '
	printf "PUT /machine-config HTTP/1.1\\r\\nContent-Length: 35\\r\\n\\r\\n{\"vcpu_count\":1,\"mem_size_mib\":128}PUT /machine-config HTTP/1.1\\r\\nContent-Length: 35\\r\\n\\r\\n{\"vcpu_count\":2,\"mem_size_mib\":256}" |
	    raw > got &&
	printf "HTTP/1.1 204 \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n\r\nHTTP/1.1 204 \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n\r\n" > want &&
	test_cmp want got &&
	req GET /machine-config &&
	grep -qF "\"vcpu_count\":2,\"mem_size_mib\":256" out
'

test_expect_success 'api: 400 answers carry Content-Type and Content-Length' '
	printf "PUT /nothing HTTP/1.1\\r\\nContent-Length: 2\\r\\n\\r\\n{}" | raw > got &&
	printf "HTTP/1.1 400 \r\nServer: Firecracker API\r\nConnection: keep-alive\r\nContent-Type: application/json\r\nContent-Length: 68\r\n\r\n{\"fault_message\":\"Invalid request method and/or path: PUT nothing.\"}" > want &&
	test_cmp want got
'

test_expect_success 'api: HTTP-level refusals (method, payload limit, body on GET)' '
	printf "POST / HTTP/1.1\\r\\n\\r\\n" | raw > got &&
	head -1 got | grep -q "^HTTP/1.1 400 " &&
	grep -q "Unsupported HTTP method" got &&
	printf "PUT /actions HTTP/1.1\\r\\nContent-Length: 60000\\r\\n\\r\\n" | raw > got &&
	grep -q "Request payload with size 60000 is larger than the limit of 51200 allowed by server" got &&
	printf "GET / HTTP/1.1\\r\\nContent-Length: 2\\r\\n\\r\\n{}" | raw > got &&
	grep -qF "{\"fault_message\":\"GET request cannot have a body.\"}" got &&
	printf "PUT /actions HTTP/1.1\\r\\n\\r\\n" | raw > got &&
	grep -qF "{\"fault_message\":\"Empty PUT request.\"}" got
'

test_expect_success 'api: machine-config bodies are checked like serde does' '
	{ ! req PUT /machine-config "{\"vcpu_count\":1,\"mem_size_mib\":128,\"foo\":1}"; } &&
	fault "An error occurred when deserializing the json body of a request: unknown field \`foo\`" &&
	{ ! req PUT /machine-config "{\"vcpu_count\":1}"; } &&
	fault "missing field \`mem_size_mib\`" &&
	{ ! req PUT /machine-config "{\"vcpu_count\":\"1\",\"mem_size_mib\":128}"; } &&
	fault "invalid type: string \"1\", expected u8" &&
	{ ! req PUT /machine-config "{\"vcpu_count\":1,\"vcpu_count\":1,\"mem_size_mib\":128}"; } &&
	fault "duplicate field \`vcpu_count\`" &&
	{ ! req PUT /machine-config "{\"vcpu_count\":300,\"mem_size_mib\":128}"; } &&
	fault "invalid value: integer \`300\`, expected u8" &&
	{ ! req PUT /machine-config "[1]"; } && fault "invalid type: sequence" &&
	{ ! req PUT /machine-config "{\"vcpu_count\":"; } && fault "expected value" &&
	{ ! req PUT /machine-config "{\"vcpu_count\":0,\"mem_size_mib\":128}"; } &&
	fault "Machine config error: The number of vCPUs must be greater than 0, less than 32" &&
	{ ! req PUT /machine-config "{\"vcpu_count\":33,\"mem_size_mib\":128}"; } &&
	fault "Machine config error: The number of vCPUs" &&
	{ ! req PUT /machine-config "{\"vcpu_count\":1,\"mem_size_mib\":0}"; } &&
	fault "Machine config error: The memory size (MiB) is either 0" &&
	req GET /machine-config && grep -qF "\"vcpu_count\":2" out
'

test_expect_success 'api: boot-source opens its files when PUT' '
	{ ! req PUT /boot-source "{\"kernel_image_path\":\"$TRASH/nope\"}"; } &&
	fault "Boot source error: The kernel file cannot be opened: No such file or directory (os error 2)" &&
	: > kernel && : > initrd &&
	{ ! req PUT /boot-source "{\"kernel_image_path\":\"$TRASH/kernel\",\"initrd_path\":\"$TRASH/nope\"}"; } &&
	fault "Boot source error: The initrd file cannot be opened due to invalid path or invalid permissions." &&
	{ ! req PUT /boot-source "{\"kernel_image_path\":\"$TRASH/kernel\",\"kernel\":1}"; } &&
	fault "unknown field \`kernel\`" &&
	{ ! req PUT /boot-source "{\"boot_args\":\"x\"}"; } &&
	fault "missing field \`kernel_image_path\`" &&
	req PUT /boot-source "{\"kernel_image_path\":\"$TRASH/kernel\",\"initrd_path\":\"$TRASH/initrd\",\"boot_args\":\"reboot=k panic=1\"}" &&
	head -1 out | grep -qx 204
'

test_expect_success 'api: drives (ids, one root, root first, files opened)' '
	: > d1 && : > d2 && : > d3 &&
	{ ! req PUT /drives/a "{\"drive_id\":\"b\",\"path_on_host\":\"$TRASH/d1\",\"is_root_device\":false}"; } &&
	fault "The id from the path does not match the id from the body!" &&
	{ ! req PUT /drives/a-b "{\"drive_id\":\"a-b\",\"path_on_host\":\"$TRASH/d1\",\"is_root_device\":false}"; } &&
	fault "API Resource IDs can only contain alphanumeric characters and underscores." &&
	{ ! req PUT /drives/ "{\"drive_id\":\"a\",\"path_on_host\":\"$TRASH/d1\",\"is_root_device\":false}"; } &&
	fault "The ID cannot be empty." &&
	{ ! req PUT /drives/a "{\"drive_id\":\"a\",\"path_on_host\":\"$TRASH/d1\"}"; } &&
	fault "missing field \`is_root_device\`" &&
	{ ! req PUT /drives/a "{\"drive_id\":\"a\",\"path_on_host\":\"$TRASH/nope\",\"is_root_device\":false}"; } &&
	fault "Drive config error: Unable to create the virtio block device: VirtioBackend(BackingFile(Os { code: 2, kind: NotFound" &&
	{ ! req PUT /drives/a "{\"drive_id\":\"a\",\"path_on_host\":\"$TRASH/d1\",\"is_root_device\":false,\"cache_type\":\"Fast\"}"; } &&
	fault "unknown variant \`Fast\`, expected one of \`Unsafe\`, \`Writeback\`" &&
	req PUT /drives/work "{\"drive_id\":\"work\",\"path_on_host\":\"$TRASH/d1\",\"is_root_device\":false,\"is_read_only\":false}" &&
	req PUT /drives/rootfs "{\"drive_id\":\"rootfs\",\"path_on_host\":\"$TRASH/d2\",\"is_root_device\":true,\"is_read_only\":false,\"cache_type\":\"Writeback\"}" &&
	{ ! req PUT /drives/other "{\"drive_id\":\"other\",\"path_on_host\":\"$TRASH/d3\",\"is_root_device\":true}"; } &&
	fault "Drive config error: A root block device already exists!" &&
	req GET /vm/config &&
	sed -n 2p out | perl -MJSON::PP -e "
		my \$c = decode_json(<STDIN>);
		print join(q( ), map { \$_->{drive_id} . q(:) . (\$_->{is_root_device} ? q(root) : q(-)) . q(:) . \$_->{cache_type} } @{\$c->{drives}}), qq(\n);" > got &&
	echo "rootfs:root:Writeback work:-:Unsafe" > want && test_cmp want got
'

test_expect_success 'api: network interfaces (ids, MAC, tap name)' '
	{ ! req PUT /network-interfaces/eth0 "{\"iface_id\":\"eth1\",\"host_dev_name\":\"x\"}"; } &&
	fault "The id from the path [eth0] does not match the id from the body [eth1]!" &&
	{ ! req PUT /network-interfaces/eth0 "{\"iface_id\":\"eth0\",\"host_dev_name\":\"x\",\"guest_mac\":\"06:00:ac:10:00\"}"; } &&
	fault "The provided MAC address is invalid." &&
	{ ! req PUT /network-interfaces/eth0 "{\"iface_id\":\"eth0\"}"; } &&
	fault "missing field \`host_dev_name\`" &&
	{ ! req PUT /network-interfaces/eth0 "{\"iface_id\":\"eth0\",\"host_dev_name\":\"a-name-far-too-long-for-a-tap\"}"; } &&
	fault "Network config error: Could not create the network device: Open tap device failed: Invalid interface name"
'

test_expect_success 'api: actions before InstanceStart' '
	{ ! req PUT /actions "{\"action_type\":\"SendCtrlAltDel\"}"; } &&
	fault "The requested operation is not supported before starting the microVM." &&
	{ ! req PUT /actions "{\"action_type\":\"FlushMetrics\"}"; } &&
	fault "The requested operation is not supported before starting the microVM." &&
	{ ! req PUT /actions "{\"action_type\":\"Reboot\"}"; } &&
	fault "unknown variant \`Reboot\`, expected one of \`FlushMetrics\`, \`InstanceStart\`, \`SendCtrlAltDel\`" &&
	{ ! req PUT /actions "{}"; } && fault "missing field \`action_type\`" &&
	{ ! req PATCH /machine-config "{\"vcpu_count\":1}"; } &&
	fault "fc-fixture: PATCH /machine-config is not implemented"
'

test_expect_success 'api: an InstanceStart whose VMM cannot start is a 400' '
	{ ! req PUT /actions "{\"action_type\":\"InstanceStart\"}"; } &&
	fault "Start microvm error: Internal error while starting microVM" &&
	req GET / && grep -qF "\"state\":\"Not started\"" out &&
	kill -0 $(cat fix.pid)
'

test_expect_success 'api: the client gives up at its deadline, the fixture lives on' '
	kill -STOP $(cat fix.pid) &&
	{ ! VMM_CLIENT_TIMEOUT_MS=500 "$CLI" request "$SOCK" GET / > out 2> err; } ;
	kill -CONT $(cat fix.pid) &&
	grep -q "Connection timed out" err &&
	req GET / && head -1 out | grep -qx 200
'

kill -9 "$(cat fix.pid)" 2>/dev/null
rm -f fix.pid

# ---- (c) and (d): real guests --------------------------------------

why=
[ "$(id -u)" = 0 ] || why="needs root (ip netns)"
for t in qemu-system-x86_64 ssh ssh-keygen ip perl fakeroot mkfs.ext4; do
	command -v $t >/dev/null 2>&1 || why="${why:-$t not installed}"
done
[ -c /dev/net/tun ] || why="${why:-no /dev/net/tun}"
[ -s "$KDIR/vmlinux" ] && [ -s "$KDIR/initrd.img" ] ||
    why="${why:-no kernel bundle in build/images/kernel (make images)}"
[ -s "$IMG" ] || why="${why:-no test image in build/images/test (make images)}"

if [ -n "$why" ]; then
	for t in 'fc boot: bg_fc_boot configures the fixture from vm.json' \
	    'fc boot: the guest answers ssh; vda is the root, vdb the work disk' \
	    'fc boot: running: InstanceStart and configuration refused' \
	    'fc boot: SendCtrlAltDel reboots the guest, the VMM exits 0' \
	    'fc boot: the API socket stays; a new VMM needs it removed' \
	    'fc boot: killing the VMM kills its QEMU' \
	    'qemu: bg_qemu_argv boots the guest, ssh answers' \
	    'qemu: bg_qmp query-status, then quit ends QEMU'; do
		test_skip "$t" "$why"
	done
	test_done
fi

NS=banger-t-$$
QPID=
at_exit '[ -s "$TRASH/qemu.pid" ] && kill -9 $(cat "$TRASH/qemu.pid"); ip netns del '"$NS"
ip netns add "$NS" &&
ip -n "$NS" link set lo up &&
ip -n "$NS" link add br-fc type bridge &&
ip -n "$NS" addr add 172.16.0.1/24 dev br-fc &&
ip -n "$NS" link set br-fc up &&
for n in 2 3; do
	ip -n "$NS" tuntap add bgtap$n mode tap vnet_hdr &&
	ip -n "$NS" link set bgtap$n master br-fc &&
	ip -n "$NS" link set bgtap$n up || break
done || echo "# namespace setup failed" >&2

STATE=$BANGER_ROOT/var/lib/banger
RUN=$BANGER_ROOT/run/banger
KNAME=$(perl -MJSON::PP -e 'local $/; print decode_json(<STDIN>)->{name}' \
    < "$KDIR/manifest.json" 2>/dev/null)
KNAME=${KNAME:-test-kernel}
mkdir -p "$STATE/kernels/$KNAME" "$STATE/images/test"
ln -s "$KDIR/vmlinux" "$STATE/kernels/$KNAME/vmlinux"
ln -s "$KDIR/initrd.img" "$STATE/kernels/$KNAME/initrd.img"
ssh-keygen -q -t ed25519 -N "" -C user -f id

# mkvm NAME SLOT VMM: a VM as vm-create leaves it (vm.json, disks, key).
mkvm() {
	_d=$STATE/vms/$1
	mkdir -p "$_d" "$RUN/vms/$1" "work-$1/.ssh" "work-$1/.banger"
	printf '{"name":"%s","status":"created","image":"test","kernel":"%s","vcpu":1,"memory_mib":256,"disk_bytes":1073741824,"slot":%d,"vmm":"%s","accel":"%s","created_at":"2026-11-28T12:00:00Z"}\n' \
	    "$1" "$KNAME" "$2" "$3" "$([ "$3" = qemu ] && echo tcg || echo kvm)" > "$_d/vm.json"
	cp id.pub "work-$1/.ssh/authorized_keys"
	chmod 0644 "work-$1/.ssh/authorized_keys"
	chmod 0755 "work-$1" "work-$1/.ssh"
	ssh-keygen -q -t ed25519 -N "" -C "$1" -f "work-$1/.banger/ssh_host_ed25519_key"
	echo "172.16.0.$2 $(cat "work-$1/.banger/ssh_host_ed25519_key.pub")" >> pinned
	fakeroot mkfs.ext4 -q -d "work-$1" -L work "$_d/work.ext4" 64M >/dev/null
	cp --sparse=always "$IMG" "$_d/rootfs.ext4"
}

# wait_ssh IP PID: the guest's ssh banner (90 s at most; fails early if PID dies).
wait_ssh() {
	ip netns exec "$NS" perl -MIO::Socket::INET -MTime::HiRes=time,sleep -e '
		my ($ip, $pid) = @ARGV; my $end = time + 90;
		while (time < $end) {
			exit 2 unless kill 0, $pid;
			my $s = IO::Socket::INET->new(PeerAddr => "$ip:22", Timeout => 0.1);
			if ($s) {
				my $rin = ""; vec($rin, fileno($s), 1) = 1;
				my $l = "";
				$l = <$s> if select($rin, undef, undef, 5);
				exit 0 if defined $l && $l =~ /^SSH-2\.0-/;
			}
			sleep 0.1;
		}
		exit 1;' "$1" "$2"
}

# gssh IP CMD: run CMD in the guest as root, the host key pinned.
gssh() {
	_ip=$1
	shift
	ip netns exec "$NS" ssh -F /dev/null -i "$TRASH/id" -o IdentitiesOnly=yes \
	    -o BatchMode=yes -o ConnectTimeout=20 -o LogLevel=ERROR \
	    -o UserKnownHostsFile="$TRASH/pinned" \
	    -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes \
	    "root@$_ip" "$@"
}

serial() { echo "--- $1:"; tail -40 "$1"; return 1; }

mkvm fcvm 2 firecracker
SOCK=$RUN/vms/fcvm/vmm.sock
FCSER=$STATE/vms/fcvm/serial.log
spawn fcb ip netns exec "$NS" "$FIX" --api-sock "$SOCK" >> "$FCSER" 2> fcb.err
wait_sock "$SOCK" >&2

test_expect_success 'fc boot: bg_fc_boot configures the fixture from vm.json' '
	"$CLI" fc-boot fcvm 172.16.0.1 &&
	req GET /vm/config && sed -n 2p out | perl -MJSON::PP -e "
		my \$c = decode_json(<STDIN>);
		my \$b = \$c->{q(boot-source)};
		my \$n = \$c->{q(network-interfaces)}[0];
		my \$m = \$c->{q(machine-config)};
		print join(qq(\n), \$b->{kernel_image_path}, \$b->{initrd_path},
		    (map { \$_->{drive_id} . q( ) . \$_->{path_on_host} . q( ) .
		    (\$_->{is_root_device} ? 1 : 0) } @{\$c->{drives}}),
		    join(q( ), \$n->{iface_id}, \$n->{host_dev_name}, \$n->{guest_mac}),
		    join(q( ), \$m->{vcpu_count}, \$m->{mem_size_mib}),
		    \$b->{boot_args}), qq(\n);" > got &&
	printf "%s\n" "$STATE/kernels/$KNAME/vmlinux" "$STATE/kernels/$KNAME/initrd.img" \
	    "rootfs $STATE/vms/fcvm/rootfs.ext4 1" "work $STATE/vms/fcvm/work.ext4 0" \
	    "eth0 bgtap2 06:00:ac:10:00:02" "1 256" > want &&
	head -6 got > got6 && test_cmp want got6 &&
	tail -1 got | grep -q "^console=ttyS0 reboot=k panic=1 .* banger.ip=172.16.0.2/24 banger.gw=172.16.0.1 banger.dns=172.16.0.1 banger.hostname=fcvm$" &&
	req GET / && grep -qF "\"state\":\"Running\"" out
'

test_expect_success 'fc boot: the guest answers ssh; vda is the root, vdb the work disk' '
	{ wait_ssh 172.16.0.2 $(cat fcb.pid) || serial "$FCSER"; } &&
	gssh 172.16.0.2 "hostname; grep -o \"root=/dev/vda rw\" /proc/cmdline;
	    awk \"\\\$2 == \\\"/\\\" || \\\$2 == \\\"/root\\\" { print \\\$1, \\\$2 }\" /proc/mounts" > got &&
	printf "fcvm\nroot=/dev/vda rw\n/dev/vda /\n/dev/vdb /root\n" > want &&
	test_cmp want got &&
	grep -q "^banger-init: " "$FCSER"
'

test_expect_success 'fc boot: running: InstanceStart and configuration refused' '
	{ ! req PUT /actions "{\"action_type\":\"InstanceStart\"}"; } &&
	fault "The requested operation is not supported after starting the microVM." &&
	{ ! req PUT /drives/x "{\"drive_id\":\"x\",\"path_on_host\":\"$TRASH/d1\",\"is_root_device\":false}"; } &&
	fault "The requested operation is not supported after starting the microVM." &&
	{ ! req PUT /machine-config "{\"vcpu_count\":2,\"mem_size_mib\":512}"; } &&
	fault "The requested operation is not supported after starting the microVM." &&
	{ ! req PUT /machine-config "{\"vcpu_count\":2}"; } &&
	fault "missing field \`mem_size_mib\`" &&
	req PUT /actions "{\"action_type\":\"FlushMetrics\"}"
'

test_expect_success 'fc boot: SendCtrlAltDel reboots the guest, the VMM exits 0' '
	"$CLI" fc-ctrl-alt-del fcvm &&
	wait_gone $(cat fcb.pid) 30 && sleep 0.2 &&
	test "$(cat fcb.status)" = 0 ||
	    { echo "fixture exited $(cat fcb.status)"; cat fcb.err; false; } &&
	grep -q "sysrq: Emergency Sync" "$FCSER" &&
	grep -q "the guest rebooted" fcb.err
'

test_expect_success 'fc boot: the API socket stays; a new VMM needs it removed' '
	test -S "$SOCK" &&
	must_fail 1 "$FIX" --api-sock "$SOCK" 2> err &&
	grep -q FailedToBindSocket err
'

rm -f "$SOCK"
spawn fix3 ip netns exec "$NS" "$FIX" --api-sock "$SOCK" >> "$FCSER" 2> fix3.err
wait_sock "$SOCK" >&2
test_expect_success 'fc boot: killing the VMM kills its QEMU' '
	"$CLI" fc-boot fcvm 172.16.0.1 &&
	qp=$(sed -n "s/.*running as pid \([0-9]*\).*/\1/p" fix3.err) &&
	test -n "$qp" && kill -0 $qp &&
	kill -9 $(cat fix3.pid) &&
	wait_gone $qp 10
'

mkvm qvm 3 qemu
QSER=$STATE/vms/qvm/serial.log
spawn qemu ip netns exec "$NS" "$CLI" qemu-exec qvm \
    "$(command -v qemu-system-x86_64)" 172.16.0.1 > qemu.out 2>&1

test_expect_success 'qemu: bg_qemu_argv boots the guest, ssh answers' '
	{ wait_ssh 172.16.0.3 $(cat qemu.pid) || { cat qemu.out; serial "$QSER"; }; } &&
	gssh 172.16.0.3 "hostname; ping -c1 -W5 172.16.0.1 >/dev/null && echo bridge" > got &&
	printf "qvm\nbridge\n" > want && test_cmp want got &&
	grep -q "^banger-init: " "$QSER" &&
	test -S "$RUN/vms/qvm/vmm.sock"
'

test_expect_success 'qemu: bg_qmp query-status, then quit ends QEMU' '
	"$CLI" qmp qvm query-status > got &&
	grep -qF "\"status\":\"running\"" got &&
	"$CLI" qmp qvm quit &&
	wait_gone $(cat qemu.pid) 10 && sleep 0.2 && test "$(cat qemu.status)" = 0 &&
	rm -f qemu.pid
'

test_done
