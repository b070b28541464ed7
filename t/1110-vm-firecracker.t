#!/bin/bash
# The same lifecycle with vmm = "firecracker": banger's Firecracker driver
# (API over the unix socket) against t/fc-fixture, which speaks
# Firecracker's published API and boots the guest with QEMU underneath.
if [ "${BANGER_SANDBOX:-0}" != 1 ]; then
	TOP=$(cd "$(dirname "$0")/.." && pwd)
	if [ "$(id -u)" != 0 ] || [ ! -f "$TOP/build/images/test/rootfs.ext4" ] ||
	    [ ! -x "$TOP/build/t/fc-fixture" ]; then
		. "$TOP/t/lib.sh"
		test_skip 'Firecracker lifecycle' 'needs root, make and make images'
		test_done
	fi
	exec "$TOP/t/with-sandbox" "$0" "$@"
fi
. "${0%/*}/lib.sh"

STATE=$BANGER_ROOT/var/lib/banger
RUN=$BANGER_ROOT/run/banger
sed -i 's/^vmm = .*/vmm = "firecracker"/' "$HOME/.config/banger/config.toml"
state_of() { banger --json vm show "$1" | sed -n 's/.*"state":"\([a-z]*\)".*/\1/p'; }

test_expect_success 'vm run -- uname -a through the Firecracker API' '
	banger vm run --rm --name f1 -- uname -a >out 2>err &&
	grep -q "^Linux f1 6\.1\." out && ! test -d "$STATE/vms/f1"
'
test_expect_success 'exit status comes back' '
	must_fail 7 banger vm run --rm -- sh -c "exit 7" 2>/dev/null
'
test_expect_success 'create, start: running with vmm firecracker, console in serial.log' '
	banger vm create --name f2 >/dev/null 2>&1 &&
	banger --json vm show f2 | grep -q "\"vmm\":\"firecracker\"" &&
	banger vm start f2 >/dev/null 2>&1 &&
	test "$(state_of f2)" = running &&
	test -S "$RUN/vms/f2/vmm.sock"
'
cat >"$TRASH/put.pl" <<'PERL'
# put.pl SOCKET BODY: one HTTP PUT /actions on a unix socket; print the answer.
use IO::Socket::UNIX;
my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!";
my $b = $ARGV[1];
print $s "PUT /actions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    . "Content-Length: " . length($b) . "\r\nConnection: close\r\n\r\n$b";
shutdown($s, 1);
local $/; print <$s>;
PERL
test_expect_success 'the API refuses a second InstanceStart, as Firecracker does' '
	perl "$TRASH/put.pl" "$RUN/vms/f2/vmm.sock" "{\"action_type\":\"InstanceStart\"}" >resp &&
	grep -q "^HTTP/1.1 400" resp && grep -q fault_message resp
'
test_expect_success 'vm stop sends Ctrl-Alt-Del and the VMM exits' '
	banger vm stop --timeout 30 f2 >out 2>&1 &&
	test "$(state_of f2)" = stopped &&
	banger --json vm stop f2 | grep -q "\"was_running\":false"
'
test_expect_success 'kill -9 of the VMM shows stopped; delete leaves nothing' '
	banger vm start f2 >/dev/null 2>&1 &&
	kill -9 "$(cat "$RUN/vms/f2/pid")" &&
	i=0; while [ "$(state_of f2)" != stopped ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done &&
	test "$(state_of f2)" = stopped &&
	banger vm delete f2 >/dev/null 2>&1 &&
	! test -d "$STATE/vms/f2" && ! ip -o link show | grep -q bgtap
'
test_done
