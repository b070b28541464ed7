#!/bin/sh
# t/0360-dns-resolved.t — NAME.vm on the host through systemd-resolved,
# end to end, under a real systemd: systemd as PID 1 of a
# systemd-nspawn container (t/nspawn.sh) whose tree has
# systemd-resolved (its stub on 127.0.0.53 is /etc/resolv.conf) and
# curl, besides 0340's.  As root, the real `banger system install`
# from the build in /opt/bb; then, with one container and one VM:
#   - banger-dns.socket enabled, active, systemd's sockets on
#     172.16.0.1:53 UDP and TCP; install wired br-fc in resolved;
#   - refused, through the root socket and the helper itself: a
#     look-alike br-fc (a veth holding 172.16.0.1, a bridge without
#     it: "exists", nothing set), a request naming a link
#     (bad_request), a uid that is not the owner (permission_denied);
#   - a real guest (QEMU, TCG) `keep`: resolvectl shows DNS 172.16.0.1,
#     ~vm, no default route, LLMNR/mDNS/DNSSEC/DoT off on br-fc;
#     resolvectl and glibc (getent, through the stub) resolve keep.vm
#     and KEEP.vm to its address, nope.vm is not found; example.com is
#     never sent to 172.16.0.1 (an nftables counter on the output hook,
#     checked by a .vm query that does go there); curl
#     http://keep.vm:8080/ reaches busybox httpd in the guest;
#   - system status (dns: on, resolves, the address) and doctor (a dns
#     pass naming keep.vm);
#   - dns-wire again changes nothing; systemd-resolved restarted keeps
#     them (it saves a link's settings); reverted, they are gone
#     (status: off, doctor warns); a br-fc made again (as after a
#     reboot) by the next vm start is wired again;
#   - system uninstall: ~vm on no link, keep.vm does not resolve,
#     banger-dns.socket gone; root's helper, run by hand, sets nothing
#     on a look-alike br-fc (not installed).
# Needs root, systemd-nspawn, debootstrap, jq, nft and `make images`;
# the tree is built once and cached.  See docs/testing.md.

. "${0%/*}/lib.sh"
. "${0%/*}/nspawn.sh"

OWNER=owner OWNER_UID=1500 OWNER_GROUP=ownergrp
CT=$TRASH/ct
ST=/var/lib/banger
BB=/opt/bb
LX=/usr/local/libexec/banger
RSOCK=/run/banger-root/bangerd-root.sock
CLIENT=$NS_CLIENT
VM=keep
PORT=8080
MEM_MIB=512
# Boot under TCG, on a busy 2-core machine.
SSH_TIMEOUT=300
# 0340's list (what a VM start drives, QEMU, ssh) and what this test
# looks with: systemd-resolved (and its stub resolv.conf), curl.
INCLUDE=$NS_INCLUDE,libarchive13,e2fsprogs,libsodium23,libbearssl0,openssh-client,qemu-system-x86,git,systemd-resolved,curl

why=$(ns_missing)
if [ -z "$why" ]; then
	for f in bin/banger share/banger/units/banger-dns.socket \
	    libexec/banger/system-install libexec/banger/system-uninstall \
	    libexec/banger/root-dns-wire libexec/banger/dns-answer; do
		[ -f "$B/$f" ] && continue
		why="no build/$f (make)"
		break
	done
fi
if [ -z "$why" ]; then
	for f in kernel/vmlinux kernel/initrd.img kernel/manifest.json \
	    test/rootfs.ext4 test/manifest.json; do
		[ -f "$B/images/$f" ] && continue
		why="no build/images/$f (make images)"
		break
	done
fi
for c in jq nft; do
	[ -z "$why" ] && ! command -v $c >/dev/null 2>&1 && why="$c is not installed"
done
if [ -n "$why" ]; then
	test_skip '.vm names through systemd-resolved under a real systemd (nspawn)' "$why"
	test_done
fi
at_exit ns_stop

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
T0=$(date +%s%N)

# ---- the container tree ---------------------------------------------

ns_tree_step "$INCLUDE" "systemd, systemd-resolved, curl, libnftables, ssh, e2fsprogs and qemu-system-x86 (cached)"

KNAME=$(jq -r .name "$B/images/kernel/manifest.json" 2>/dev/null)
HOST_TUN=$(stat -c %a /dev/net/tun 2>/dev/null)

