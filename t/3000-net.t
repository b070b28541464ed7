#!/bin/sh
# Root network helpers in a private network namespace: net-setup
# (bridge, ip_forward, banger's nft tables: the guest policy), tap-add,
# tap-del (only the owner's taps), net-down.  What guests can reach, for
# real, is t/3100-guest-net.t.
# Nothing here touches the host's own network.
. "${0%/*}/lib.sh"

X=$B/libexec/banger
NS=banger-t3000-$$
OWNER=65534

if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null || ! command -v nft >/dev/null; then
	test_skip 'network helpers' 'needs root, ip and nft'
	test_done
fi
ip netns add "$NS" || { test_expect_success 'create a network namespace' 'false'; test_done; }
at_exit "ip netns del $NS"
mkdir -p "$BANGER_ROOT/etc/banger"
echo "owner_uid = $OWNER" >"$BANGER_ROOT/etc/banger/install.toml"
in_ns() { ip netns exec "$NS" "$@"; }
req() { printf '%s\n' "$2" | in_ns "$X/$1"; }

test_expect_success 'net-setup creates bridge, forwarding and nft table' '
	req root-net-setup "{}" >out &&
	echo "{\"ok\":true,\"result\":{\"bridge\":\"br-fc\",\"address\":\"172.16.0.1/24\"}}" >want &&
	test_cmp want out &&
	in_ns ip -4 -o addr show dev br-fc | grep -q "inet 172.16.0.1/24" &&
	in_ns ip -o link show br-fc | grep -q "state \(UP\|UNKNOWN\)\|<.*UP.*>" &&
	test "$(in_ns cat /proc/sys/net/ipv4/ip_forward)" = 1 &&
	in_ns nft list table inet banger >rules &&
	grep -q "ip saddr 172.16.0.0/24 ip daddr != 172.16.0.0/24 masquerade" rules &&
	grep -q "iifname \"br-fc\" ip saddr 172.16.0.0/24 accept" rules &&
	grep -q "oifname \"br-fc\" drop" rules
'
test_expect_success 'net-setup is idempotent (one table, same rules)' '
	in_ns nft list table inet banger >before &&
	req root-net-setup "{}" >out && grep -q "\"ok\":true" out &&
	req root-net-setup "{\"v\":1}" >out && grep -q "\"ok\":true" out &&
	in_ns nft list table inet banger >after &&
	test_cmp before after &&
	test $(in_ns nft list tables | grep -c "table inet banger") = 1
'
test_expect_success 'the guest policy: to the host only DNS, no link-local, no LAN' '
	in_ns nft list table inet banger >rules &&
	grep -q "iifname \"br-fc\" ct state established,related accept" rules &&
	grep -q "iifname \"br-fc\" ip daddr 172.16.0.1 meta l4proto { tcp, udp } th dport 53 accept" rules &&
	grep -A3 "chain input" rules >/dev/null && grep -c "iifname \"br-fc\" drop" rules | grep -qx 2 &&
	grep -q "iifname \"br-fc\" ip daddr @never drop" rules &&
	grep -q "100.100.100.200, 168.63.129.16" rules && grep -q "169.254.0.0/16" rules &&
	grep -c "iifname \"bgtap\*\" drop" rules | grep -qx 2 &&
	in_ns nft list table arp banger | grep -q "iifname \"bgtap\*\" drop" &&
	grep -q "iifname \"br-fc\" ip daddr @lan drop" rules &&
	grep -q "192.168.0.0/16" rules && grep -q "10.0.0.0/8" rules
'
test_expect_success 'the guest policy: a guest sends only as itself, IPv4 and ARP only' '
	in_ns nft list table bridge banger >brules &&
	grep -q "\"bgtap2\" \. 06:00:ac:10:00:02 \. 172.16.0.2" brules &&
	grep -q "\"bgtap254\" \. 06:00:ac:10:00:fe \. 172.16.0.254" brules &&
	grep -q "iifname \. ether saddr != @macs drop" brules &&
	grep -q "iifname \. ether saddr \. ip saddr != @ids drop" brules &&
	grep -q "iifname \. arp saddr ether \. arp saddr ip != @ids drop" brules &&
	grep -q "ether type != { ip, arp } drop" brules &&
	! grep -q "ether type ip6 accept" brules
