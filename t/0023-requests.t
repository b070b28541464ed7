#!/bin/sh
# Every helper checks its request against its declared fields before it
# touches anything (lib/verb.c): an unknown key, a wrong type, a number
# out of range or with a fraction, a missing field is bad_request, exit
# 100, and nothing is made.  A failure is logged once on stderr with the
# verb and the peer.
. "${0%/*}/lib.sh"

X=$B/libexec/banger
STATE=$BANGER_ROOT/var/lib/banger
PUB="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBanGerBanGerBanGerBanGerBanGerBanGerBanG test"
# A complete vm-create request but for what the test changes (jq).
create_req() {
	jq -nc --arg pub "$PUB" '{name:"c1",image:"test",kernel:"k",vcpu:1,
	    memory_mib:256,disk_bytes:1073741824,ssh_pubkey:$pub,vmm:"qemu",
	    accel:"tcg"}' | jq -c "$1"
}
nothing_made() { ! test -e "$STATE/vms" || test -z "$(ls -A "$STATE/vms")"; }

# An image and a kernel, so that only the field under test is wrong.
mkdir -p "$STATE/images/test" "$STATE/kernels/k"
truncate -s 16M "$STATE/images/test/rootfs.ext4"
echo v >"$STATE/kernels/k/vmlinux"
echo i >"$STATE/kernels/k/initrd.img"

test_expect_success 'vm-create with vmm "bogus": bad_request, exit 100, nothing made' '
	create_req ".vmm = \"bogus\"" | must_fail 100 "$X/vm-create" >out 2>err &&
	jq -e ".ok == false and .error.code == \"bad_request\"" out >/dev/null &&
	jq -r .error.message out | grep -q "\"vmm\" must be a VMM: qemu or firecracker" &&
	nothing_made && ! test -e "$STATE/lock.tmp"
'
test_expect_success 'vm-create: a missing field names the field and its rule, nothing made' '
	create_req "del(.vcpu)" | must_fail 100 "$X/vm-create" >out 2>err &&
	jq -r .error.message out | grep -q "\"vcpu\" must be an integer from 1 to 32" &&
	nothing_made
'
test_expect_success 'vm-create: a fraction, a string for a number, a number out of range' '
	create_req ".memory_mib = 256.5" | must_fail 100 "$X/vm-create" >out 2>err &&
	create_req ".vcpu = \"1\"" | must_fail 100 "$X/vm-create" >out 2>err &&
	create_req ".disk_bytes = 1e30" | must_fail 100 "$X/vm-create" >out 2>err &&
	create_req ".vcpu = 33" | must_fail 100 "$X/vm-create" >out 2>err &&
	nothing_made
'
test_expect_success 'vm-create: a vmm_bin that is not an absolute path is refused' '
	create_req ".vmm_bin = \"fc\"" | must_fail 100 "$X/vm-create" >out 2>err &&
	create_req ".vmm_bin = \"/usr/../bin/fc\"" | must_fail 100 "$X/vm-create" >out 2>err &&
	create_req ".vmm_bin = \"/usr/bin/\"" | must_fail 100 "$X/vm-create" >out 2>err &&
	nothing_made
'
test_expect_success 'vm-create: a file_sync entry with an extra key is refused' '
	create_req ".file_sync = [{host:\"/etc/hostname\",guest:\"h\",x:1}]" |
		must_fail 100 "$X/vm-create" >out 2>err &&
	jq -r .error.message out | grep -q "file_sync entry 1" && nothing_made
'
test_expect_success 'vm-create: a missing image is not_found, nothing made' '
	create_req ".image = \"nope\"" | must_fail 1 "$X/vm-create" >out 2>err &&
	nothing_made
'
test_expect_success 'vm-create: a good request makes the VM (the schema is not too strict)' '
	create_req . | "$X/vm-create" >out 2>err &&
	jq -e ".ok and .result.state == \"stopped\" and .result.vmm == \"qemu\"" out >/dev/null &&
	test -f "$STATE/vms/c1/work.ext4" &&
	printf "{\"name\":\"c1\"}\n" | "$X/vm-delete" >out 2>err &&
	nothing_made
'
test_expect_success 'vm-stop: a fractional timeout_s is refused (exit 100)' '
	printf "{\"name\":\"a\",\"timeout_s\":1.5}\n" | must_fail 100 "$X/vm-stop" >out 2>err &&
	jq -r .error.message out | grep -q "\"timeout_s\" must be an integer from 0 to 600"
'
test_expect_success 'vm-logs: a negative tail_bytes and a non-bool follow are refused' '
	printf "{\"name\":\"a\",\"tail_bytes\":-1}\n" | must_fail 100 "$X/vm-logs" >out 2>err &&
	printf "{\"name\":\"a\",\"follow\":1}\n" | must_fail 100 "$X/vm-logs" >out 2>err
'
test_expect_success 'an unknown key is refused by every helper, naming it' '
	for v in vm-list vm-show vm-start vm-stop vm-delete vm-logs vm-prune \
	    image-list kernel-list image-delete image-register doctor; do
		printf "{\"frob\":1,\"name\":\"a\"}\n" | "$X/$v" >out 2>err; st=$?
		test $st = 100 && jq -r .error.message out | grep -q "unknown request key \"frob\"" ||
			{ echo "$v: exit $st"; cat out; return 1; }
	done