# The users (member: in the owner's group, so it can connect to the
# root socket, which must refuse it), the build's installable files in
# /opt/bb, the raw client, the owner's config; nothing of banger installed.
prepare() {
	ns_copy "$CT" &&
	chroot "$CT" groupadd -g $OWNER_UID $OWNER_GROUP &&
	chroot "$CT" useradd -m -u $OWNER_UID -g $OWNER_GROUP $OWNER &&
	chroot "$CT" useradd -m -u 1501 -U other &&
	chroot "$CT" useradd -m -u 1502 -U -G $OWNER_GROUP member &&
	install -d -m 0755 "$CT$BB/bin" "$CT$BB/libexec/banger" "$CT$BB/share" &&
	install -m 0755 "$B/bin/banger" "$CT$BB/bin/banger" &&
	install -m 0755 "$B"/libexec/banger/* "$CT$BB/libexec/banger/" &&
	cp -R "$B/share/banger" "$CT$BB/share/banger" &&
	chmod -R u=rwX,go=rX "$CT$BB/share" &&
	ns_put_client "$CT" &&
	ns_owner_config "$CT" "$MEM_MIB" &&
	for p in usr/local/bin/banger etc/banger var/lib/banger; do
		[ ! -e "$CT/$p" ] || { echo "/$p is in the tree"; return 1; }
	done
}

test_expect_success 'a copy of the tree with the users and the build in /opt/bb, no banger installed' '
	prepare
'
[ -x "$CT$BB/bin/banger" ] || test_done

test_expect_success 'the tree: /etc/resolv.conf is resolved'"'"'s stub (as the package sets it), resolvectl and curl are there' '
	[ "$(readlink "$CT/etc/resolv.conf")" = ../run/systemd/resolve/stub-resolv.conf ] &&
	[ -x "$CT/usr/bin/resolvectl" ] && [ -x "$CT/usr/bin/curl" ] &&
	[ "$(chroot "$CT" systemctl is-enabled systemd-resolved)" = enabled ]
'

ns_boot_step "$CT"

# As in 0330: a stock host's /dev/net/tun is 0666 (the container's own node).
test_expect_success 'the container'"'"'s /dev/net/tun is 0666 (as on a stock host)' '
	ns_run chmod 0666 /dev/net/tun &&
	[ "$(stat -c %a /dev/net/tun)" = "$HOST_TUN" ]
'

# ---- helpers ------------------------------------------------------------

prop() { ns_run systemctl show -P "$2" "$1"; }
unit_gone() { [ "$(prop "$1" LoadState)" = not-found ]; }
# nft in the container's network namespace (the tree has no nft).
ct_nft() { nsenter -t "$NS_LEADER" -n nft "$@"; }
# rv ARGS: resolvectl in the container, bounded.
rv() { ns_run timeout 20 resolvectl "$@"; }
resolved_up() {
	[ "$(ns_run systemctl is-active systemd-resolved)" = active ] &&
	ns_run test -S /run/systemd/resolve/io.systemd.Resolve &&
	rv status >/dev/null 2>&1
}
# wiring: resolved's settings for br-fc, one line each, without the
# link's index (which changes when the bridge is made again).
wiring() {
	for w in dns domain default-route llmnr mdns dnssec dnsovertls; do
		_v=$(rv "$w" br-fc) || return 1
		echo "$w:$(echo "$_v" | sed 's/^Link [0-9]* (br-fc)://')"
	done
}
wiring_want() {
	printf '%s\n' "dns: 172.16.0.1" "domain: ~vm" "default-route: no" \
	    "llmnr: no" "mdns: no" "dnssec: no" "dnsovertls: no"
}
# no_vm_domain: ~vm on no link of resolved.
no_vm_domain() {
	rv domain > "$TRASH/domains.out" 2>&1 &&
	! grep -q "~vm" "$TRASH/domains.out" || { cat "$TRASH/domains.out"; false; }
}
# resolves NAME IP: resolvectl, asking the server (no cache), gets IP on br-fc.
resolves() {
	rv query -4 --cache=no --legend=no "$1" > "$TRASH/q.out" 2>&1 &&
	grep -q "^$1: $2 *-- link: br-fc\$" "$TRASH/q.out"
}
# owner_json FILE CMD...: the CLI as the owner with --json.
owner_json() {
	_f=$1
	shift
	ns_as $OWNER banger --json "$@" > "$TRASH/$_f" 2> "$TRASH/$_f.err" ||
	    { cat "$TRASH/$_f.err" "$TRASH/$_f"; return 1; }
}
# ask USER FILE JSON: dns-wire on the root socket as USER (the raw
# client, t/nspawn.sh); FILE gets the answer, FILE.st the client's status.
ask() {
	ns_as "$1" $CLIENT $RSOCK dns-wire "$3" > "$TRASH/$2" 2>&1
	echo $? > "$TRASH/$2.st"
}
# direct FILE JSON: the helper itself as root, the request on a pipe.
direct() {
	ns_run sh -c 'printf "%s\n" "$2" | "$1"' direct "$LXD/root-dns-wire" "$2" \
	    > "$TRASH/$1" 2> "$TRASH/$1.err"
	echo $? > "$TRASH/$1.st"
}
# lookalike veth|bridge [ADDR]: a br-fc that is not banger's: one end
# of a veth pair (its peer up, so it has carrier, as a link someone
# else controls would), or a bridge; with ADDR on it.
lookalike() {
	ns_run ip link del br-fc 2>/dev/null
	if [ "$1" = veth ]; then
		ns_run ip link add br-fc type veth peer name bgt-peer &&
		ns_run ip link set bgt-peer up
	else
		ns_run ip link add br-fc type "$1"
	fi &&
	if [ -n "${2:-}" ]; then ns_run ip addr add "$2" dev br-fc; fi &&
	ns_run ip link set br-fc up
}
# counter: packets to 172.16.0.1 port 53 (UDP or TCP) sent from the container.
counter() {
	ct_nft -j list counter inet t0360 dns53 |
	    jq -e "[.nftables[] | select(.counter) | .counter.packets][0]"
}
why_vmm() {
	ns_run journalctl --sync
	echo "--- the journal (tail)"
	ns_run journalctl -b --no-pager -o cat -n 12
	echo "--- $ST/vms/$1/serial.log (tail)"
	ns_run tail -n 15 "$ST/vms/$1/serial.log"
}
why_dns() {
	ns_run journalctl --sync
	echo "--- resolvectl status br-fc"
	rv status br-fc
	echo "--- systemd-resolved and banger-dns (tail)"
	ns_run journalctl -b --no-pager -o cat -u systemd-resolved -u banger-dns.service -n 15
	echo "--- banger-root (tail)"
	ns_run journalctl -b --no-pager -o cat -t banger-root -n 10
}
guest_ssh() {
	ns_as $OWNER timeout 5 banger vm ssh $VM -- true < /dev/null > /dev/null 2>&1
}
# serve: busybox httpd in the guest, on PORT, serving hello-from-keep.
serve() {
	ns_as $OWNER banger vm ssh $VM -- sh -c "mkdir -p /tmp/www &&
	    echo hello-from-keep > /tmp/www/index.html &&
	    busybox httpd -p $PORT -h /tmp/www" < /dev/null > "$TRASH/httpd.out" 2>&1 ||
	    { cat "$TRASH/httpd.out"; false; }
}
fetch() {
	ns_run curl -sS --max-time 5 "http://$VM.vm:$PORT/" > "$TRASH/curl.out" 2>&1 &&
	[ "$(cat "$TRASH/curl.out")" = hello-from-keep ]
}

test_expect_success 'systemd-resolved runs in the container, its stub answers on 127.0.0.53' '
	ns_until 30 resolved_up &&
	ns_run cat /etc/resolv.conf > resolv.out &&
	grep -qx "nameserver 127.0.0.53" resolv.out || { cat resolv.out; false; }
'

# ---- install --------------------------------------------------------------

_t0=$(date +%s%N)
ns_run $BB/bin/banger system install --owner $OWNER > "$TRASH/install.out" 2> "$TRASH/install.err"
inst_st=$?
echo "# system install: $(ms_since "$_t0") ms"
grep -h "dns" "$TRASH/install.out" "$TRASH/install.err" | sed 's/^/# install: /'
LXD=$LX
test_expect_success 'as root: banger system install --owner owner succeeds, and says resolved sends .vm to 172.16.0.1' '
	[ $inst_st = 0 ] || { cat install.err install.out; ns_run journalctl -b --no-pager -n 25; false; } &&
	cat install.out install.err | grep -q "dns: systemd-resolved sends \.vm to 172\.16\.0\.1 on br-fc"
'

test_expect_success 'banger-dns.socket enabled and active: systemd listens on 172.16.0.1:53, UDP and TCP' '
	[ "$(ns_run systemctl is-enabled banger-dns.socket)" = enabled ] &&
	[ "$(ns_run systemctl is-active banger-dns.socket)" = active ] &&
	prop banger-dns.socket Listen > dns.listen &&
	grep -Fx "172.16.0.1:53 (Datagram)" dns.listen &&
	grep -Fx "172.16.0.1:53 (Stream)" dns.listen &&
	ns_run ss -Hlnup > ssu.out && ns_run ss -Hlntp > sst.out &&
	grep "172\.16\.0\.1:53 " ssu.out | grep -q "\"systemd\",pid=1," &&
	grep "172\.16\.0\.1:53 " sst.out | grep -q "\"systemd\",pid=1," ||
	    { cat dns.listen ssu.out sst.out; false; }
'

test_expect_success 'install wired br-fc (banger'"'"'s bridge, no VM yet): DNS 172.16.0.1, ~vm, no default route, LLMNR/mDNS/DNSSEC/DoT off' '
	ns_run test -d /sys/class/net/br-fc/bridge &&
	wiring > wiring0.out &&
	wiring_want > wiring.want &&
	test_cmp wiring.want wiring0.out &&
	owner_json status0.json system status &&
	jq -e ".dns.wiring == \"on\"" status0.json || { cat status0.json; false; }
'

# ---- refusals ---------------------------------------------------------------

# A br-fc that is not banger's: banger's bridge deleted (resolved drops
# its settings with the link), the name taken by something else.  The
# owner asks through the root socket (banger-root@ -> root-dispatch ->
# root-dns-wire), root runs the helper itself.
test_expect_success 'a veth br-fc holding 172.16.0.1: dns-wire is refused ("exists", naming br-fc); resolved gets nothing' '
	lookalike veth 172.16.0.1/24 &&
	ns_until 5 ns_run grep -qx 1 /sys/class/net/br-fc/carrier &&
	ask $OWNER veth.out "{\"v\":1}" &&
	[ "$(cat veth.out.st)" = 0 ] || { cat veth.out; false; } &&
	tail -n 1 veth.out | jq -e ".ok == false and .error.code == \"exists\" and
	    (.error.message | test(\"br-fc is not banger.s bridge\"))" || { cat veth.out; false; } &&
	direct veth-root.out "{\"v\":1}" &&
	[ "$(cat veth-root.out.st)" = 1 ] &&
	tail -n 1 veth-root.out | jq -e ".ok == false and .error.code == \"exists\"" ||
	    { cat veth-root.out veth-root.out.err veth-root.out.st; false; } &&
	rv domain br-fc > dom1.out && ! grep -q "~vm" dom1.out &&
	rv dns br-fc > dns1.out && ! grep -q "172\.16\.0\.1" dns1.out &&
	no_vm_domain || { cat dom1.out dns1.out; false; }
'
echo "# refused: $(tail -n 1 "$TRASH/veth.out" | jq -r .error.message 2>/dev/null)"

test_expect_success 'a bridge br-fc without 172.16.0.1: refused likewise ("exists": it does not hold the address)' '
	lookalike bridge &&
	! ns_run test -e /sys/class/net/bgt-peer &&
	ask $OWNER bare.out "{\"v\":1}" &&
	tail -n 1 bare.out | jq -e ".ok == false and .error.code == \"exists\" and
	    (.error.message | test(\"br-fc does not hold 172.16.0.1\"))" || { cat bare.out; false; } &&
	direct bare-root.out "{\"v\":1}" &&
	[ "$(cat bare-root.out.st)" = 1 ] &&
	tail -n 1 bare-root.out | jq -e ".ok == false and .error.code == \"exists\"" ||
	    { cat bare-root.out bare-root.out.err; false; } &&
	rv domain br-fc > dom2.out && ! grep -q "~vm" dom2.out &&
	rv dns br-fc > dns2.out && ! grep -q "172\.16\.0\.1" dns2.out || { cat dom2.out dns2.out; false; }
'
echo "# refused: $(tail -n 1 "$TRASH/bare.out" | jq -r .error.message 2>/dev/null)"

test_expect_success 'a request naming a link ({"v":1,"link":"eth0"}): bad_request, from the owner and from root' '
	ask $OWNER extra.out "{\"v\":1,\"link\":\"eth0\"}" &&
	tail -n 1 extra.out | jq -e ".ok == false and .error.code == \"bad_request\" and
	    (.error.message | test(\"link\"))" || { cat extra.out; false; } &&
	direct extra-root.out "{\"v\":1,\"link\":\"eth0\"}" &&
	[ "$(cat extra-root.out.st)" = 100 ] &&
	tail -n 1 extra-root.out | jq -e ".ok == false and .error.code == \"bad_request\"" ||
	    { cat extra-root.out extra-root.out.err extra-root.out.st; false; }
'

test_expect_success 'a uid that is not the owner: member (in its group) is refused by root-dispatch, other cannot connect' '
	ask member member.out "{\"v\":1}" &&
	[ "$(cat member.out.st)" = 0 ] &&
	tail -n 1 member.out | jq -e ".ok == false and .error.code == \"permission_denied\"" ||
	    { cat member.out; false; } &&
	ask other other.out "{\"v\":1}" &&
	[ "$(cat other.out.st)" = 111 ] &&
	grep -q "Permission denied" other.out || { cat other.out; false; }
'

# The system bus reachable from a PID and network namespace of its own
# (t/with-sandbox's root side on a host with resolved; a privileged
# container with the host's bus): the PID the bus gives for resolved
# means another process there, and a link index another link.  Root
# runs the helper in such a namespace, with banger's own bridge there
# and a process holding resolved's PID number: refused, nothing sent.
test_expect_success 'root in a PID and network namespace of its own, the bus reachable, resolved'"'"'s PID taken there: refused, nothing changed' '
	rpid=$(ns_run systemctl show -P MainPID systemd-resolved) && [ "$rpid" -gt 1 ] &&
	ns_run unshare --net --pid --fork --mount-proc sh -c "
	    ip link add br-fc type bridge && ip addr add 172.16.0.1/24 dev br-fc &&
	    ip link set br-fc up || exit 1
	    echo \$((\$1 - 1)) > /proc/sys/kernel/ns_last_pid; sleep 30 & s=\$!
	    echo \"holder \$s\"
	    printf \"{\\\"v\\\":1}\\n\" | \"\$2\"
	    echo \" rc=\$?\"; kill \$s" pidns "$rpid" "$LXD/root-dns-wire" > pidns.out 2>&1 &&
	grep -qx "holder $rpid" pidns.out &&
	grep -q "\"wired\":false" pidns.out &&
	grep -q "the system bus is in another PID namespace" pidns.out &&
	grep -q " rc=0\$" pidns.out &&
	no_vm_domain && rv dns > dnsall.out && ! grep -q "172\.16\.0\.1" dnsall.out ||
	{ cat pidns.out; false; }
'

test_expect_success 'the refusals are in banger-root'"'"'s journal; resolved has ~vm on no link' '
	ns_run ip link del br-fc &&
	ns_run journalctl --sync &&
	ns_run journalctl -b -o cat -t banger-root > root.log &&
	grep -q "^banger-root-dns-wire: uid 1500 pid [0-9]*: exists: br-fc is not banger.s bridge" root.log &&
	grep -q "^banger-root-dns-wire: uid 1500 pid [0-9]*: exists: br-fc does not hold 172\.16\.0\.1" root.log &&
	grep -q "uid 1502.*permission_denied\|permission_denied.*uid 1502" root.log &&
	no_vm_domain || { cat root.log; false; }
'

# ---- a VM: keep -----------------------------------------------------------

# The kernel and the test image laid out as 0330 does (root's files in
# the owner's directories): the bundles' pull is 0340's subject.
lay_artifacts() {
	K=$CT$ST/kernels/$KNAME I=$CT$ST/images/test &&
	mkdir -p "$K" "$I" &&
	for f in $(jq -r '.files | keys[]' "$B/images/kernel/manifest.json") manifest.json; do
		cp --sparse=always "$B/images/kernel/$f" "$K/$f" || return 1
	done &&
	for f in rootfs.ext4 manifest.json; do
		cp --sparse=always "$B/images/test/$f" "$I/$f" || return 1
	done &&
	chmod 0644 "$K"/* "$I"/* &&
	chown $OWNER_UID:$OWNER_UID "$CT$ST/kernels" "$CT$ST/images" "$K" "$I" &&
	ns_artifacts_ready "$KNAME"
}
test_expect_success 'the kernel and the test image in the owner'"'"'s state' '
	case $KNAME in ""|null|*/*|.*) false ;; esac &&
	lay_artifacts
