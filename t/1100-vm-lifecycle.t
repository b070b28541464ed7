#!/bin/bash
# Real guests (QEMU TCG) through the whole chain: CLI as the owner ->
# owner socket -> dispatch -> helpers -> root socket -> root helpers,
# in t/with-sandbox's private state root and network namespace.
if [ "${BANGER_SANDBOX:-0}" != 1 ]; then
	TOP=$(cd "$(dirname "$0")/.." && pwd)
	if [ "$(id -u)" != 0 ] || [ ! -f "$TOP/build/images/test/rootfs.ext4" ] ||
	    ! command -v qemu-system-x86_64 >/dev/null; then
		. "$TOP/t/lib.sh"
		test_skip 'VM lifecycle with real guests' 'needs root, QEMU and make images'
		test_done
	fi
	exec "$TOP/t/with-sandbox" "$0" "$@"
fi
. "${0%/*}/lib.sh"

STATE=$BANGER_ROOT/var/lib/banger
RUN=$BANGER_ROOT/run/banger
KH=$STATE/ssh/known_hosts
KEY=$HOME/.local/state/banger/ssh/id_ed25519
gssh() { # gssh IP CMD...: ssh into a guest with banger's key and known_hosts
	ip=$1; shift
	ssh -i "$KEY" -o IdentitiesOnly=yes -o UserKnownHostsFile="$KH" \
		-o StrictHostKeyChecking=yes -o BatchMode=yes -o LogLevel=ERROR \
		-o ConnectTimeout=10 "root@$ip" "$@"
}
state_of() { banger --json vm show "$1" | jq -r .state; }
wait_ssh() { # IP: up to 90 s, one connection attempt at a time
	i=0
	while [ $i -lt 180 ]; do
		gssh "$1" true 2>/dev/null && return 0
		sleep 0.5; i=$((i + 1))
	done
	return 1
}

test_expect_success 'image list and kernel list show what is installed' '
	banger image list >out &&
	grep -q "^NAME  *STATE  *VERSION  *SIZE  *ORIGIN$" out && grep -q "^test  *ready  *[0-9a-f]\{16\}  *96M  *-$" out &&
	banger kernel list >out &&
	grep -q "^debian-[0-9.]*-[0-9]*-amd64  *ready  *[0-9.]*-[0-9]*-amd64  *[67][0-9]M  *linux-image-[0-9.]*-[0-9]*-amd64 .*$" out &&
	BANGER_COMPLETE=images banger completion bash >out && test "$(cat out)" = test
'
test_expect_success 'vm run -- uname -a prints the guest kernel' '
	banger vm run --rm --name k1 -- uname -a >out 2>err &&
	grep -q "^Linux k1 6\.1\..*x86_64" out &&
	grep -q "^spec: 1 vCPU (config), 512 MiB RAM (config), 1 GiB disk (config)" err &&
	! test -d "$STATE/vms/k1"
'
test_expect_success 'vm run -- sh -c "exit 7" exits 7' '
	must_fail 7 banger vm run --rm --name k2 -- sh -c "exit 7" 2>err &&
	! test -d "$STATE/vms/k2"
'
test_expect_success 'the command runs with its arguments intact' '
	banger vm run --rm -- printf "%s|" "a b" "it'"'"'s" "\$HOME" >out 2>/dev/null &&
	test "$(cat out)" = "a b|it'"'"'s|\$HOME|"
'
test_expect_success 'interactive vm run through a pty runs a command and leaves the VM running' '
	printf "echo HELLO-\$((40+2))\nexit\n" |
		script -qec "banger vm run --name inter" /dev/null >out 2>&1 &&
	grep -q HELLO-42 out &&
	test "$(state_of inter)" = running
'
test_expect_success 'two VMs get distinct addresses and reach each other and the bridge' '
	banger vm create --name two >/dev/null 2>&1 && banger vm start two >/dev/null 2>&1 &&
	ipa=$(banger --json vm show inter | jq -r .ip) &&
	ipb=$(banger --json vm show two | jq -r .ip) &&
	test -n "$ipa" && test -n "$ipb" && test "$ipa" != "$ipb" &&
	wait_ssh "$ipb" &&
	gssh "$ipa" ping -c1 -W5 "$ipb" >/dev/null &&
	gssh "$ipb" ping -c1 -W5 "$ipa" >/dev/null &&
	gssh "$ipa" ping -c1 -W5 172.16.0.1 >/dev/null
'
test_expect_success 'vm ssh runs a command with the pinned host key and returns its status' '
	test "$(banger vm ssh two -- hostname)" = two &&
	must_fail 3 banger vm ssh two -- sh -c "exit 3" &&
	must_fail 1 banger vm ssh nosuchvm -- true 2>/dev/null
'
test_expect_success 'ssh-config: plain ssh NAME.vm reaches the VM through the installed config' '
	banger ssh-config >/dev/null 2>&1 &&
	banger ssh-config --install >/dev/null 2>&1 &&
	grep -q "^Host two\.vm" "$HOME/.config/banger/ssh_config" &&
	test "$(ssh -F "$HOME/.ssh/config" -o BatchMode=yes two.vm hostname)" = two &&
	banger ssh-config --uninstall >/dev/null 2>&1