'
test_expect_success 'ip_forward: on, and the value found first kept for net-down' '
	test "$(in_ns cat /proc/sys/net/ipv4/ip_forward)" = 1 &&
	test "$(cat "$BANGER_ROOT/run/banger-root/ip_forward.saved")" = 0
'
test_expect_success 'network.toml: allow_lan opens private ranges (never link-local), ipv6 lets IPv6 cross' '
	printf "[network]\nallow_lan = true\nipv6 = true\n" >"$BANGER_ROOT/etc/banger/network.toml" &&
	req root-net-setup "{}" | jq -e .ok >/dev/null &&
	in_ns nft list ruleset >rules &&
	! grep -q "ip daddr @lan drop" rules &&
	grep -q "ip daddr @never drop" rules &&
	grep -q "ether type ip6 accept" rules &&
	rm "$BANGER_ROOT/etc/banger/network.toml" &&
	req root-net-setup "{}" | jq -e .ok >/dev/null &&
	in_ns nft list ruleset >rules &&
	grep -q "ip daddr @lan drop" rules && ! grep -q "ether type ip6 accept" rules
'
test_expect_success 'a bad network.toml is refused, naming the line; the tables stay as they were' '
	in_ns nft list ruleset >before &&
	printf "[network]\nallow_lan = \"yes\"\n" >"$BANGER_ROOT/etc/banger/network.toml" &&
	printf "{}\n" | must_fail 100 in_ns "$X/root-net-setup" >out &&
	jq -r .error.message out | grep -q "network.toml:2:1: key .allow_lan. must be true or false" &&
	printf "[network]\nallow_wan = true\n" >"$BANGER_ROOT/etc/banger/network.toml" &&
	printf "{\"index\":5}\n" | must_fail 100 in_ns "$X/root-tap-add" >out &&
	jq -r .error.message out | grep -q "allow_wan. is not known in \[network\]" &&
	! in_ns ip link show bgtap5 2>/dev/null &&
	rm "$BANGER_ROOT/etc/banger/network.toml" &&
	in_ns nft list ruleset >after && test_cmp before after
'
test_expect_success 'net-setup leaves other tables alone' '
	in_ns nft add table ip other && in_ns nft add chain ip other c &&
	req root-net-setup "{}" >out && grep -q "\"ok\":true" out &&
	in_ns nft list table ip other | grep -q "chain c"
'
test_expect_success 'net-setup refuses request keys (exit 100)' '
	printf "{\"bridge\":\"eth0\"}\n" | must_fail 100 in_ns "$X/root-net-setup" >out &&
	grep -q "unknown request key" out
'
test_expect_success 'tap-add creates a persistent tap owned by the owner, on the bridge' '
	req root-tap-add "{\"index\":5}" >out &&
	echo "{\"ok\":true,\"result\":{\"tap\":\"bgtap5\"}}" >want && test_cmp want out &&
	test "$(in_ns cat /sys/class/net/bgtap5/owner)" = $OWNER &&
	test "$(in_ns cat /sys/class/net/bgtap5/group)" = $OWNER &&
	in_ns ip -o link show bgtap5 | grep -q "master br-fc"
'
test_expect_success 'tap-add is idempotent' '
	req root-tap-add "{\"index\":5}" | grep -q "\"ok\":true" &&
	test $(in_ns ip -o link show | grep -c bgtap5) = 1
'
test_expect_success 'tap-add refuses bad indexes (exit 100)' '
	for bad in 0 1 255 -3 1.5 1e9 "\"5\"" "\"../x\"" null "[5]"; do
		printf "{\"index\":%s}\n" "$bad" | must_fail 100 in_ns "$X/root-tap-add" >out &&
		grep -q "must be an integer from 2 to 254" out || { echo "index $bad"; return 1; }
	done &&
	printf "{}\n" | must_fail 100 in_ns "$X/root-tap-add" >out &&
	printf "{\"index\":5,\"name\":\"eth0\"}\n" | must_fail 100 in_ns "$X/root-tap-add" >out &&
	grep -q "unknown request key" out