'

# The nftables counter: what the container sends to 172.16.0.1:53.
test_expect_success 'a counter of the container'"'"'s packets to 172.16.0.1 port 53 (nftables, output hook)' '
	ct_nft -f - <<-EOF &&
	table inet t0360 {
		counter dns53 { }
		chain out {
			type filter hook output priority 0; policy accept;
			ip daddr 172.16.0.1 meta l4proto { tcp, udp } th dport 53 counter name "dns53"
		}
	}
	EOF
	[ "$(counter)" = 0 ]
'

_t0=$(date +%s%N)
ns_as $OWNER banger vm run --name $VM --ssh-timeout $SSH_TIMEOUT -- true \
    > "$TRASH/keep.out" 2> "$TRASH/keep.err" < /dev/null
keep_st=$?
echo "# banger vm run --name $VM -- true: $(ms_since "$_t0") ms"
owner_json show.json vm show $VM >/dev/null 2>&1
IP=$(jq -r '.ip // .vm.ip // empty' "$TRASH/show.json" 2>/dev/null)
echo "# $VM's address: ${IP:-none}"
test_expect_success 'owner: banger vm run --name keep -- true; keep runs, its address from vm show --json' '
	[ $keep_st = 0 ] || { cat keep.err keep.out; why_vmm $VM; false; } &&
	owner_json list.json vm list &&
	jq -e "[.vms[] | select(.name == \"keep\")][0].state == \"running\"" list.json &&
	case $IP in 172.16.0.[0-9]*) ;; *) cat show.json; false ;; esac &&
	jq -r "[.vms[] | select(.name == \"keep\")][0].ip" list.json | grep -qx "$IP" ||
	    { cat list.json show.json; false; }
