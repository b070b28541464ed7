#!/bin/sh
# root-dispatch: the root socket serves the installed owner and root
# only, each only the verbs its access file allows.
. "${0%/*}/lib.sh"

X=$B/libexec/banger
SOCK=$TRASH/r.sock
ETC=$BANGER_ROOT/etc/banger
OWNER=65534
OTHER=4242

wait_sock() {
	i=0
	while [ ! -S "$1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -S "$1" ]
}
# as UID TEXT: send TEXT over the root socket as UID, print the answer.
as() {
	setpriv --reuid="$1" --regid="$1" --clear-groups s6-ipcclient "$SOCK" \
		sh -c 'trap "" PIPE; printf "%b" "$0" >&7; cat <&6; exit 0' "$2"
}

test_expect_success 'pipe: unknown root verb (exit 100)' '
	printf "vm-list\n{}\n" | must_fail 100 "$X/root-dispatch" >out &&
	grep -q "\"code\":\"unknown_verb\"" out
'
test_expect_success 'pipe: ../ and oversize verbs refused (exit 100)' '
	printf "../tap-add\n{}\n" | must_fail 100 "$X/root-dispatch" >out &&
	grep -q "must match" out &&
	head -c 5000 /dev/zero | tr "\0" a | must_fail 100 "$X/root-dispatch" >out &&
	grep -q "longer than 32" out
'
test_expect_success 'pipe as root: a missing helper says where it looked and how to point elsewhere' '
	mkdir -p empty && cp "$X/root-dispatch" empty/ &&
	printf "tap-add\n{}\n" | BANGER_LIBEXECDIR="$TRASH/empty" must_fail 101 empty/root-dispatch >out 2>err &&
	jq -e ".error.code == \"internal\"" out >/dev/null &&
	jq -r .error.message out | grep -q "root-tap-add is missing" &&
	jq -r .error.message out | grep -q "looked in $TRASH/empty" &&
	jq -r .error.message out | grep -q "BANGER_LIBEXECDIR" &&
	grep -q "^banger-root-dispatch: internal: the tap-add helper" err
'
test_expect_success 'pipe as root: dns-wire takes no names: a link, an address or a zone in the request is refused' '
	for k in link ifindex address domain; do
		printf "dns-wire\n{\"v\":1,\"%s\":\"eth0\"}\n" $k |
		    must_fail 100 "$X/root-dispatch" >out &&
		jq -e ".error.code == \"bad_request\"" out >/dev/null &&
		jq -r .error.message out | grep -q "$k" || { cat out; return 1; }
	done
'
test_expect_success 'pipe as root: the verb reaches root-<verb> with the request' '
	printf "tap-add\n{}\n" | must_fail 100 "$X/root-dispatch" >out &&
	grep -q "must be an integer from 2 to 254" out
'
test_expect_success 'root-dispatch execs root-<verb> with a clean environment' '
	mkdir -p lx &&
	cp "$X/root-dispatch" lx/ &&
	printf "#!/bin/sh\nenv | sort\n" >lx/root-net-setup && chmod +x lx/root-net-setup &&
	printf "net-setup\n{}\n" | SECRET=x BANGER_LIBEXECDIR="$TRASH/lx" lx/root-dispatch >out &&
	! grep -q SECRET out && grep -q "^PATH=/usr/sbin:/usr/bin:/sbin:/bin$" out &&
	grep -q "^BANGER_ROOT=$BANGER_ROOT$" out
'

# A stand-in helper tries what uid 0 could still do with only
# CAP_NET_ADMIN (lib/seccomp.c): connect to a unix socket (the system
# bus would do), signal another process of its uid.  Fenced verbs get
# EPERM for both; vmm-launch, which needs systemd-run, is not fenced.
test_expect_success 'root-dispatch fences the network verbs: no connect, no signals to others' '
	mkdir -p fx && cp "$X/root-dispatch" fx/ &&
	{ s6-ipcserver -a 0666 "$TRASH/fence.sock" cat >/dev/null 2>&1 & } &&
	echo $! >fence.pid &&
	wait_sock "$TRASH/fence.sock" &&
	for v in net-setup tap-add tap-del net-down vmm-launch dns-wire; do
		cat >fx/root-$v <<-EOF || return 1
		#!/usr/bin/perl
		use Socket;
		socket(my \$s, AF_UNIX, SOCK_STREAM, 0) or die "socket: \$!";
		print connect(\$s, pack_sockaddr_un("$TRASH/fence.sock")) ? "connect ok\n" : "connect \$!\n";
		print kill(0, $(cat fence.pid)) ? "kill ok\n" : "kill \$!\n";
		EOF
		chmod +x fx/root-$v || return 1
	done &&
	for v in net-setup tap-add tap-del net-down; do
		printf "%s\n{}\n" $v | BANGER_LIBEXECDIR="$TRASH/fx" fx/root-dispatch >st &&
		grep -qx "connect Operation not permitted" st &&
		grep -qx "kill Operation not permitted" st || { echo "$v:"; cat st; return 1; }
	done &&
	printf "vmm-launch\n{}\n" | BANGER_LIBEXECDIR="$TRASH/fx" fx/root-dispatch >st &&
	grep -qx "connect ok" st && grep -qx "kill ok" st || { cat st; false; }
'
# dns-wire must reach the system bus, so root-dispatch does not fence it;
# the helper fences itself once the bus is open (lib/dns-wire.c; the
# nspawn test t/0360 watches it do so).
test_expect_success 'root-dispatch leaves dns-wire unfenced (it connects to the bus first)' '
	printf "dns-wire\n{}\n" | BANGER_LIBEXECDIR="$TRASH/fx" fx/root-dispatch >st &&
	grep -qx "connect ok" st || { cat st; false; }
'
at_exit 'kill $(cat "$TRASH/fence.pid") 2>/dev/null'
if [ "$(id -u)" = 0 ]; then
	# A stand-in helper reports what the kernel gave it after the exec:
	# exactly the verb's set (lib/root-verbs.c), in every set, and
	# no_new_privs.  NET_ADMIN is bit 12 (0x1000); vmm-launch holds
	# SETUID, SETGID and DAC_READ_SEARCH (0xc4).
	test_expect_success 'as root: root-dispatch narrows each helper to its verb'"'"'s capabilities' '
		mkdir -p cx && cp "$X/root-dispatch" cx/ &&
		for v in net-setup tap-add tap-del net-down vmm-launch dns-wire; do
			printf "#!/bin/sh\ngrep -E \"^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):\" /proc/self/status\n" \
			    >cx/root-$v && chmod +x cx/root-$v || return 1
		done &&
		for v in net-setup tap-add tap-del net-down; do
			printf "%s\n{}\n" $v | BANGER_LIBEXECDIR="$TRASH/cx" cx/root-dispatch >st &&
			grep -qx "CapPrm:[[:space:]]*0000000000001000" st &&
			grep -qx "CapEff:[[:space:]]*0000000000001000" st &&
			grep -qx "CapBnd:[[:space:]]*0000000000001000" st &&
			grep -qx "CapInh:[[:space:]]*0000000000000000" st &&
			grep -qx "CapAmb:[[:space:]]*0000000000000000" st &&
			grep -qx "NoNewPrivs:[[:space:]]*1" st || { echo "$v:"; cat st; return 1; }
		done &&
		printf "vmm-launch\n{}\n" | BANGER_LIBEXECDIR="$TRASH/cx" cx/root-dispatch >st &&
		grep -qx "CapEff:[[:space:]]*00000000000000c4" st &&
		grep -qx "CapBnd:[[:space:]]*00000000000000c4" st &&
		printf "dns-wire\n{}\n" | BANGER_LIBEXECDIR="$TRASH/cx" cx/root-dispatch >st &&
		grep -qx "CapPrm:[[:space:]]*0000000000000000" st &&
		grep -qx "CapEff:[[:space:]]*0000000000000000" st &&
		grep -qx "CapBnd:[[:space:]]*0000000000000000" st &&
		grep -qx "NoNewPrivs:[[:space:]]*1" st || { cat st; false; }
	'
	# Run by root in a pipeline (no dispatcher), a root helper narrows
	# itself: strace shows the capset to its set and the seccomp fence,
	# before any read.
	if command -v strace >/dev/null; then
		test_expect_success 'as root: a root helper run directly narrows itself before reading' '
			printf "{}\n" | must_fail 100 strace -f -e trace=capset,prctl,read -o tr "$X/root-tap-del" >out 2>/dev/null &&
			grep -q "capset(.*effective=1<<CAP_NET_ADMIN, permitted=1<<CAP_NET_ADMIN, inheritable=0" tr &&
			grep -q "PR_CAPBSET_DROP, CAP_SYS_ADMIN" tr &&
			awk "/capset\(/ { c = NR } /read\(0,/ && !r { r = NR } END { exit !(c && r && c < r) }" tr &&
			awk "/PR_SET_SECCOMP/ { f = NR } /read\(0,/ && !r { r = NR } END { exit !(f && r && f < r) }" tr ||
			{ cat tr; false; }
		'
		# dns-wire: its one connection (the system bus; none here: it
		# fails) is tried, then the fence goes up, then the request is
		# read (lib/dns-wire.c bg_dns_wire_hold).
		# Its request is refused later (no install.toml): only the order matters.
		trace_dns_wire() {
			printf "{\"v\":1}\n" | DBUS_SYSTEM_BUS_ADDRESS=unix:path=$TRASH/nobus.sock \
			    strace -f -e trace=connect,prctl,read -o trd "$X/root-dns-wire" >out 2>/dev/null
			return 0
		}
		test_expect_success 'as root: root-dns-wire tries the bus, fences itself, and only then reads the request' '
			trace_dns_wire &&
			grep -q "connect(.*nobus.sock" trd &&
			awk "/connect\(.*nobus/ { c = NR } /PR_SET_SECCOMP/ { f = NR } /read\(0,/ && !r { r = NR } END { exit !(c && f && r && c < f && f < r) }" trd ||
			{ cat trd; false; }
		'
	else
		test_skip 'as root: a root helper run directly narrows itself' 'needs strace'
		test_skip 'as root: root-dns-wire fences itself before reading' 'needs strace'
	fi
fi
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	test_expect_success 'socket: not installed, a non-root uid is refused' '
		{ s6-ipcserver -a 0666 "$SOCK" "$X/root-dispatch" >/dev/null 2>s6.err & } &&
		echo $! >s6.pid &&
		wait_sock "$SOCK" &&
		as $OWNER "tap-add\n{}\n" >out &&
		grep -q "\"code\":\"permission_denied\".*not installed" out
	'
	at_exit 'kill $(cat "$TRASH"/s6.pid)'
	test_expect_success 'socket: root is served' '
		as 0 "tap-add\n{}\n" >out &&
		grep -q "must be an integer" out
	'
	test_expect_success 'socket: the owner without an access file is denied' '
		mkdir -p "$ETC" && echo "owner_uid = $OWNER" >"$ETC/install.toml" &&
		as $OWNER "tap-add\n{}\n" >out &&
		grep -q "\"code\":\"permission_denied\".*may not use the root verb" out
	'
	test_expect_success 'socket: the owner gets exactly its allowed verbs' '
		mkdir -p "$ETC/access/uid/$OWNER" &&
		printf "tap-add\ntap-del\n" >"$ETC/access/uid/$OWNER/allow" &&
		as $OWNER "tap-add\n{}\n" >out &&
		grep -q "must be an integer" out &&
		as $OWNER "net-setup\n{}\n" >out &&
		grep -q "may not use the root verb \\\\\"net-setup" out
	'
	test_expect_success 'socket: a foreign uid is refused even with rules' '
		mkdir -p "$ETC/access/uid/$OTHER" &&
		printf "tap-add\ndns-wire\n" >"$ETC/access/uid/$OTHER/allow" &&
		as $OTHER "tap-add\n{}\n" >out &&
		grep -q "uid $OTHER refused" out &&
		as $OTHER "dns-wire\n{\"v\":1}\n" >out &&
		grep -q "uid $OTHER refused" out
	'
	test_expect_success 'socket: ../ names and oversize verbs from the owner' '
		as $OWNER "../../bin/sh\n{}\n" >out && grep -q bad_request out &&
		as $OWNER "$(head -c 200 /dev/zero | tr "\0" a)\n" >out &&
		grep -q "longer than 32" out
	'
else
	for t in 'not installed refusal' 'root served' 'owner denied' 'owner allowed' 'foreign uid' 'bad names'; do
		test_skip "socket: $t" 'needs root and setpriv'
	done
fi
test_done