'
test_expect_success 'a half-made VM (no vm.json) says banger vm prune removes it' '
	mkdir -p "$STATE/vms/half" &&
	printf "{\"name\":\"half\"}\n" | must_fail 1 "$X/vm-show" >out 2>err &&
	jq -r .error.message out | grep -q "half-made? banger vm prune removes it" &&
	printf "{\"name\":\"half\"}\n" | must_fail 1 "$X/vm-start" >out 2>err &&
	jq -r .error.message out | grep -q "banger vm prune removes it" &&
	rm -rf "$STATE/vms/half"
'
test_expect_success 'a failure is logged on stderr with the verb' '
	printf "{\"name\":\"nope\"}\n" | must_fail 1 "$X/vm-show" >out 2>err &&
	grep -q "^banger-vm-show: not_found: no VM named \"nope\"" err
'
# utf8_ok FILE: every byte of FILE is UTF-8 (perl's strict decoder; jq
# would replace a bad byte silently).
utf8_ok() {
	perl -MEncode -e 'local $/; my $b = <STDIN>;
	    decode("UTF-8", $b, Encode::FB_CROAK); 1' <"$1"
}
test_expect_success 'a request that is not UTF-8 is refused, and the answer is UTF-8' '
	printf "{\"fr\377ob\":1}\n" | must_fail 100 "$X/vm-list" >out 2>err &&
	utf8_ok out &&
	jq -r .error.message out | grep -q "not valid UTF-8" &&
	printf "{\"name\":\"caf\351\"}\n" | must_fail 100 "$X/vm-show" >out 2>err &&
	utf8_ok out &&
	jq -e ".error.code == \"bad_request\"" out >/dev/null
'
test_expect_success 'vm-create: a file_sync guest path that is not UTF-8 is refused, nothing made' '
	create_req ".file_sync = [{host:\"/etc/hostname\",guest:\"hXX\"}]" |
		perl -pe "s/XX/\xff/" | must_fail 100 "$X/vm-create" >out 2>err &&
	utf8_ok out &&
	jq -r .error.message out | grep -q "not valid UTF-8" &&
	nothing_made
'
test_expect_success 'a file name that is not UTF-8 reaches the client as ?, in UTF-8' '
	mkdir -p sync &&
	ln -s /etc/hostname "$(printf "sync/l\377")" &&
	create_req ".name = \"u8\" | .file_sync = [{host:\"$TRASH/sync\",guest:\"s\"}]" |
		"$X/vm-create" >out 2>err &&
	utf8_ok out &&
	jq -r "select(.event == \"log\") | .message" out | grep -q "skipped the symlink $TRASH/sync/l? " &&
	jq -e "select(.ok != null) | .ok" out >/dev/null
'
test_expect_success 'vm-logs: console bytes that are not UTF-8 become ?, whole characters are kept' '
	{ head -c 16383 /dev/zero | tr "\0" a && printf "\303\251 bad \377 end\n"; } \
		>"$STATE/vms/u8/serial.log" &&
	printf "{\"name\":\"u8\"}\n" | "$X/vm-logs" >out 2>err &&
	utf8_ok out &&
	jq -j "select(.event == \"output\") | .data" out | tail -c 13 >got &&
	printf "\303\251 bad ? end\n" >want && test_cmp want got &&
	printf "{\"name\":\"u8\"}\n" | "$X/vm-delete" >out 2>err &&
	nothing_made
'
test_expect_success 'a request nested too deep is told so (64 levels at most)' '
	perl -e "print q({\"a\":), q([) x 63, q(]) x 63, qq(}\n)" |
		must_fail 100 "$X/vm-list" >out 2>err &&
	jq -r .error.message out | grep -q "unknown request key \"a\"" &&
	for n in 64 100 2000; do
		perl -e "print q({\"a\":), q([) x \$ARGV[0], q(]) x \$ARGV[0], qq(}\n)" $n |
			must_fail 100 "$X/vm-list" >out 2>err &&
		jq -r .error.message out >msg &&
		echo "the request is nested more than 64 deep" >want &&
		test_cmp want msg || return 1
	done
'
if [ "$(id -u)" = 0 ] && command -v s6-ipcserver >/dev/null; then
	test_expect_success 'over a socket the log line names the peer uid and pid' '
		{ s6-ipcserver -a 0666 "$TRASH/s.sock" "$X/dispatch" >/dev/null 2>"$TRASH/s6.err" & } &&
		echo $! >s6.pid &&
		i=0 && while [ ! -S s.sock ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done &&
		s6-ipcclient "$TRASH/s.sock" sh -c "trap \"\" PIPE; printf \"vm-show\n{\\\"name\\\":\\\"nope\\\"}\n\" >&7; cat <&6; exit 0" >out &&
		jq -e ".error.code == \"not_found\"" out >/dev/null &&
		i=0 && while ! grep -q "banger-vm-show: uid 0 pid [0-9]*: not_found" s6.err && [ $i -lt 100 ]; do
			sleep 0.05; i=$((i + 1)); done &&
		grep -q "banger-vm-show: uid 0 pid [0-9]*: not_found" s6.err
	'
	at_exit 'kill $(cat "$TRASH"/s6.pid)'
else
	test_skip 'over a socket the log line names the peer uid and pid' 'needs root and s6'
fi
test_expect_success 'root-tap-add: an index with a fraction is refused (exit 100)' '
	printf "{\"index\":2.5}\n" | must_fail 100 "$X/root-tap-add" >out 2>err &&
	jq -r .error.message out | grep -q "\"index\" must be an integer from 2 to 254"
'
test_done