'

test_expect_success 'br-fc is banger'"'"'s bridge again, with carrier (keep'"'"'s tap on it), and vm start wired it' '
	ns_run test -d /sys/class/net/br-fc/bridge &&
	ns_until 20 ns_run grep -qx 1 /sys/class/net/br-fc/carrier &&
	wiring > wiring1.out &&
	test_cmp wiring.want wiring1.out &&
	rv status br-fc > status-br.out &&
	grep -Eq "(Default Route: no|-DefaultRoute)" status-br.out || { cat status-br.out; false; }
'
sed 's/^/# resolvectl status br-fc: /' "$TRASH/status-br.out" 2>/dev/null

test_expect_success 'resolvectl domain/dns br-fc show ~vm and 172.16.0.1; resolvectl query keep.vm gives keep'"'"'s address' '
	rv domain br-fc | grep -q "(br-fc): ~vm\$" &&
	rv dns br-fc | grep -q "(br-fc): 172\.16\.0\.1\$" &&
	{ ns_until 20 resolves keep.vm "$IP" || { cat q.out; why_dns; false; }; }
'
sed 's/^/# /' "$TRASH/q.out" 2>/dev/null

test_expect_success 'KEEP.vm (another case) resolves too; glibc through the stub: getent hosts keep.vm' '
	{ resolves KEEP.vm "$IP" || { cat q.out; false; }; } &&
	ns_run getent hosts keep.vm > getent.out &&
	grep -Eq "^$IP[[:space:]]+keep\.vm\$" getent.out || { cat getent.out; false; }