'
test_expect_success 'tap-add refuses oversized requests (exit 100)' '
	{ printf "{\"index\":5,\"x\":\""; head -c 70000 /dev/zero | tr "\0" a; printf "\"}\n"; } |
	must_fail 100 in_ns "$X/root-tap-add" >out &&
	grep -q "larger than 65536" out
'
test_expect_success 'tap-add without install.toml refuses (no owner to give the tap to)' '
	mv "$BANGER_ROOT/etc/banger/install.toml" it.toml &&
	{ printf "{\"index\":6}\n" | must_fail 1 in_ns "$X/root-tap-add" >out; st=$?; } &&
	mv it.toml "$BANGER_ROOT/etc/banger/install.toml" && test $st = 0 &&
	grep -q "not installed" out && ! in_ns ip link show bgtap6 2>/dev/null
'
test_expect_success 'tap-del removes the tap, and again is fine' '
	req root-tap-del "{\"index\":5}" >out &&
	echo "{\"ok\":true,\"result\":{\"tap\":\"bgtap5\",\"removed\":true}}" >want && test_cmp want out &&
	! in_ns ip link show bgtap5 2>/dev/null &&
	req root-tap-del "{\"index\":5}" >out &&
	echo "{\"ok\":true,\"result\":{\"tap\":\"bgtap5\",\"removed\":false}}" >want && test_cmp want out
'
test_expect_success 'tap-del will not remove a non-tap interface of that name' '
	in_ns ip link add bgtap7 type bridge &&
	printf "{\"index\":7}\n" | must_fail 1 in_ns "$X/root-tap-del" >out &&
	jq -e ".error.code == \"exists\"" out >/dev/null &&
	jq -r .error.message out | grep -q "bgtap7: an interface of that name exists and is not a tap" &&
	in_ns ip link show bgtap7 >/dev/null &&
	printf "{\"index\":7}\n" | must_fail 1 in_ns "$X/root-tap-add" >out &&
	jq -e ".error.code == \"exists\"" out >/dev/null &&
	in_ns ip -d link show bgtap7 | grep -q "bridge" && in_ns ip link del bgtap7
'

# Other users' taps, made as an admin would (ip tuntap ... user UID):
# banger must neither take them over nor remove them.
test_expect_success 'a foreign persistent tap (another uid'"'"'s) survives tap-add and tap-del' '
	in_ns ip tuntap add bgtap6 mode tap user 4242 group 4242 &&
	printf "{\"index\":6}\n" | must_fail 1 in_ns "$X/root-tap-add" >out &&
	jq -e ".error.code == \"exists\"" out >/dev/null &&
	jq -r .error.message out | grep -q "bgtap6: that tap exists and is not the banger owner" &&
	test "$(in_ns cat /sys/class/net/bgtap6/owner)" = 4242 &&
	test "$(in_ns cat /sys/class/net/bgtap6/group)" = 4242 &&
	! in_ns ip -o link show bgtap6 | grep -q "master" &&
	printf "{\"index\":6}\n" | must_fail 1 in_ns "$X/root-tap-del" >out &&
	jq -e ".error.code == \"exists\"" out >/dev/null &&
	test "$(in_ns cat /sys/class/net/bgtap6/owner)" = 4242
'
test_expect_success 'a tap with no owner, and a tun, are refused too' '
	in_ns ip tuntap add bgtap8 mode tap &&
	in_ns ip tuntap add bgtap10 mode tun user $OWNER &&
	for i in 8 10; do
		printf "{\"index\":%s}\n" $i | must_fail 1 in_ns "$X/root-tap-add" >out &&
		jq -e ".error.code == \"exists\"" out >/dev/null &&
		printf "{\"index\":%s}\n" $i | must_fail 1 in_ns "$X/root-tap-del" >out &&
		jq -e ".error.code == \"exists\"" out >/dev/null &&
		in_ns ip link show bgtap$i >/dev/null || { echo "bgtap$i"; return 1; }
	done &&
	test "$(in_ns cat /sys/class/net/bgtap8/owner)" = -1 &&
	! in_ns ip -o link show bgtap8 | grep -q "master"
