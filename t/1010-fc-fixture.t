#!/bin/sh
# t/1010-fc-fixture.t — the VMM drivers end to end (docs/vmm.md).
#
# (a) t/fc-fixture's command line: --version (v1.16.0), the API socket
#     that must not exist, unknown arguments, --log-path to a file that
#     does not exist, FC_FIXTURE_LISTEN_DELAY_MS (bound, not listening:
#     refused; then served);
# (b) its API, driven through banger's own client (bg_fc_request, via
#     build/t/vmm-client) and, for the wire format, raw bytes: status
#     codes, fault_message texts, pre-boot/post-boot rules, the 51200
#     bytes payload limit, keep-alive; Firecracker's log lines on stdout;
#     then InstanceStart over a fake QEMU (no guest, no root needed): the
#     default command line, the log lines in --log-path's file and not
#     on stdout, SendCtrlAltDel's SysRq and the exit, and no SysRq at
#     all when boot_args carry i8042.nopnp;
# (c) a real boot through the fixture in a private network namespace:
#     bg_fc_boot() configures it from a vm.json, the guest comes up with
#     the root drive as vda and the work disk as vdb and answers ssh, a
#     second InstanceStart and any configuration are refused, and
#     SendCtrlAltDel makes the guest reboot and the fixture exit 0; the
#     same guest booted with i8042.nopnp takes SendCtrlAltDel (204) and
#     keeps running; killing the fixture kills its QEMU;
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

test_expect_success 'fixture: --version speaks like Firecracker v1.16.0' '
	"$FIX" --version > out && printf "Firecracker v1.16.0\n\n" > want &&
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

# Firecracker opens --log-path, it does not create it: the error is
# logged where the logger still writes, stdout.
test_expect_success 'fixture: --log-path to a missing file fails at start' '
	must_fail 1 "$FIX" --api-sock "$TRASH/nolog.sock" \
	    --log-path "$TRASH/missing.log" > out 2> err &&
	grep -qxF "Error: LoggerInitialization(LoggerUpdateError(Os { code: 2, kind: NotFound, message: \"No such file or directory\" }))" err &&
	grep -q "\[anonymous-instance:main\] Could not initialize logger: Failed to open target file: No such file or directory (os error 2)$" out &&
	grep -q "\[anonymous-instance:main\] Firecracker exiting with error. exit_code=1$" out &&
	! grep -q "Running Firecracker" out &&
	test ! -e "$TRASH/missing.log" && test ! -e "$TRASH/nolog.sock"
'

test_expect_success 'fixture: FC_FIXTURE_LISTEN_DELAY_MS must be 0..5000' '
	must_fail 1 env FC_FIXTURE_LISTEN_DELAY_MS=5001 "$FIX" \
	    --api-sock "$TRASH/nodelay.sock" 2> err &&
	grep -q "FC_FIXTURE_LISTEN_DELAY_MS: want 0 to 5000" err &&
	must_fail 1 env FC_FIXTURE_LISTEN_DELAY_MS=1x "$FIX" \
	    --api-sock "$TRASH/nodelay.sock" 2> err &&
	grep -q "FC_FIXTURE_LISTEN_DELAY_MS: want 0 to 5000" err &&
	test ! -e "$TRASH/nodelay.sock"
'