'

test_expect_success 'nope.vm: not found (dns-answer says NXDOMAIN), through resolvectl and glibc' '
	{ rv query -4 --cache=no nope.vm > nope.out 2>&1; st=$?; } &&
	[ $st = 1 ] && grep -q "nope.vm.* not found" nope.out || { echo "exit $st"; cat nope.out; false; } &&
	must_fail 2 ns_run getent hosts nope.vm
'

# The counter proves where resolved sends a name: a .vm name goes to
# 172.16.0.1 (so it counts), example.com must not.
test_expect_success 'example.com is not sent to 172.16.0.1 (br-fc is no default route): the counter stays, a .vm query moves it' '
	n0=$(counter) &&
	{ rv query -4 --cache=no nope2.vm > /dev/null 2>&1 || :; } &&
	n1=$(counter) &&
	[ "$n1" -gt "$n0" ] || { echo "a .vm query did not count: $n0 -> $n1"; false; } &&
	{ rv query -4 --cache=no example.com > ex.out 2>&1; st=$?; } &&
	[ $st = 1 ] || { cat ex.out; false; } &&
	! grep -q "br-fc" ex.out &&
	{ ns_run timeout 20 getent hosts example.com > ex2.out 2>&1; st=$?; } &&
	[ $st = 2 ] &&
	n2=$(counter) &&
	[ "$n2" = "$n1" ] || { echo "counter $n0 -> $n1 -> $n2"; cat ex.out ex2.out; false; }