'
test_expect_success 'a changed host key is refused (no trust on first use)' '
	cp "$KH" kh.orig &&
	sed -i "s/^\([^ ]*two\.vm\) .*/\1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl/" "$KH" &&
	{ banger vm ssh two -- true 2>err; st=$?; } &&
	cp kh.orig "$KH" && test $st != 0 &&
	grep -qi "host key\|verification failed" err
'
test_expect_success 'vm list shows both running, with their addresses' '
	banger vm list >out &&
	grep -q "^inter  *running  *172\.16\.0\." out &&
	grep -q "^two  *running  *172\.16\.0\." out
'
test_expect_success 'stop (graceful: the power button, not a forced quit), start and delete move the states' '
	tap=$(banger --json vm show two | jq -r .tap) &&
	ip link show "$tap" >/dev/null &&
	banger --json vm stop --timeout 30 two >out 2>&1 &&
	grep -q "\"forced\":false" out &&
	test "$(state_of two)" = stopped &&
	banger vm logs two | grep -q "reboot: Power down" &&
	banger vm start two >/dev/null 2>&1 &&
	test "$(state_of two)" = running &&
	banger vm delete two >/dev/null 2>&1 &&
	must_fail 1 banger vm show two 2>/dev/null &&
	! test -d "$STATE/vms/two" && ! test -d "$RUN/vms/two" &&
	! grep -q "two\.vm" "$KH" && ! ip link show "$tap" 2>/dev/null
'
test_expect_success 'kill -9 of the VMM: the VM shows stopped, and starts again' '
	kill -9 "$(cat "$RUN/vms/inter/pid")" &&
	i=0 && while [ "$(state_of inter)" != stopped ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done &&
	test "$(state_of inter)" = stopped &&
	banger vm start inter >/dev/null 2>&1 &&
	test "$(state_of inter)" = running &&
	banger vm delete inter >/dev/null 2>&1
'
test_expect_success 'kill -9 of vm-create at several points, then vm prune: nothing left' '
	pub=$(cat "$KEY.pub") && half=0 &&
	for delay in 0.003 0.006 0.01 0.015 0.02 0.025 0.03 0.035 0.04 0.05 0.07; do
		printf "{\"name\":\"crash\",\"image\":\"test\",\"vcpu\":1,\"memory_mib\":256,\"disk_bytes\":1073741824,\"ssh_pubkey\":\"%s\",\"vmm\":\"qemu\",\"accel\":\"tcg\"}\n" "$pub" |
			"$BANGER_LIBEXECDIR/vm-create" >/dev/null 2>&1 &
		pid=$!; sleep $delay; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
		# Count the kills that really left a half-made VM behind.
		grep -qs "\"status\":\"creating\"" "$STATE/vms/crash/vm.json" && half=$((half + 1))
		banger vm prune >/dev/null 2>&1 || { echo "prune failed after $delay"; return 1; }
		if test -e "$STATE/vms/crash" || test -e "$RUN/vms/crash" ||
		    grep -q crash "$KH" 2>/dev/null || ip -o link show | grep -q bgtap; then
			echo "leftovers after a kill at $delay s"; ls -la "$STATE/vms"; return 1
		fi
	done &&
	echo "half-made VMs: $half" && test $half -ge 2 &&
	: >"$STATE/ssh/.known_hosts.tmp999.0" &&
	banger vm prune >/dev/null 2>&1 && ! ls -A "$STATE/ssh" | grep -q "\.tmp"
'
test_expect_success 'vm prune keeps running VMs and removes stopped ones' '
	banger vm create --name keep >/dev/null 2>&1 && banger vm start keep >/dev/null 2>&1 &&
	banger vm create --name gone >/dev/null 2>&1 &&
	banger vm prune >out 2>&1 &&
	test "$(state_of keep)" = running && ! test -d "$STATE/vms/gone" &&
	banger vm stop --timeout 0 keep >/dev/null 2>&1 && banger vm prune >/dev/null 2>&1 &&
	! test -d "$STATE/vms/keep" && ! ip -o link show | grep -q bgtap
'
test_expect_success '--rm keeps the VM when the first ssh wait times out' '
	{ banger vm run --rm --ssh-timeout 1 --name slow -- true >out 2>err; st=$?; } &&
	test $st = 111 && grep -q "kept for inspection" err &&
	test -d "$STATE/vms/slow" &&
	banger vm delete slow >/dev/null 2>&1 && ! test -d "$STATE/vms/slow"
'
test_expect_success 'vm logs shows the guest console' '
	banger vm create --name logs >/dev/null 2>&1 && banger vm start logs >/dev/null 2>&1 &&
	ipl=$(banger --json vm show logs | jq -r .ip) &&
	wait_ssh "$ipl" &&
	banger vm logs logs >out &&
	grep -q "banger-init:" out
'
test_expect_success 'vm logs -f follows the console and ends when the VM stops' '
	{ banger vm logs -f logs >follow 2>&1 & } && fpid=$! &&
	sleep 1 && kill -0 $fpid &&
	banger vm stop --timeout 0 logs >/dev/null 2>&1 &&
	i=0 && while kill -0 $fpid 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done &&
	! kill -0 $fpid 2>/dev/null && wait $fpid &&
	grep -q "banger-init:" follow &&
	banger vm delete logs >/dev/null 2>&1
'
test_done
