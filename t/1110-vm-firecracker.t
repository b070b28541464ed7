#!/bin/bash
# The same lifecycle with vmm = "firecracker": banger's Firecracker driver
# (API over the unix socket) against t/fc-fixture, which speaks
# Firecracker's published API (as of v1.16) and boots the guest with QEMU
# underneath.  The fixture is found the way a user's Firecracker is:
# firecracker_bin in the config, here a copy in a directory of its own.
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
CFG=$HOME/.config/banger/config.toml
mkdir -p "$TRASH/fc" && cp "$B/t/fc-fixture" "$TRASH/fc/firecracker"
# The same fixture, with the instant between its bind and its listen
# widened to 300 ms (Firecracker's is microseconds): the driver's
# connect must retry a refused socket.
printf '#!/bin/sh\nFC_FIXTURE_LISTEN_DELAY_MS=300 exec %s "$@"\n' "$TRASH/fc/firecracker" \
	>"$TRASH/fc/slow-firecracker" && chmod 0755 "$TRASH/fc/slow-firecracker"
# Top-level keys: before the config's [vm_defaults] table.
sed -i "s/^vmm = .*/vmm = \"firecracker\"\nfirecracker_bin = \"${TRASH//\//\\/}\/fc\/firecracker\"/" "$CFG"
state_of() { banger --json vm show "$1" | jq -r .state; }

test_expect_success 'vm run -- uname -a through the Firecracker API (firecracker_bin)' '
	banger vm run --rm --name f1 -- uname -a >out 2>err &&
	grep -q "^Linux f1 6\.1\." out && ! test -d "$STATE/vms/f1"
'
test_expect_success 'the kernel'"'"'s modules.ext4 through the API: /dev/vdc, a read-only drive, mounted read-only' '
	banger vm run --rm --name f4 -- sh -c "cat /sys/block/vdc/ro; cat /proc/mounts" >out 2>err &&
	test "$(head -n 1 out)" = 1 &&
	grep -q "^/dev/vdc /lib/modules/6\.1\.[^ ]* ext4 ro," out || { cat out err; false; }
'
test_expect_success 'exit status comes back' '
	must_fail 7 banger vm run --rm -- sh -c "exit 7" 2>/dev/null
'
test_expect_success 'a socket that refuses for a while after it appears: the API client retries' '
	sed -i "s|^firecracker_bin = .*|firecracker_bin = \"$TRASH/fc/slow-firecracker\"|" "$CFG" &&
	banger vm run --rm --name f3 -- true 2>err &&
	! test -d "$STATE/vms/f3" &&
	sed -i "s|^firecracker_bin = .*|firecracker_bin = \"$TRASH/fc/firecracker\"|" "$CFG"
'
test_expect_success 'create, start: running with vmm firecracker, vmm_bin kept, console alone in serial.log' '
	banger vm create --name f2 >/dev/null 2>&1 &&
	banger --json vm show f2 >show &&
	jq -e ".vmm == \"firecracker\" and .vmm_bin == \"$TRASH/fc/firecracker\"" show >/dev/null &&
	banger vm start f2 >/dev/null 2>&1 &&
	test "$(state_of f2)" = running &&
	test -S "$RUN/vms/f2/vmm.sock" &&
	i=0 && while ! grep -q "banger-init: exec /sbin/init" "$STATE/vms/f2/serial.log" &&
	    test $i -lt 600; do sleep 0.1; i=$((i + 1)); done &&
	grep -q "Running Firecracker v1\.16" "$STATE/vms/f2/firecracker.log" &&
	! grep -q "Running Firecracker" "$STATE/vms/f2/serial.log" &&
	! grep -q "i8042.nopnp" "$STATE/vms/f2/serial.log" 2>/dev/null
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
test_expect_success 'vm stop sends Ctrl-Alt-Del and the guest shuts down by itself (not forced)' '
	banger --json vm stop --timeout 30 f2 >out 2>err &&
	jq -e ".forced == false and .was_running == true" out >/dev/null &&
	test "$(state_of f2)" = stopped &&
	banger --json vm stop f2 | jq -e ".was_running == false" >/dev/null
'
test_expect_success 'kill -9 of the VMM shows stopped; delete leaves nothing' '
	banger vm start f2 >/dev/null 2>&1 &&
	kill -9 "$(cat "$RUN/vms/f2/pid")" &&
	i=0 && while [ "$(state_of f2)" != stopped ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done &&
	test "$(state_of f2)" = stopped &&
	banger vm delete f2 >/dev/null 2>&1 &&
	! test -d "$STATE/vms/f2" && ! ip -o link show | grep -q bgtap
'
test_done