'
echo "# resolvectl query example.com: $(head -n 1 "$TRASH/ex.out" 2>/dev/null)"

_t0=$(date +%s%N)
test_expect_success 'curl http://keep.vm:8080/ from the container reaches busybox httpd in the guest' '
	serve &&
	{ ns_until 20 fetch || { cat curl.out; false; }; }
'
echo "# httpd in the guest and curl: $(ms_since "$_t0") ms"

test_expect_success 'owner: system status --json: dns wiring on, keep.vm resolves to its address' '
	owner_json status1.json system status &&
	jq -e ".dns.wiring == \"on\" and .dns.name == \"keep.vm\" and .dns.resolves == true and
	    .dns.address == \"$IP\"" status1.json || { jq .dns status1.json; false; }
'
test_expect_success 'owner: banger doctor: dns pass, keep.vm resolves to its address' '
	{ ns_as $OWNER banger --json doctor > doctor.json 2> doctor.err || :; } &&
	jq -e "[.checks[] | select(.name == \"dns\")] | length == 1 and .[0].status == \"pass\" and
	    .[0].detail == \"keep.vm resolves to $IP\"" doctor.json ||
	    { jq -c ".checks[] | select(.name == \"dns\")" doctor.json; false; } &&
	{ ns_as $OWNER banger doctor > doctor.txt 2>&1 || :; } &&
	grep -Eq "^PASS +dns +keep\.vm resolves to $IP\$" doctor.txt ||
	    { cat doctor.txt; false; }
