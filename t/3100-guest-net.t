#!/bin/bash
# The guest network policy (docs/network.md), from inside real guests
# (QEMU TCG) in t/with-sandbox's network namespace.  Every packet stays
# in namespaces this test makes: no uplink.
#
# The root set-up (this file with --root-setup, run by with-sandbox's
# BANGER_SANDBOX_ROOT_SETUP hook as root in the sandbox's namespace)
# makes, for real:
#   - a namespace "world" ($BANGER_SANDBOX_NS-w) joined to the sandbox
#     by a veth pair: sandbox side 198.51.100.254/24 (its default route
#     via 198.51.100.1), world side 198.51.100.1/24, 192.168.77.1/24 (a
#     stand-in LAN host) and 169.254.169.254/32 (a stand-in cloud
#     metadata service), both routed via the veth in the sandbox;
#   - listeners that log each connection's or datagram's peer address
#     and first line (the client's token) in $BANGER_SANDBOX_DIR/guest-net/log,
#     readable by the owner: in world, tcp 198.51.100.1:80, udp
#     198.51.100.1:81, tcp 192.168.77.1:80 and 169.254.169.254:80; in
#     the sandbox, tcp and udp 172.16.0.1:53 (a DNS stand-in, bound with
#     IP_FREEBIND as banger's DNS socket is: br-fc and its address only
#     come with the first vm start) and tcp 0.0.0.0:8080 (any other
#     host port);
#   - a packet log (AF_PACKET, every frame a guest sends, as it enters
#     its tap: before any bridge or nftables hook) of UDP to port 81
#     and ICMPv6 echo, so each "dropped" below is also "sent": no check
#     passes because the packet never left the guest.
# Then, as the owner, two guests A and B, each check bounded by a few
# seconds, each negative with a positive control in the same run.
ME=$(realpath "$0")

# --root-setup: as root, in the sandbox's namespace (see above).
root_setup() {
	local D=$BANGER_SANDBOX_DIR/guest-net W=$BANGER_SANDBOX_NS-w
	fail() { echo "3100 root set-up: $*" >&2; exit 1; }
	umask 022
	mkdir -p "$D/log" || fail "cannot make $D"
	write_listener >"$D/listen.pl" || fail "cannot write $D/listen.pl"
	ip netns add "$W" || fail "cannot add namespace $W"
	ip link add gn-sb type veth peer name gn-w netns "$W" &&
	    ip -n "$W" link set lo up &&
	    ip -n "$W" addr add 198.51.100.1/24 dev gn-w &&
	    ip -n "$W" addr add 192.168.77.1/24 dev gn-w &&
	    ip -n "$W" addr add 169.254.169.254/32 dev gn-w &&
	    ip -n "$W" link set gn-w up &&
	    ip addr add 198.51.100.254/24 dev gn-sb &&
	    ip link set gn-sb up &&
	    ip route add default via 198.51.100.1 dev gn-sb &&
	    ip route add 192.168.77.0/24 via 198.51.100.1 dev gn-sb &&
	    ip route add 169.254.169.254/32 via 198.51.100.1 dev gn-sb ||
	    fail "cannot wire the world namespace"
	# Each returns once its sockets listen (the daemon forks after).
	ip netns exec "$W" perl "$D/listen.pl" "$D/log" tcp:198.51.100.1:80 \
	    udp:198.51.100.1:81 tcp:192.168.77.1:80 tcp:169.254.169.254:80 ||
	    fail "the world listeners did not start"
	perl "$D/listen.pl" "$D/log" tcp:172.16.0.1:53:freebind \
	    udp:172.16.0.1:53:freebind tcp:0.0.0.0:8080 sniff ||
	    fail "the sandbox listeners did not start"
}