# probe PATH: wait for the socket file PATH (polled every ms), connect
# at once (prints "refused" on ECONNREFUSED), then retry every 10 ms
# until a connect works ("connected after N ms", N counted from when
# the file appeared) and print the status line of the answer to GET /.
cat > probe.pl <<'EOF'
use strict;
use warnings;
use Socket;
use Time::HiRes qw(time sleep);
my $path = $ARGV[0];
my $end = time + 10;
alarm 20;
until (-S $path) {
	die "no socket $path\n" if time > $end;
	sleep 0.001;
}
my $t0 = time;
my $addr = pack_sockaddr_un($path);
socket(my $s, PF_UNIX, SOCK_STREAM, 0) or die "socket: $!\n";
if (connect($s, $addr)) {
	print "connected at once\n";
} else {
	print $!{ECONNREFUSED} ? "refused\n" : "connect: $!\n";
	for (;;) {
		die "still refused after 10 s\n" if time > $end;
		close $s;
		sleep 0.01;
		socket($s, PF_UNIX, SOCK_STREAM, 0) or die "socket: $!\n";
		last if connect($s, $addr);
		die "connect: $!\n" unless $!{ECONNREFUSED};
	}
	printf "connected after %d ms\n", (time - $t0) * 1000;
}
syswrite($s, "GET / HTTP/1.1\r\n\r\n");
sysread($s, my $buf, 4096);
print((split /\r\n/, $buf // "")[0] // "no answer", "\n");
EOF

# The fixtures of (a) and (b); spawned ones write their pid files.
at_exit 'kill -9 $(cat "$TRASH/fixd.pid" "$TRASH/fq1.pid" "$TRASH/fq2.pid" 2>/dev/null) 2>/dev/null'

# 500 ms between bind() and listen(): the socket file is there, the
# connect is refused; the one that works comes 300+ ms later.
spawn fixd env FC_FIXTURE_LISTEN_DELAY_MS=500 "$FIX" \
    --api-sock "$TRASH/delay.sock" > fixd.out 2> fixd.err
test_expect_success 'fixture: bound, not yet listening: a connect is refused' '
	perl probe.pl "$TRASH/delay.sock" > got 2>&1 &&
	sed -n 1p got | grep -qx refused &&
	n=$(sed -n "s/^connected after \([0-9]*\) ms$/\1/p" got) &&
	test -n "$n" && test "$n" -ge 300 &&
	sed -n 3p got | grep -q "^HTTP/1.1 200 " ||
	    { cat got fixd.err; false; }
'
kill -9 "$(cat fixd.pid)" 2>/dev/null

# ---- (b) the API ---------------------------------------------------

SOCK=$TRASH/api.sock
spawn fix "$FIX" --api-sock "$SOCK" --id test-1 > fix.out 2> fix.err
at_exit 'kill -9 $(cat "$TRASH/fix.pid" "$TRASH/fcb.pid" "$TRASH/fix3.pid" 2>/dev/null) 2>/dev/null'
wait_sock "$SOCK" >&2

# LOGTS: the time stamp of Firecracker's log lines (LocalTime, in ns).
LOGTS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}'

test_expect_success 'log: without --log-path, Firecracker logs to stdout' '
	grep -Eqx "$LOGTS \[test-1:main\] Running Firecracker v1\.16\.0" fix.out ||
	    { cat fix.out; false; }
'

test_expect_success 'api: GET / is the instance info, not started' '
	req GET / && head -1 out | grep -qx 200 &&
	sed -n 2p out > got &&
	echo "{\"id\":\"test-1\",\"state\":\"Not started\",\"vmm_version\":\"1.16.0\",\"app_name\":\"Firecracker\"}" > want &&
	test_cmp want got &&
	req GET /version && grep -qF "{\"firecracker_version\":\"1.16.0\"}" out
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
	{ VMM_CLIENT_TIMEOUT_MS=500 "$CLI" request "$SOCK" GET / > out 2> err; st=$?; } &&
	kill -CONT $(cat fix.pid) && test $st != 0 &&
	grep -q "Connection timed out" err &&
	req GET / && head -1 out | grep -qx 200
'

kill -9 "$(cat fix.pid)" 2>/dev/null
rm -f fix.pid

# ---- (b) InstanceStart over a fake QEMU ----------------------------

# fakeqemu, run by the fixture as its QEMU (FC_FIXTURE_QEMU): no guest,
# no root.  It records its argv, answers every QMP command on the fd of
# "-chardev socket,id=qmp,fd=N" (recording the command first), records
# what comes in on the console (its stdin) and prints one console line;
# SysRq 'b' is the guest's reboot: exit 0, as QEMU -no-reboot does.
# Its records go to $FAKEQEMU_DIR.
cat > fakeqemu <<'EOF'
#!/usr/bin/perl
use strict;
use warnings;
use IO::Select;
my $dir = $ENV{FAKEQEMU_DIR} or die "fakeqemu: no FAKEQEMU_DIR\n";
mkdir $dir;
sub record {
	open(my $f, '>>', "$dir/$_[0]") or die "fakeqemu: $dir/$_[0]: $!\n";
	print $f $_[1];
	close $f;
}
record('argv', join('', map { "$_\n" } @ARGV));
my ($fd) = map { /^socket,id=qmp,fd=(\d+)$/ ? $1 : () } @ARGV;
open(my $q, '+<&=', $fd) or die "fakeqemu: QMP fd: $!\n";
syswrite($q, qq({"QMP": {"version": {}, "capabilities": []}}\n));
syswrite(STDOUT, "fake-qemu: console\n");
my $sel = IO::Select->new($q, \*STDIN);
my $buf = '';
for (;;) {
	for my $h ($sel->can_read) {
		my $n = sysread($h, my $got, 4096);
		exit 1 unless $n;	# the fixture is gone
		if ($h == $q) {
			$buf .= $got;
			while ($buf =~ s/^(.*)\n//) {
				record('qmp', "$1\n");
				syswrite($q, qq({"return": {}}\n));
			}
		} else {
			record('console-in', $got);
			exit 0 if $got =~ /b/;
		}
	}
}
EOF
chmod +x fakeqemu
: > fq-kernel

# status_of NAME: the exit status of spawned NAME, once known (5 s).
status_of() {
	_i=0
	until [ -s "$TRASH/$1.status" ]; do
		_i=$((_i + 1))
		[ $_i -le 50 ] || { echo "no exit status for $1"; return 1; }
		sleep 0.1
	done
	cat "$TRASH/$1.status"
}

# fq1: the default command line, --log-path, SendCtrlAltDel.
: > fq1.log
SOCK=$TRASH/fq1.sock
spawn fq1 env FC_FIXTURE_QEMU="$TRASH/fakeqemu" FAKEQEMU_DIR="$TRASH/fq1" \
    "$FIX" --api-sock "$SOCK" --id test-2 --log-path "$TRASH/fq1.log" \
    > fq1.out 2> fq1.err
wait_sock "$SOCK" >&2

test_expect_success 'fake qemu: the default command line is v1.16 (no i8042.nopnp)' '
	req PUT /boot-source "{\"kernel_image_path\":\"$TRASH/fq-kernel\"}" &&
	req PUT /actions "{\"action_type\":\"InstanceStart\"}" &&
	sed -n "/^-append\$/{n;p;}" fq1/argv | sed "s/ tsc_early_khz=[0-9]*\$//" > got &&
	echo "reboot=k panic=1 nomodule 8250.nr_uarts=0 i8042.noaux i8042.nomux i8042.dumbkbd swiotlb=noforce pci=off" > want &&
	test_cmp want got
'

test_expect_success 'log: with --log-path, the lines go to the file, not stdout' '
	grep -Evc "^$LOGTS " fq1.log | grep -qx 0 &&
	sed -E "s/^$LOGTS //" fq1.log > got &&
	printf "%s\n" "[test-2:main] Running Firecracker v1.16.0" \
	    "[test-2:fc_api] The API server received a Put request on \"/actions\" with body \"{\\\"action_type\\\":\\\"InstanceStart\\\"}\"." > want &&
	test_cmp want got &&
	echo "fake-qemu: console" > want && test_cmp want fq1.out
'

test_expect_success 'fake qemu: SendCtrlAltDel is SysRq s, u, b; the VMM exits 0' '
	req PUT /actions "{\"action_type\":\"SendCtrlAltDel\"}" &&
	head -1 out | grep -qx 204 &&
	grep -qF "{\"execute\":\"chardev-send-break\"" fq1/qmp &&
	wait_gone $(cat fq1.pid) 10 && test "$(status_of fq1)" = 0 &&
	test "$(cat fq1/console-in)" = sub &&
	sed -E "s/^$LOGTS //" fq1.log | tail -2 > got &&
	printf "%s\n" "[test-2:main] Vmm is stopping." \
	    "[test-2:main] Firecracker exiting successfully. exit_code=0" > want &&
	test_cmp want got &&
	echo "fake-qemu: console" > want && test_cmp want fq1.out
'

# fq2: boot_args with i8042.nopnp, the log on stdout.
SOCK=$TRASH/fq2.sock
spawn fq2 env FC_FIXTURE_QEMU="$TRASH/fakeqemu" FAKEQEMU_DIR="$TRASH/fq2" \
    "$FIX" --api-sock "$SOCK" > fq2.out 2> fq2.err
wait_sock "$SOCK" >&2

test_expect_success 'log: InstanceStart is logged on stdout, before the console' '
	req PUT /boot-source "{\"kernel_image_path\":\"$TRASH/fq-kernel\",\"boot_args\":\"console=ttyS0 reboot=k panic=1 i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd\"}" &&
	req PUT /actions "{\"action_type\":\"InstanceStart\"}" &&
	sed -E "s/^$LOGTS //" fq2.out > got &&
	printf "%s\n" "[anonymous-instance:main] Running Firecracker v1.16.0" \
	    "[anonymous-instance:fc_api] The API server received a Put request on \"/actions\" with body \"{\\\"action_type\\\":\\\"InstanceStart\\\"}\"." \
	    "fake-qemu: console" > want &&
	test_cmp want got
'

# Without i8042.nopnp the break reaches QEMU before the 204 and s, u, b
# follow within 2 s (above): nothing in 2.5 s is the proof.
test_expect_success 'fake qemu: with i8042.nopnp, SendCtrlAltDel is a 204, no more' '
	req PUT /actions "{\"action_type\":\"SendCtrlAltDel\"}" &&
	head -1 out | grep -qx 204 &&
	grep -q "SendCtrlAltDel: i8042.nopnp .*nothing sent" fq2.err &&
	sleep 2.5 &&
	kill -0 $(cat fq2.pid) && req GET / &&
	grep -qF "\"state\":\"Running\"" out &&
	! grep -q chardev-send-break fq2/qmp && test ! -e fq2/console-in
'
kill -9 "$(cat fq2.pid)" 2>/dev/null

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
	    'fc boot: with i8042.nopnp, SendCtrlAltDel is a 204 the guest never sees' \
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
	tail -1 got > fcb-args &&
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

# Firecracker >= 1.12 never delivers SendCtrlAltDel to a guest booted
# with i8042.nopnp (nor does the fixture): say so rather than time out.
test_expect_success 'fc boot: SendCtrlAltDel reboots the guest, the VMM exits 0' '
	{ ! tr " " "\n" < fcb-args | grep -qx i8042.nopnp ||
	    { echo "banger boots Firecracker guests with i8042.nopnp: since Firecracker 1.12 such a guest never sees SendCtrlAltDel"; false; }; } &&
	"$CLI" fc-ctrl-alt-del fcvm &&
	{ { wait_gone $(cat fcb.pid) 30 && test "$(status_of fcb)" = 0; } ||
	    { echo "fixture exited $(cat fcb.status 2>/dev/null)"; cat fcb.err; false; }; } &&
	grep -q "sysrq: Emergency Sync" "$FCSER" &&
	grep -q "the guest rebooted" fcb.err &&
	grep -q "\[anonymous-instance:main\] Vmm is stopping\.\$" "$FCSER"
'
# A guest that did not reboot (above) would keep bgtap2 from the next.
[ -s fcb.status ] || { kill -9 "$(cat fcb.pid)"; wait_gone "$(cat fcb.pid)" 10; } \
    > /dev/null 2>&1

test_expect_success 'fc boot: the API socket stays; a new VMM needs it removed' '
	test -S "$SOCK" &&
	must_fail 1 "$FIX" --api-sock "$SOCK" 2> err &&
	grep -q FailedToBindSocket err
'

rm -f "$SOCK"
spawn fix3 ip netns exec "$NS" "$FIX" --api-sock "$SOCK" > fix3.out 2> fix3.err
wait_sock "$SOCK" >&2

# fcvm again, configured by hand as bg_fc_boot() did, but with
# i8042.nopnp in its boot_args whatever banger puts there.  With the
# SysRq the guest is gone 2 s after SendCtrlAltDel (s, u, b a second
# apart, then an immediate reboot: above): still there 3 s later, and
# still answering, is the proof that nothing reached it.
test_expect_success 'fc boot: with i8042.nopnp, SendCtrlAltDel is a 204 the guest never sees' '
	args="$(tr " " "\n" < fcb-args | grep -vx i8042.nopnp | tr "\n" " ")i8042.nopnp" &&
	req PUT /machine-config "{\"vcpu_count\":1,\"mem_size_mib\":256}" &&
	req PUT /boot-source "{\"kernel_image_path\":\"$STATE/kernels/$KNAME/vmlinux\",\"initrd_path\":\"$STATE/kernels/$KNAME/initrd.img\",\"boot_args\":\"$args\"}" &&
	req PUT /drives/rootfs "{\"drive_id\":\"rootfs\",\"path_on_host\":\"$STATE/vms/fcvm/rootfs.ext4\",\"is_root_device\":true,\"is_read_only\":false}" &&
	req PUT /drives/work "{\"drive_id\":\"work\",\"path_on_host\":\"$STATE/vms/fcvm/work.ext4\",\"is_root_device\":false,\"is_read_only\":false}" &&
	req PUT /network-interfaces/eth0 "{\"iface_id\":\"eth0\",\"host_dev_name\":\"bgtap2\",\"guest_mac\":\"06:00:ac:10:00:02\"}" &&
	req PUT /actions "{\"action_type\":\"InstanceStart\"}" &&
	{ wait_ssh 172.16.0.2 $(cat fix3.pid) || serial fix3.out; } &&
	"$CLI" fc-ctrl-alt-del fcvm &&
	grep -q "SendCtrlAltDel: i8042.nopnp .*nothing sent" fix3.err &&
	sleep 3 &&
	kill -0 $(cat fix3.pid) && req GET / &&
	grep -qF "\"state\":\"Running\"" out &&
	gssh 172.16.0.2 hostname > got && echo fcvm > want && test_cmp want got &&
	! grep -q "sysrq" fix3.out
'

test_expect_success 'fc boot: killing the VMM kills its QEMU' '
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