'
grep -i "dns" "$TRASH/doctor.txt" 2>/dev/null | sed 's/^/# doctor: /'

# ---- again, and after resolved restarts ------------------------------------------

test_expect_success 'dns-wire again (the owner on the root socket, root on a pipe): wired, the same settings' '
	ask $OWNER again.out "{\"v\":1}" &&
	tail -n 1 again.out | jq -e ".ok == true and .result.wired == true" || { cat again.out; false; } &&
	direct again-root.out "{\"v\":1}" &&
	[ "$(cat again-root.out.st)" = 0 ] &&
	tail -n 1 again-root.out | jq -e ".ok == true and .result.wired == true" ||
	    { cat again-root.out again-root.out.err; false; } &&
	wiring > wiring2.out &&
	test_cmp wiring.want wiring2.out &&
	resolves keep.vm "$IP"
'

# resolved saves the settings a client made on a link in
# /run/systemd/resolve/netif/IFINDEX and loads them when it starts
# again; it drops them when the link goes away (a reboot, the bridge
# made again) or is reverted.
test_expect_success 'systemctl restart systemd-resolved: it keeps br-fc'"'"'s settings, keep.vm still resolves' '
	idx=$(ns_run cat /sys/class/net/br-fc/ifindex) &&
	{ ns_run cat /run/systemd/resolve/netif/$idx > netif.out 2>&1 || :; } &&
	ns_run systemctl restart systemd-resolved &&
	ns_until 30 resolved_up &&
	wiring > wiring3.out &&
	test_cmp wiring.want wiring3.out &&
	{ ns_until 20 resolves keep.vm "$IP" || { cat q.out netif.out; why_dns; false; }; }
'
sed 's/^/# netif file: /' "$TRASH/netif.out" 2>/dev/null

test_expect_success 'resolvectl revert br-fc (the settings lost): keep.vm does not resolve; status says off, doctor warns' '
	rv revert br-fc &&
	no_vm_domain &&
	rv dns br-fc > dns3.out && ! grep -q "172\.16\.0\.1" dns3.out &&
	{ rv query -4 --cache=no keep.vm > q3.out 2>&1; st=$?; } &&
	[ $st = 1 ] || { cat dns3.out q3.out; false; } &&
	owner_json status2.json system status &&
	jq -e ".dns.wiring == \"off\" and (.dns.why | test(\"br-fc\"))" status2.json ||
	    { jq .dns status2.json; false; } &&
	{ ns_as $OWNER banger --json doctor > doctor2.json 2> doctor2.err || :; } &&
	jq -e "[.checks[] | select(.name == \"dns\")][0].status == \"warn\"" doctor2.json ||
	    { jq -c ".checks[] | select(.name == \"dns\")" doctor2.json; false; }
'
echo "# status after the revert: $(jq -c .dns "$TRASH/status2.json" 2>/dev/null)"