'
test_expect_success 'through root-dispatch on a socket: owner served, foreign uid refused' '
	mkdir -p "$BANGER_ROOT/etc/banger/access/uid/$OWNER" &&
	cp "$TOP/conf/access/owner.allow" "$BANGER_ROOT/etc/banger/access/uid/$OWNER/allow" &&
	{ ip netns exec "$NS" s6-ipcserver -a 0666 "$TRASH/r.sock" "$X/root-dispatch" >/dev/null 2>&1 & } &&
	echo $! >s6.pid &&
	i=0 && while [ ! -S r.sock ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done &&
	setpriv --reuid=$OWNER --regid=$OWNER --clear-groups s6-ipcclient "$TRASH/r.sock" \
		sh -c "trap \"\" PIPE; printf \"tap-add\n{\\\"index\\\":9}\n\" >&7; cat <&6; exit 0" >out &&
	grep -q "\"tap\":\"bgtap9\"" out &&
	test "$(in_ns cat /sys/class/net/bgtap9/owner)" = $OWNER &&
	setpriv --reuid=4242 --regid=4242 --clear-groups s6-ipcclient "$TRASH/r.sock" \
		sh -c "trap \"\" PIPE; printf \"tap-del\n{\\\"index\\\":9}\n\" >&7; cat <&6; exit 0" >out &&
	grep -q "uid 4242 refused" out &&
	in_ns ip link show bgtap9 >/dev/null
'
test_expect_success 'audit (no journal here): each root request, accepted or refused, is a line on stderr' '
	printf "{\"index\":12}\n" | in_ns "$X/root-tap-add" >out 2>err &&
	grep -qx "banger-root-tap-add: ok" err &&
	printf "{\"index\":6}\n" | must_fail 1 in_ns "$X/root-tap-add" >out 2>err &&
	grep -qx "banger-root-tap-add: exists: cannot use bgtap6: that tap exists and is not the banger owner.*" err &&
	printf "{\"index\":12}\n" | in_ns "$X/root-tap-del" >out 2>err &&
	grep -qx "banger-root-tap-del: ok" err
'
test_expect_success 'vm prune removes the owner'"'"'s orphan tap, not the foreign ones' '
	mkdir -p "$BANGER_ROOT/var/lib/banger/vms" &&
	printf "{}\n" | in_ns env BANGER_ROOT_SOCKET="$TRASH/r.sock" "$X/vm-prune" >out &&
	jq -e ".result.taps_removed == [\"bgtap9\"]" out >/dev/null &&
	! in_ns ip link show bgtap9 2>/dev/null &&
	test "$(in_ns cat /sys/class/net/bgtap6/owner)" = 4242 &&
	in_ns ip link show bgtap8 >/dev/null && in_ns ip link show bgtap10 >/dev/null
'
# A guest may address its frames to a reserved group MAC
# (01:80:c2:00:00:0X; 0e is LLDP's): the bridge does not forward those,
# it passes them up to the host as the tap's own, past the bridge
# table's checks.  The inet and arp tables must drop what comes in on a
# tap.  The "guest" here is a veth's far end in a namespace of its own;
# the frames are built by hand on a raw socket.
G=banger-t3000g-$$
at_exit "ip netns del $G 2>/dev/null"
cat >"$TRASH/rawudp" <<'EOF'
#!/usr/bin/perl
# rawudp IFNAME DSTMAC SRCMAC SRCIP DSTIP DPORT PAYLOAD: one UDP datagram
# in an Ethernet frame of our making, on a raw AF_PACKET socket.
use strict;
use warnings;
use Socket qw(inet_aton);
my ($if, $dmac, $smac, $sip, $dip, $dport, $data) = @ARGV;
sub mac { pack("H12", join("", split(/:/, $_[0]))) }
sub csum { my $s = 0; $s += $_ for unpack("n*", $_[0]); $s = ($s & 0xffff) + ($s >> 16) while $s >> 16; ~$s & 0xffff }
open(my $fh, "<", "/sys/class/net/$if/ifindex") or die "ifindex: $!";
chomp(my $ifindex = <$fh>);
my $udp = pack("nnnn", 40000, $dport, 8 + length($data), 0) . $data;
my $ip = pack("CCnnnCCna4a4", 0x45, 0, 20 + length($udp), 1, 0x4000, 64, 17, 0,
    inet_aton($sip), inet_aton($dip));
substr($ip, 10, 2) = pack("n", csum($ip));
socket(my $s, 17, 3, 0) or die "socket(AF_PACKET): $!";
my $sll = pack("SniSCCa8", 17, 0x0003, $ifindex, 1, 0, 6, mac($dmac));
send($s, mac($dmac) . mac($smac) . pack("n", 0x0800) . $ip . $udp, 0, $sll)
    or die "send: $!";
EOF
cat >"$TRASH/udpsink" <<'EOF'
#!/usr/bin/perl
# udpsink FILE ADDR:PORT...: each datagram's payload, a line in FILE;
# a datagram "first" is answered (its flow becomes established).
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
my $file = shift;
my $sel = IO::Select->new;
$sel->add(IO::Socket::INET->new(LocalAddr => $_, Proto => "udp") || die "$_: $!") for @ARGV;
open(my $out, ">>", $file) or die "$file: $!";
$out->autoflush(1);
print $out "ready\n";
while (1) {
	for my $s ($sel->can_read) {
		my $d = "";
		my $peer = $s->recv($d, 2048);
		print $out $s->sockport, " $d\n";
		$s->send("ok", 0, $peer) if $d eq "first" && defined $peer;
	}
}
EOF
chmod +x "$TRASH/rawudp" "$TRASH/udpsink"
guest_send() { ip netns exec "$G" "$TRASH/rawudp" eth0 "$1" 06:00:ac:10:00:14 172.16.0.20 172.16.0.1 "$2" "$3"; }
test_expect_success 'a "guest" on bgtap20 (a veth into a namespace of its own), a UDP sink on the host' '
	req root-net-setup "{}" | jq -e .ok >/dev/null &&
	ip netns add "$G" &&
	in_ns ip link add bgtap20 type veth peer name eth0 netns "$G" &&
	in_ns ip link set bgtap20 master br-fc up &&
	ip netns exec "$G" ip link set eth0 address 06:00:ac:10:00:14 up &&
	ip netns exec "$G" ip addr add 172.16.0.20/24 dev eth0 &&
	{ ip netns exec "$NS" "$TRASH/udpsink" "$TRASH/sink" 172.16.0.1:53 172.16.0.1:9999 >/dev/null 2>&1 & } &&
	echo $! >sink.pid &&
	i=0 && while ! grep -qx ready sink 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done &&
	grep -qx ready sink
'
at_exit 'kill $(cat "$TRASH"/sink.pid) 2>/dev/null'
test_expect_success 'frames to a reserved group MAC reach nothing on the host (control: DNS to br-fc does)' '
	brmac=$(in_ns cat /sys/class/net/br-fc/address) &&
	guest_send 01:80:c2:00:00:0e 9999 lldp-9999 &&
	guest_send 01:80:c2:00:00:0e 53 lldp-53 &&
	guest_send 01:80:c2:00:00:03 9999 grp3-9999 &&
	guest_send "$brmac" 9999 br-9999 &&
	guest_send "$brmac" 53 ctl-53 &&
	i=0 && while ! grep -qx "53 ctl-53" sink && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done &&
	grep -qx "53 ctl-53" sink &&
	! grep -E "lldp|grp3|br-9999" sink
'
# One guest flooding DNS is held to its own rate (1000/s, bursts of
# 2000): after one answer (so the flow is established, as a resolver's
# would be), 20000 datagrams from the "guest" to 172.16.0.1:53 leave the
# limit's drop counter above zero and the guest's address in the rate
# set; the first datagrams still reach the host (the sink, which
# answers the first).
test_expect_success 'a guest flooding DNS on the bridge address is held to its rate (the drop counter moves)' '
	ip netns exec "$G" perl -MIO::Socket::INET -e "
	    my \$s = IO::Socket::INET->new(PeerAddr => q(172.16.0.1:53), Proto => q(udp)) or die;
	    \$s->send(q(first));
	    my \$r = IO::Select->new(\$s)->can_read(5) or die q(no answer);
	    \$s->recv(my \$a, 64);
	    \$s->send(q(flood)) for 1 .. 20000" -MIO::Select &&
	in_ns nft -j list chain inet banger input >input.json &&
	jq -e "[.nftables[] | select(.rule) | .rule.expr | select(any(.[]; .set? and .set.set == \"@dnsrate\")) |
	    .[] | select(.counter) | .counter.packets][0] > 0" input.json >/dev/null &&
	in_ns nft list set inet banger dnsrate | grep -q "172.16.0.20" &&
	grep -q "^53 flood$" sink ||
	{ cat input.json; false; }
