#!/bin/sh
# The helper chain: dispatch and vm-list through a pipe, through
# systemd-socket-activate --accept --inetd and through s6-ipcserver,
# and SO_PEERCRED refusal of a foreign uid.
. "${0%/*}/lib.sh"

X=$B/libexec/banger
SOCK=$TRASH/d.sock
STATE=$BANGER_ROOT/var/lib/banger

# ask SOCKET REQUEST-TEXT: send it over a real connection, print the answer.
ask() {
	s6-ipcclient "$1" sh -c 'trap "" PIPE; printf "%b" "$0" >&7; cat <&6; exit 0' "$2"
}

# ask_eof SOCKET TEXT: the same, then shut down the write side (EOF).
ask_eof() {
	perl -MIO::Socket::UNIX -e '
		my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!";
		print $s $ARGV[1]; shutdown($s, 1); print while <$s>;' "$1" "$2"
}

# trickle SOCKET TIMEFILE: the verb line one byte a second, then a
# request line that never ends, one byte every half second, until the
# answer comes; prints the answer, and the seconds from connecting to
# the answer in TIMEFILE.
trickle() {
	perl -MIO::Socket::UNIX -MTime::HiRes=time -e '
		$SIG{PIPE} = "IGNORE";
		my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!";
		my $t0 = time;
		my ($gap, $rin) = (1, "");
		vec($rin, fileno($s), 1) = 1;
		for my $c (split(//, "vm-list\n"), "{", (" ") x 100) {
			print $s $c or last;
			$gap = 0.5 if $c eq "\n";
			last if select(my $r = $rin, undef, undef, $gap);
		}
		my $ans = do { local $/; <$s> };
		my $t = time - $t0;
		print $ans;
		open(my $f, ">", $ARGV[1]) or die "$ARGV[1]: $!";
		printf $f "%.1f\n", $t;' "$1" "$2"
}

# vmjson NAME SLOT: a complete, valid vm.json.
vmjson() {
	printf '{"name":"%s","status":"created","image":"test","kernel":"k","vcpu":1,"memory_mib":256,"disk_bytes":1073741824,"slot":%s,"vmm":"qemu","accel":"tcg","created_at":"2026-11-28T12:00:00Z"}\n' "$1" "$2"
}

wait_sock() {
	i=0
	while [ ! -S "$1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -S "$1" ]
}

test_expect_success 'vm-list in a pipe, no VMs' '
	printf "{}\n" | "$X/vm-list" >out &&
	echo "{\"ok\":true,\"result\":{\"vms\":[]}}" >want &&
	test_cmp want out
'

test_expect_success 'vm-list rejects unknown request keys (exit 100)' '
	printf "{\"v\":1,\"bogus\":1}\n" | must_fail 100 "$X/vm-list" >out &&
	grep -q "\"code\":\"bad_request\"" out && grep -q bogus out
'

test_expect_success 'vm-list rejects garbage and oversize requests (exit 100)' '
	printf "not json\n" | must_fail 100 "$X/vm-list" >out &&
	grep -q "not one valid JSON object" out &&
	head -c 70000 /dev/zero | tr "\0" x | must_fail 100 "$X/vm-list" >out &&
	grep -q "larger than 65536" out
'

test_expect_success 'vm-list shows stopped, running and broken VMs' '
	mkdir -p "$STATE/vms/b" "$STATE/vms/a" "$STATE/vms/c" "$STATE/vms/Bad.Name" &&
	vmjson a 2 >"$STATE/vms/a/vm.json" &&
	vmjson b 3 >"$STATE/vms/b/vm.json" &&
	echo "{broken" >"$STATE/vms/c/vm.json" &&
	mkdir -p "$BANGER_ROOT/run/banger/vms/b" &&
	flock "$BANGER_ROOT/run/banger/vms/b/lock" sh -c "trap \"\" PIPE; printf \"{}\n\" | \"$X/vm-list\"" >out &&
	grep -q "{\"name\":\"a\",\"state\":\"stopped\",\"ip\":\"172.16.0.2\",\"image\":\"test\"" out &&
	grep -q "{\"name\":\"b\",\"state\":\"running\",\"ip\":\"172.16.0.3\"" out &&
	grep -q "{\"name\":\"c\",\"state\":\"broken\"}" out &&
	test "$(grep -o "\"name\":\"[a-z]*\"" out | tr -d "\n")" = "\"name\":\"a\"\"name\":\"b\"\"name\":\"c\"" &&
	printf "{}\n" | "$X/vm-list" | grep -q "\"name\":\"b\",\"state\":\"stopped\"" &&
	rm -rf "$STATE/vms"
'

test_expect_success 'vm-list says unknown, not stopped, when the lock cannot be probed' '
	mkdir -p "$STATE/vms/u" "$BANGER_ROOT/run/banger/vms/u" &&
	vmjson u 4 >"$STATE/vms/u/vm.json" &&
	ln -s /etc/passwd "$BANGER_ROOT/run/banger/vms/u/lock" &&
	printf "{}\n" | "$X/vm-list" >out &&
	grep -q "\"name\":\"u\",\"state\":\"unknown\",\"error\":" out &&
	rm -rf "$STATE/vms" "$BANGER_ROOT/run/banger/vms"
'

test_expect_success 'dispatch routes a verb read from a pipe' '
	printf "vm-list\n{}\n" | "$X/dispatch" >out &&
	echo "{\"ok\":true,\"result\":{\"vms\":[]}}" >want &&
	test_cmp want out
'

test_expect_success 'dispatch: unknown verb is unknown_verb, exit 100' '
	printf "frobnicate\n{}\n" | must_fail 100 "$X/dispatch" >out &&
	grep -q "^{\"ok\":false,\"error\":{\"code\":\"unknown_verb\"" out &&
	test $(wc -l <out) = 1
'

test_expect_success 'dispatch: image-import-oci reaches its helper, which checks the request' '
	printf "image-import-oci\n{\"v\":1}\n" | must_fail 100 "$X/dispatch" >out &&
	grep -q "\"code\":\"bad_request\"" out &&
	grep -q "name" out
'

test_expect_success 'dispatch: bad verb lines' '
	printf "../../bin/sh\n{}\n" | must_fail 100 "$X/dispatch" >out &&
	grep -q "must match" out &&
	printf "abcdefghijabcdefghijabcdefghijabcdefghij\n" | must_fail 100 "$X/dispatch" >out &&
	grep -q "longer than 32" out &&
	printf "vm-li" | must_fail 100 "$X/dispatch" >out &&
	grep -q "ended before" out &&
	printf "" | must_fail 100 "$X/dispatch" >out
'

test_expect_success 'dispatch: BANGER_LIBEXECDIR must be absolute' '
	printf "vm-list\n{}\n" | BANGER_LIBEXECDIR=rel must_fail 101 "$X/dispatch" >out &&
	grep -q "bad helper directory" out
'

test_expect_success 'systemd-socket-activate --accept --inetd: real socket' '
	{ systemd-socket-activate --accept --inetd -E BANGER_ROOT -E BANGER_LIBEXECDIR \
		-l "$SOCK" "$X/dispatch" >/dev/null 2>sa.err & } &&
	echo $! >sa.pid &&
	wait_sock "$SOCK" &&
	ask "$SOCK" "vm-list\n{\"v\":1}\n" >out &&
	echo "{\"ok\":true,\"result\":{\"vms\":[]}}" >want &&
	test_cmp want out &&
	ask "$SOCK" "vm-list\n{\"v\":1}\n" >out2 && test_cmp want out2 &&
	ask "$SOCK" "nope\n{}\n" >out3 &&
	grep -q unknown_verb out3 &&
	ask "$SOCK" "vm-list\n{}{}\n" >out4 &&
	grep -q "not one valid JSON object" out4 &&
	kill $(cat sa.pid)
'
at_exit 'kill $(cat "$TRASH"/*.pid) 2>/dev/null'

test_expect_success 's6-ipcserver: real socket, 0600' '
	rm -f "$SOCK" &&
	{ s6-ipcserver -a 0600 "$SOCK" "$X/dispatch" >/dev/null 2>s6.err & } &&
	echo $! >s6.pid &&
	wait_sock "$SOCK" &&
	test "$(stat -c %a "$SOCK")" = 600 &&
	ask "$SOCK" "vm-list\n{}\n" >out &&
	echo "{\"ok\":true,\"result\":{\"vms\":[]}}" >want &&
	test_cmp want out
'

test_expect_success 'a truncated request over a socket is refused' '
	ask_eof "$SOCK" "vm-list
{\"v\":1}" >out &&
	grep -q "\"code\":\"bad_request\".*truncated" out
'

# One read deadline (BANGER_READ_TIMEOUT_MS, 10 s) from the verb line
# to the request's newline: a client that trickles both is cut off 10 s
# after it connected, not 10 s after the helper started (7 + 10 s).
test_expect_success 'a trickling client is cut off 10 s in all, dispatcher and helper' '
	trickle "$SOCK" took >out &&
	jq -e ".error.code == \"bad_request\"" out >/dev/null &&
	jq -r .error.message out | grep -q "did not arrive in time" &&
	perl -e "exit !(\$ARGV[0] > 9 && \$ARGV[0] < 14)" "$(cat took)" ||
		{ echo "answered after $(cat took) s"; false; }
'

test_expect_success 'dispatchers hand the helper the deadline, root-dispatch too' '
	mkdir -p dl &&
	cp "$X/dispatch" "$X/root-dispatch" dl/ &&
	printf "#!/bin/sh\nenv\n" >dl/vm-list &&
	printf "#!/bin/sh\nenv\n" >dl/root-net-setup &&
	chmod +x dl/vm-list dl/root-net-setup &&
	now=$(perl -MTime::HiRes=clock_gettime,CLOCK_MONOTONIC -e "printf q(%d), clock_gettime(CLOCK_MONOTONIC) * 1000") &&
	printf "vm-list\n{}\n" | BANGER_DEADLINE_MS=1 BANGER_LIBEXECDIR="$TRASH/dl" dl/dispatch >env1 &&
	d1=$(grep "^BANGER_DEADLINE_MS=" env1 | cut -d= -f2) &&
	test "$d1" -gt $((now + 9000)) && test "$d1" -le $((now + 11000)) &&
	if [ "$(id -u)" = 0 ]; then
		printf "net-setup\n{}\n" | BANGER_DEADLINE_MS=1 BANGER_LIBEXECDIR="$TRASH/dl" dl/root-dispatch >env2 &&
		test "$(grep -c "^BANGER_DEADLINE_MS=" env2)" = 1 &&
		d2=$(grep "^BANGER_DEADLINE_MS=" env2 | cut -d= -f2) &&
		test "$d2" -gt $((now + 9000)) && test "$d2" -le $((now + 11000))
	fi
'

test_expect_success 'a helper keeps the deadline it was handed, and only that' '
	now=$(perl -MTime::HiRes=clock_gettime,CLOCK_MONOTONIC -e "printf q(%d), clock_gettime(CLOCK_MONOTONIC) * 1000") &&
	{ printf "{"; sleep 3; } | BANGER_DEADLINE_MS=$((now + 500)) must_fail 100 "$X/vm-list" >out 2>err &&
	jq -r .error.message out | grep -q "did not arrive in time" &&
	printf "{}\n" | BANGER_DEADLINE_MS=junk "$X/vm-list" >out &&
	jq -e .ok out >/dev/null
'

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	NOBODY=65534
	test_expect_success 'SO_PEERCRED: a foreign uid is refused' '
		rm -f "$SOCK" && kill $(cat s6.pid) &&
		{ s6-ipcserver -a 0666 "$SOCK" "$X/dispatch" >/dev/null 2>s6.err & } &&
		echo $! >s6b.pid &&
		wait_sock "$SOCK" &&
		setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
			s6-ipcclient "$SOCK" sh -c "trap \"\" PIPE; printf \"vm-list\n{}\n\" >&7; cat <&6; exit 0" >out &&
		grep -q "^{\"ok\":false,\"error\":{\"code\":\"permission_denied\"" out &&
		grep -q "uid $NOBODY refused" out &&
		grep -q "refused" s6.err
	'
	test_expect_success 'SO_PEERCRED: root and the installed owner are served' '
		ask "$SOCK" "vm-list\n{}\n" | grep -q "\"ok\":true" &&
		mkdir -p "$BANGER_ROOT/etc/banger" &&
		echo "owner_uid = $NOBODY" >"$BANGER_ROOT/etc/banger/install.toml" &&
		setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
			s6-ipcclient "$SOCK" sh -c "trap \"\" PIPE; printf \"vm-list\n{}\n\" >&7; cat <&6; exit 0" >out &&
		grep -q "\"ok\":true" out &&
		echo "owner_uid = 4242" >"$BANGER_ROOT/etc/banger/install.toml" &&
		setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
			s6-ipcclient "$SOCK" sh -c "trap \"\" PIPE; printf \"vm-list\n{}\n\" >&7; cat <&6; exit 0" >out &&
		grep -q "uid $NOBODY refused.*(uid 4242)" out &&
		rm "$BANGER_ROOT/etc/banger/install.toml"
	'
	test_expect_success 'helpers re-check the peer themselves' '
		setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
			s6-ipcclient "$SOCK" sh -c "trap \"\" PIPE; printf \"vm-list\n{}\n\" >&7; cat <&6; exit 0" >/dev/null &&
		rm -f "$SOCK.2" &&
		{ s6-ipcserver -a 0666 "$SOCK.2" "$X/vm-list" >/dev/null 2>&1 & } &&
		echo $! >s6c.pid &&
		wait_sock "$SOCK.2" &&
		setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
			s6-ipcclient "$SOCK.2" sh -c "trap \"\" PIPE; printf \"{}\n\" >&7; cat <&6; exit 0" >out &&
		grep -q permission_denied out
	'
else
	test_skip 'SO_PEERCRED refusal of a foreign uid' 'needs root and setpriv'
	test_skip 'SO_PEERCRED: root and the installed owner are served' 'needs root'
	test_skip 'helpers re-check the peer themselves' 'needs root'
fi

test_done