_t0=$(date +%s%N)
test_expect_success 'vm stop keep; br-fc deleted (as a reboot takes it); vm start keep makes it again and wires it: keep.vm resolves' '
	ns_as $OWNER banger vm stop $VM > stop.out 2>&1 < /dev/null || { cat stop.out; false; } &&
	ns_run ip link del br-fc &&
	ns_as $OWNER banger vm start $VM > start.out 2>&1 < /dev/null || { cat start.out; why_vmm $VM; false; } &&
	[ "$(ns_run cat /sys/class/net/br-fc/ifindex)" != "$idx" ] &&
	wiring > wiring4.out &&
	test_cmp wiring.want wiring4.out &&
	{ ns_until 20 resolves keep.vm "$IP" || { cat q.out; why_dns; false; }; }
'
test_expect_success 'keep boots again, and curl http://keep.vm:8080/ reaches it' '
	{ ns_until $SSH_TIMEOUT guest_ssh || { why_vmm $VM; false; }; } &&
	serve &&
	{ ns_until 20 fetch || { cat curl.out; false; }; }
'
echo "# stop, start, boot, httpd, curl: $(ms_since "$_t0") ms"

# ---- uninstall ----------------------------------------------------------------

ct_nft delete table inet t0360 2>/dev/null
_t0=$(date +%s%N)
ns_run /usr/local/bin/banger system uninstall > "$TRASH/uninstall.out" 2> "$TRASH/uninstall.err"
un_st=$?
echo "# system uninstall (keep running): $(ms_since "$_t0") ms"
grep -h "dns" "$TRASH/uninstall.out" "$TRASH/uninstall.err" | sed 's/^/# uninstall: /'
test_expect_success 'system uninstall: exit 0; it reverted br-fc in resolved before taking the bridge away' '
	[ $un_st = 0 ] || { cat uninstall.err uninstall.out; ns_run journalctl -b --no-pager -n 25; false; } &&
	cat uninstall.out uninstall.err | grep -q "dns: systemd-resolved no longer sends \.vm to br-fc" &&
	! ns_run test -e /sys/class/net/br-fc
'
test_expect_success 'after uninstall: ~vm on no link, keep.vm does not resolve, banger-dns.socket gone, nothing on 172.16.0.1:53' '
	no_vm_domain &&
	{ rv query -4 --cache=no keep.vm > q4.out 2>&1; st=$?; } &&
	[ $st = 1 ] || { cat q4.out; false; } &&
	must_fail 2 ns_run getent hosts keep.vm &&
	unit_gone banger-dns.socket && unit_gone banger-dns.service &&
	ns_run ss -Hlnu > ssu2.out && ns_run ss -Hlnt > sst2.out &&
	! grep -q "172\.16\.0\.1:53 " ssu2.out sst2.out
'

# Not installed: root runs the build's helper on a pipe, with a
# look-alike br-fc that has carrier; no install.toml, no wiring.
LXD=$BB/libexec/banger
test_expect_success 'not installed, a veth br-fc with 172.16.0.1: root'"'"'s dns-wire is refused (not installed), sets nothing' '
	lookalike veth 172.16.0.1/24 &&
	direct late.out "{\"v\":1}" &&
	[ "$(cat late.out.st)" = 1 ] &&
	tail -n 1 late.out | jq -e ".ok == false and .error.code == \"permission_denied\" and
	    (.error.message | test(\"not installed\"))" || { cat late.out late.out.err; false; } &&
	no_vm_domain &&
	rv dns br-fc > dns5.out && ! grep -q "172\.16\.0\.1" dns5.out &&
	ns_run ip link del br-fc
'

test_expect_success 'no unit failed; PID 1 logged no failure of a banger unit' '
	ns_run systemctl list-units --failed --no-legend --plain > failed.out &&
	! grep . failed.out &&
	ns_run journalctl --sync &&
	ns_run journalctl -b -o cat _PID=1 > pid1.log &&
	! grep -E "^banger.*(Failed|failed|status=[1-9]|code=killed)" pid1.log ||
	    { cat failed.out; grep "^banger" pid1.log; false; }
'

# What resolved said of it all (its warnings about a server included).
ns_run journalctl -b -o cat -u systemd-resolved 2>/dev/null | sed 's/^/# resolved: /'

ns_stop_step '[ "$(stat -c %a /dev/net/tun)" = "$HOST_TUN" ]'
echo "# whole test: $(ms_since "$T0") ms"

test_done