'
# A LAN neighbour that routes 172.16.0.0/24 through this host: the
# kernel would take a packet for the bridge address from any interface
# (dns-answer listens there); banger's input chain drops it.  Control:
# the host's own LAN address, on the same path, is reached.
L=$NS-lan
udp_to() { ip netns exec "$L" perl -MIO::Socket::INET -e \
    'IO::Socket::INET->new(PeerAddr => $ARGV[0], Proto => "udp")->send($ARGV[1])' "$1" "$2"; }
test_expect_success 'the bridge address from another interface (a LAN neighbour routing the subnet here): dropped' '
	ip netns add "$L" &&
	in_ns ip link add lan0 type veth peer name eth0 netns "$L" &&
	in_ns ip addr add 192.0.2.1/24 dev lan0 && in_ns ip link set lan0 up &&
	ip netns exec "$L" ip addr add 192.0.2.2/24 dev eth0 &&
	ip netns exec "$L" ip link set eth0 up &&
	ip netns exec "$L" ip route add 172.16.0.0/24 via 192.0.2.1 &&
	in_ns nft list chain inet banger input |
	    grep -q "iifname != { \"lo\", \"br-fc\" } ip daddr 172.16.0.1 drop" &&
	{ ip netns exec "$NS" "$TRASH/udpsink" "$TRASH/lansink" 192.0.2.1:5353 >/dev/null 2>&1 & } &&
	echo $! >lansink.pid &&
	i=0 && while ! grep -qx ready lansink 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done &&
	udp_to 172.16.0.1:53 lan-53 && udp_to 172.16.0.1:9999 lan-9999 &&
	udp_to 192.0.2.1:5353 lan-ctl &&
	i=0 && while ! grep -qx "5353 lan-ctl" lansink && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done &&
	grep -qx "5353 lan-ctl" lansink &&
	! grep -q "lan-" sink