write_listener() {
	cat <<'PERL'
# listen.pl LOGDIR SPEC...: SPEC is tcp:ADDR:PORT[:freebind],
# udp:ADDR:PORT[:freebind] or sniff.  Binds everything, then forks: the
# parent exits 0 once all listen (readiness), the child serves.
# TCP: one line per connection, "PEER TOKEN" (the client's first line),
# logged before the answer "ok".  UDP: "PEER PAYLOAD" (printable bytes).
# sniff: frames entering a bgtap* (sent by a guest) that are UDP to
# port 81 or ICMPv6 echo: "TAP SRCMAC udp SRC DST DPORT PAYLOAD" or
# "TAP SRCMAC icmp6 TYPE SRC DST".
use strict;
use warnings;
use Socket qw(:all);
use IO::Select;
use POSIX ();

my ($dir, @specs) = @ARGV;
my $IP_FREEBIND = 15;
my $AF_PACKET = 17;
my $SO_RCVBUFFORCE = 33;
my $SIOCGIFNAME = 0x8910;
my $sel = IO::Select->new;
my (%what, %cli);

sub logto {
	my ($name, $line) = @_;
	open(my $f, '>>', "$dir/$name") or return;
	syswrite($f, "$line\n");
	close($f);
}
sub printable { my $s = shift; $s =~ s/[^\x21-\x7e]/./g; return $s; }

for my $spec (@specs) {
	my $s;
	if ($spec eq 'sniff') {
		my $all = unpack('S', pack('n', 3));    # htons(ETH_P_ALL)
		socket($s, $AF_PACKET, SOCK_RAW, $all) or die "packet socket: $!\n";
		setsockopt($s, SOL_SOCKET, $SO_RCVBUFFORCE, 8 << 20);
		$what{fileno $s} = ['sniff', 'sniff'];
	} else {
		my ($proto, $addr, $port, $opt) = split(/:/, $spec);
		my $name = "$proto-$addr-$port";
		socket($s, PF_INET, $proto eq 'tcp' ? SOCK_STREAM : SOCK_DGRAM, 0)
		    or die "socket: $!\n";
		setsockopt($s, SOL_SOCKET, SO_REUSEADDR, 1);
		setsockopt($s, IPPROTO_IP, $IP_FREEBIND, 1) or die "freebind: $!\n"
		    if ($opt // '') eq 'freebind';
		bind($s, pack_sockaddr_in($port, inet_aton($addr)))
		    or die "bind $addr:$port: $!\n";
		listen($s, 64) or die "listen: $!\n" if $proto eq 'tcp';
		$what{fileno $s} = [$proto, $name];
		open(my $f, '>>', "$dir/$name") or die "$dir/$name: $!\n";
		close($f);
	}
	$sel->add($s);
}
open(my $f, '>>', "$dir/sniff") or die "$dir/sniff: $!\n";
close($f);

defined(my $pid = fork) or die "fork: $!\n";
exit 0 if $pid;
POSIX::setsid();
open(STDIN, '<', '/dev/null');
open(STDOUT, '>>', "$dir/errors");
open(STDERR, '>&', \*STDOUT);

my %ifname;
socket(my $ctl, PF_INET, SOCK_DGRAM, 0) or die "socket: $!\n";
sub ifname {
	my $idx = shift;
	return $ifname{$idx} if defined $ifname{$idx};
	my $req = pack('a16 i', '', $idx);
	ioctl($ctl, $SIOCGIFNAME, $req) or return '?';
	return $ifname{$idx} = unpack('Z16', $req);
}

sub sniffed {
	my ($from, $buf) = @_;
	my (undef, undef, $idx, undef, $type) = unpack('S n i S C', $from);
	return if $type == 4;                          # PACKET_OUTGOING
	my $if = ifname($idx);
	return if $if !~ /^bgtap/ || length($buf) < 14;
	my $smac = join(':', map { sprintf('%02x', $_) } unpack('x6 C6', $buf));
	my $et = unpack('x12 n', $buf);
	my $l3 = substr($buf, 14);
	if ($et == 0x0800 && length($l3) >= 20) {
		my $ihl = (ord($l3) & 15) * 4;
		return if ord(substr($l3, 9, 1)) != 17 || length($l3) < $ihl + 8;
		my $dport = unpack('n', substr($l3, $ihl + 2, 2));
		return if $dport != 81;
		logto('sniff', join(' ', $if, $smac, 'udp',
		    inet_ntoa(substr($l3, 12, 4)), inet_ntoa(substr($l3, 16, 4)),
		    $dport, printable(substr($l3, $ihl + 8))));
	} elsif ($et == 0x86dd && length($l3) >= 41) {
		return if ord(substr($l3, 6, 1)) != 58;
		my $t = ord(substr($l3, 40, 1));
		return if $t != 128 && $t != 129;
		logto('sniff', join(' ', $if, $smac, 'icmp6', $t,
		    inet_ntop(AF_INET6, substr($l3, 8, 16)),
		    inet_ntop(AF_INET6, substr($l3, 24, 16))));
	}
}

sub done {
	my $c = shift;
	my $k = $cli{fileno $c};
	my ($tok) = split(/\r?\n/, $k->{buf} // '');
	$tok = printable($tok // '');
	logto($k->{name}, "$k->{peer} " . ($tok eq '' ? '-' : $tok));
	syswrite($c, "ok\n");
	$sel->remove($c);
	delete $cli{fileno $c};
	close($c);
}

while (1) {
	for my $s ($sel->can_read(1)) {
		my $w = $what{fileno $s};
		if ($w && $w->[0] eq 'sniff') {
			my $from = recv($s, my $buf, 65536, 0);
			sniffed($from, $buf) if defined $from;
		} elsif ($w && $w->[0] eq 'tcp') {
			my $peer = accept(my $c, $s) or next;
			my ($port, $ip) = unpack_sockaddr_in($peer);
			$cli{fileno $c} = { c => $c, name => $w->[1],
			    peer => inet_ntoa($ip), buf => '', t => time };
			$sel->add($c);
		} elsif ($w) {
			my $peer = recv($s, my $buf, 65536, 0) or next;
			my ($port, $ip) = unpack_sockaddr_in($peer);
			logto($w->[1], inet_ntoa($ip) . ' ' . printable($buf));
		} else {
			my $k = $cli{fileno $s};
			my $n = sysread($s, my $buf, 512);
			$k->{buf} .= $buf if $n;
			done($s) if !$n || $k->{buf} =~ /\n/ || length($k->{buf}) > 200;
		}
	}
	# A client that never sends its line: logged with "-" after 10 s.
	for my $k (grep { time - $_->{t} >= 10 } values %cli) {
		done($k->{c});
	}
}
PERL
}

if [ "${1:-}" = --root-setup ]; then
	root_setup
	exit 0
fi

if [ "${BANGER_SANDBOX:-0}" != 1 ]; then
	TOP=$(cd "$(dirname "$0")/.." && pwd)
	if [ "$(id -u)" != 0 ] || [ ! -f "$TOP/build/images/test/rootfs.ext4" ] ||
	    ! command -v qemu-system-x86_64 >/dev/null || ! command -v nsenter >/dev/null; then
		. "$TOP/t/lib.sh"
		test_skip 'guest network policy with real guests' 'needs root, QEMU and make images'
		test_done
	fi
	BANGER_SANDBOX_DNS=0 BANGER_SANDBOX_ROOT_SETUP="$(printf '%q' "$ME") --root-setup" \
	    exec "$TOP/t/with-sandbox" "$0" "$@"
fi
. "${0%/*}/lib.sh"

STATE=$BANGER_ROOT/var/lib/banger
KH=$STATE/ssh/known_hosts
KEY=$HOME/.local/state/banger/ssh/id_ed25519
L=$BANGER_SANDBOX_DIR/guest-net/log
gssh() { # gssh IP CMD...: ssh into a guest with banger's key and known_hosts
	ip=$1; shift
	ssh -i "$KEY" -o IdentitiesOnly=yes -o UserKnownHostsFile="$KH" \
		-o StrictHostKeyChecking=yes -o BatchMode=yes -o LogLevel=ERROR \
		-o ConnectTimeout=10 "root@$ip" "$@"
}
wait_ssh() { # IP: up to 120 s, one connection attempt at a time
	i=0
	while [ $i -lt 240 ]; do
		gssh "$1" true 2>/dev/null && return 0
		sleep 0.5; i=$((i + 1))
	done
	return 1
}
# hsend IP PORT TOKEN: from the sandbox (the host), a TCP connection
# that sends TOKEN and must get the listener's "ok" (5 s at most).
hsend() {
	timeout 5 bash -c 'exec 3<>"/dev/tcp/$1/$2" && echo "$3" >&3 &&
	    read -r a <&3 && test "$a" = ok' - "$@"
}
# seen FILE PATTERN: a line of FILE matches PATTERN (grep -E) within 5 s.
seen() {
	i=0
	while [ $i -lt 50 ]; do
		grep -qE "$2" "$1" && return 0
		sleep 0.1; i=$((i + 1))
	done
	echo "no line like '$2' in $1:"; cat "$1"
	return 1
}
# unseen FILE PATTERN: no line of FILE matches (say which did).
unseen() {
	test -f "$1" && ! grep -E "$2" "$1" ||
	    { echo "(in $1: the line above should not be there)"; false; }
}
# nc_ok FILE NAME / nc_failed FILE NAME: probe NAME's outcome in FILE
# (lines "NAME exit=N out=..."), connected ("ok" from the listener) or
# not (and nc really ran: an exit status is there).
nc_ok() { grep -qx "$2 exit=0 out=ok" "$1" || { cat "$1"; false; }; }
nc_failed() {
	grep -q "^$2 exit=[1-9][0-9]* " "$1" && ! grep -q "^$2 .*out=ok" "$1" ||
	    { cat "$1"; false; }
}
at_exit 'banger vm delete ga >/dev/null 2>&1; banger vm delete gb >/dev/null 2>&1'

# The probes from guest A: TCP ones in parallel (each nc bounded by
# -w 3, and timeout 10 around it), then IPv6 echo to all nodes.
PROBE_A='
p() { ( out=$(echo "ga-$1" | timeout 10 nc -w 3 "$2" "$3" 2>&1); st=$?
	echo "$1 exit=$st out="$out ) >/tmp/probe.$1 2>&1 & }
p dns 172.16.0.1 53
p hostport 172.16.0.1 8080
p uplinkport 198.51.100.254 8080
p world 198.51.100.1 80
p lan 192.168.77.1 80
p meta 169.254.169.254 80
timeout 3 tftp -g -r ga-udp53 -l /tmp/tftp.53 172.16.0.1 53 >/dev/null 2>&1
wait
cat /tmp/probe.*
echo "udp53 done"
'

test_expect_success 'two guests boot and answer ssh' '
	banger vm create --name ga >/dev/null 2>&1 && banger vm start ga >/dev/null 2>&1 &&
	banger vm create --name gb >/dev/null 2>&1 && banger vm start gb >/dev/null 2>&1 &&
	banger --json vm show ga >a.json && banger --json vm show gb >b.json &&
	IPA=$(jq -r .ip a.json) && IPB=$(jq -r .ip b.json) &&
	MACA=$(jq -r .mac a.json) && MACB=$(jq -r .mac b.json) &&
	TAPA=$(jq -r .tap a.json) && TAPB=$(jq -r .tap b.json) &&
	test -n "$IPA" && test -n "$IPB" && test "$IPA" != "$IPB" &&
	wait_ssh "$IPA" && wait_ssh "$IPB" &&
	echo "A $IPA $MACA $TAPA, B $IPB $MACB $TAPB"
'
IPA=$(jq -r .ip "$TRASH/a.json" 2>/dev/null)
IPB=$(jq -r .ip "$TRASH/b.json" 2>/dev/null)
MACA=$(jq -r .mac "$TRASH/a.json" 2>/dev/null)
MACB=$(jq -r .mac "$TRASH/b.json" 2>/dev/null)
TAPA=$(jq -r .tap "$TRASH/a.json" 2>/dev/null)
TAPB=$(jq -r .tap "$TRASH/b.json" 2>/dev/null)

test_expect_success 'controls: every listener answers the host' '
	for t in 172.16.0.1:8080 198.51.100.254:8080 192.168.77.1:80 \
	    169.254.169.254:80 198.51.100.1:80; do
		hsend "${t%:*}" "${t#*:}" "host-$t" ||
		    { echo "the host got no answer from $t"; return 1; }
	done &&
	seen "$L/tcp-192.168.77.1-80" "^198\.51\.100\.254 host-192\.168\.77\.1:80$" &&
	seen "$L/tcp-169.254.169.254-80" "^198\.51\.100\.254 host-169\.254\.169\.254:80$"
'
# With br_netfilter loaded (Docker and Kubernetes hosts, and this
# kernel's default in a new namespace once the module is in), bridged
# IPv4 also crosses the ip family's forward hook, with iifname and
# oifname the bridge: guest to guest must still work.
echo "# net.bridge.bridge-nf-call-iptables here: $(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || echo 'absent (no br_netfilter)')"
test_expect_success 'A reaches B over IPv4 (the bridge subnet is plain layer 2)' '
	gssh "$IPA" ping -c 1 -W 3 "$IPB"
'
test_expect_success 'guest A probes (each bounded: nc -w 3 and timeout 10, tftp by timeout 3)' '
	printf "%s" "$PROBE_A" | gssh "$IPA" sh -s >probes 2>&1 &&
	grep -q "^udp53 done$" probes && cat probes
'
test_expect_success 'A: TCP to the bridge address port 53 (DNS) connects' '
	nc_ok probes dns &&
	seen "$L/tcp-172.16.0.1-53" "^$IPA ga-dns$"
'
test_expect_success 'A: UDP to the bridge address port 53 (DNS) arrives' '
	seen "$L/udp-172.16.0.1-53" "^$IPA .*ga-udp53"
'
test_expect_success 'A: TCP to another host port on the bridge address (8080) does not connect' '
	nc_failed probes hostport &&
	unseen "$L/tcp-0.0.0.0-8080" "ga-hostport"
'
test_expect_success 'A: TCP to the host port on its uplink address (198.51.100.254:8080) does not connect' '
	nc_failed probes uplinkport &&
	unseen "$L/tcp-0.0.0.0-8080" "ga-uplinkport"
'
test_expect_success 'A: TCP out to the world (198.51.100.1:80) connects, NATed to 198.51.100.254' '
	nc_ok probes world &&
	seen "$L/tcp-198.51.100.1-80" "^198\.51\.100\.254 ga-world$"
'
test_expect_success 'A: TCP to a LAN host (192.168.77.1:80) does not connect, the listener saw nothing' '
	nc_failed probes lan &&
	unseen "$L/tcp-192.168.77.1-80" "ga-lan"
'
test_expect_success 'A: TCP to link-local 169.254.169.254:80 does not connect, the listener saw nothing' '
	nc_failed probes meta &&
	unseen "$L/tcp-169.254.169.254-80" "ga-meta"
'

# IPv6: the host's br-fc and guest B have link-local addresses; A pings
# all nodes on its link.  No reply may come, from either.
test_expect_success 'IPv6: br-fc and B have link-local addresses (the controls)' '
	i=0 && LLH= &&
	while [ $i -lt 100 ]; do
		LLH=$(ip -6 -j addr show dev br-fc |
		    jq -r ".[0].addr_info[] | select(.scope == \"link\" and (.tentative | not)) | .local") &&
		test -n "$LLH" && break
		sleep 0.1; i=$((i + 1))
	done &&
	test -n "$LLH" && echo "$LLH" >llh &&
	gssh "$IPB" ip -6 addr show dev eth0 >b6 &&
	awk "/inet6 fe80:/ && !/tentative/ { sub(/\/.*/, \"\", \$2); print \$2 }" b6 >llb &&
	test -s llb && echo "host $LLH, B $(cat llb)"
'
test_expect_success 'IPv6: A pings ff02::1 (sent: seen on its tap)' '
	gssh "$IPA" "timeout 10 ping -6 -w 4 -I eth0 ff02::1; echo ping-exit=\$?" >ping6 2>&1 &&
	cat ping6 && grep -q "^ping-exit=" ping6 &&
	seen "$L/sniff" "^$TAPA $MACA icmp6 128 fe80:[0-9a-f:]* ff02::1$"
'
test_expect_success 'IPv6: no answer from the host (br-fc)' '
	unseen ping6 "from $(cat llh)[:%]"
'
test_expect_success 'IPv6: no answer from guest B' '
	unseen ping6 "from $(cat llb)[:%]"
'

# Spoofing, from guest B: A's address (on B's loopback, so B never
# answers ARP for it, and arp_announce=2 so B's own ARP keeps B's
# address; a /32 route with A's address as the source), then A's MAC.
# The bridge's MAC is pinned in B's ARP table each time, so that the
# datagram is sent whatever becomes of ARP (a MAC change flushes the
# table, and B's ARP with A's MAC would itself be dropped).
# The control, from B's own address and MAC, must arrive.
PROBE_B='
t() { timeout 3 tftp -g -r "gb-$1" -l "/tmp/tftp.$1" 198.51.100.1 81 >/dev/null 2>&1; }
t own
sysctl -qw net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.eth0.arp_announce=2 &&
arp -s 172.16.0.1 "$BRMAC" &&
ip addr add "$A"/32 dev lo &&
ip route add 198.51.100.1/32 via 172.16.0.1 dev eth0 src "$A" &&
t spoofip
ip route del 198.51.100.1/32 2>/dev/null
ip addr del "$A"/32 dev lo 2>/dev/null
ip link set eth0 address "$AMAC" && arp -s 172.16.0.1 "$BRMAC" && t spoofmac
arp -d 172.16.0.1 2>/dev/null
ip link set eth0 address "$BMAC"
echo "probes done, mac $(cat /sys/class/net/eth0/address)"
'
test_expect_success 'guest B probes: UDP to 198.51.100.1:81 from its own, then A'"'"'s address, then A'"'"'s MAC' '
	BRMAC=$(ip -j link show dev br-fc | jq -r ".[0].address") && test -n "$BRMAC" &&
	{ printf "A=%s AMAC=%s BMAC=%s BRMAC=%s\n" "$IPA" "$MACA" "$MACB" "$BRMAC" &&
	    printf "%s" "$PROBE_B"; } |
	    gssh "$IPB" sh -s >probes-b 2>&1 &&
	cat probes-b && grep -qx "probes done, mac $MACB" probes-b
'
test_expect_success 'B: from its own address and MAC, UDP reaches 198.51.100.1:81 (control)' '
	seen "$L/sniff" "^$TAPB $MACB udp $IPB 198\.51\.100\.1 81 .*gb-own" &&
	seen "$L/udp-198.51.100.1-81" "^198\.51\.100\.254 .*gb-own"
'
test_expect_success 'B: with A'"'"'s address as the source, sent but never reaches the listener' '
	seen "$L/sniff" "^$TAPB $MACB udp $IPA 198\.51\.100\.1 81 .*gb-spoofip" &&
	unseen "$L/udp-198.51.100.1-81" "gb-spoofip"
'
test_expect_success 'B: with A'"'"'s MAC as the source, sent but never reaches the listener' '
	seen "$L/sniff" "^$TAPB $MACA udp $IPB 198\.51\.100\.1 81 .*gb-spoofmac" &&
	unseen "$L/udp-198.51.100.1-81" "gb-spoofmac"
'
test_expect_success 'the guests are deleted' '
	banger vm delete ga >/dev/null 2>&1 && banger vm delete gb >/dev/null 2>&1 &&
	must_fail 1 banger vm show ga 2>/dev/null && must_fail 1 banger vm show gb 2>/dev/null
'
test_done