'
at_exit 'kill $(cat "$TRASH"/lansink.pid) 2>/dev/null; ip netns del "'"$L"'" 2>/dev/null'
test_expect_success 'net-down is root'"'"'s: the owner is refused by root-dispatch' '
	setpriv --reuid=$OWNER --regid=$OWNER --clear-groups s6-ipcclient "$TRASH/r.sock" \
		sh -c "trap \"\" PIPE; printf \"net-down\n{}\n\" >&7; cat <&6; exit 0" >out &&
	jq -e ".error.code == \"permission_denied\"" out >/dev/null &&
	in_ns ip link show br-fc >/dev/null
'
test_expect_success 'net-down is busy while an owner'"'"'s tap exists' '
	req root-tap-add "{\"index\":11}" | jq -e .ok >/dev/null &&
	printf "{}\n" | must_fail 1 in_ns "$X/root-net-down" >out &&
	jq -r .error.message out | grep -q "in use (taps: bgtap11)" &&
	in_ns ip link show br-fc >/dev/null &&
	req root-tap-del "{\"index\":11}" | jq -e .ok >/dev/null
'
test_expect_success 'net-down: tables and bridge gone, ip_forward as it was, foreign taps untouched' '
	req root-net-down "{}" >out &&
	jq -e ".result.removed" out >/dev/null &&
	! in_ns nft list table inet banger 2>/dev/null &&
	! in_ns nft list table arp banger 2>/dev/null &&
	! in_ns nft list table bridge banger 2>/dev/null &&
	! in_ns ip link show br-fc 2>/dev/null &&
	test "$(in_ns cat /proc/sys/net/ipv4/ip_forward)" = 0 &&
	! test -e "$BANGER_ROOT/run/banger-root/ip_forward.saved" &&
	test "$(in_ns cat /sys/class/net/bgtap6/owner)" = 4242 &&
	in_ns nft list table ip other >/dev/null &&
	req root-net-down "{}" | jq -e .ok >/dev/null
'
at_exit 'kill $(cat "$TRASH"/s6.pid)'
test_done
