#!/bin/sh
# banger on a host without systemd: `system install --init s6` writes
# two s6 service directories, links them into an s6-svscan's scan
# directory, and s6-ipcserver serves the two sockets with the same peer
# rules; status, install again, restart and uninstall handle them
# (docs/install.md, "Hosts without systemd").
#
# The install is real (as root, to the compiled-in places), so it runs
# in a mount and network namespace of the test's own: tmpfs over
# /usr/local, /run, /var/lib and /var/cache, a copy of /etc with a test
# owner in it, a private network for the bridge and nftables, and an
# s6-svscan on /run/service there.  Nothing of the host is touched.
. "${0%/*}/lib.sh"

OWNER=bgs6owner OWNER_UID=4700 OWNER_GROUP=bgs6grp
SCAN=/run/service
SOCK=/run/banger/bangerd.sock
RSOCK=/run/banger-root/bangerd-root.sock

why=
if [ "$(id -u)" != 0 ]; then
	why='needs root (a mount namespace, a real install)'
else
	for t in s6-svscan s6-ipcserver-socketbinder s6-ipcserverd s6-applyuidgid s6-ipcclient unshare nsenter setpriv jq; do
		command -v $t >/dev/null 2>&1 || { why="$t is not installed"; break; }
	done
fi
if [ -n "$why" ]; then
	test_skip 'banger under s6 (system install --init s6)' "$why"
	test_done
fi

# The namespace: a process that holds it, commands entered with nsenter.
HOLDER=
in_ns() { nsenter -t "$HOLDER" -m -n env -u BANGER_ROOT -u BANGER_SOCKET -u BANGER_ROOT_SOCKET -u BANGER_LIBEXECDIR "$@"; }
as_owner() { in_ns setpriv --reuid=$OWNER_UID --regid=$OWNER_UID --clear-groups env HOME=/tmp "$@"; }
# ns_pids NAME: the processes called NAME in the test's mount namespace
# (there is no pid namespace: other tests' s6 processes are the host's).
ns_pids() {
	_ns=$(readlink /proc/$HOLDER/ns/mnt)
	for _p in $(pgrep -x "$1"); do
		[ "$(readlink /proc/$_p/ns/mnt 2>/dev/null)" != "$_ns" ] || echo "$_p"
	done
}
stop_ns() {
	[ -n "$HOLDER" ] || return 0
	in_ns s6-svscanctl -t $SCAN 2>/dev/null
	_i=0
	while [ -n "$(ns_pids s6-svscan)" ] && [ $_i -lt 100 ]; do
		sleep 0.05; _i=$((_i + 1))
	done
	for _p in $(ns_pids s6-svscan) $(ns_pids s6-supervise) $(ns_pids s6-ipcserverd); do
		kill -9 "$_p" 2>/dev/null
	done
	kill "$HOLDER" 2>/dev/null
	wait "$HOLDER" 2>/dev/null
	HOLDER=
}
at_exit stop_ns

cp -a /etc "$TRASH/etc" &&
echo "$OWNER_GROUP:x:$OWNER_UID:" >> "$TRASH/etc/group" &&
echo "$OWNER:x:$OWNER_UID:$OWNER_UID::/tmp:/bin/sh" >> "$TRASH/etc/passwd" || exit 1
unshare -m -n --propagation private sleep 100000 &
HOLDER=$!
i=0
while [ "$(readlink /proc/$HOLDER/ns/mnt 2>/dev/null)" = "$(readlink /proc/self/ns/mnt)" ] && [ $i -lt 100 ]; do
	sleep 0.02; i=$((i + 1))
done
test_expect_success 'a mount and network namespace: tmpfs /usr/local /run /var/lib /var/cache, a copy of /etc' '
	in_ns mount -t tmpfs tmpfs /usr/local &&
	in_ns mount -t tmpfs tmpfs /run &&
	in_ns mount -t tmpfs tmpfs /var/lib &&
	in_ns mount -t tmpfs tmpfs /var/cache &&
	in_ns mount --bind "$TRASH/etc" /etc &&
	in_ns ip link set lo up &&
	[ "$(in_ns id -u $OWNER)" = $OWNER_UID ] &&
	! test -e /etc/banger/install.toml
'
in_ns mkdir -p $SCAN
{ in_ns s6-svscan $SCAN >/dev/null 2>&1 & }
test_expect_success 'an s6-svscan watches /run/service' '
	i=0 && while ! in_ns test -d $SCAN/.s6-svscan && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done &&
	in_ns test -d $SCAN/.s6-svscan
'

test_expect_success 'without --init: PID 1 is not systemd, the error names --init s6' '
	must_fail 100 in_ns env -u BANGER_ROOT "$B/bin/banger" system install --owner $OWNER 2>err &&
	grep -q -- "--init s6" err
'
test_expect_success 'a scan directory nobody watches: refused, naming it' '
	must_fail 100 in_ns env -u BANGER_ROOT "$B/bin/banger" system install --init s6 \
	    --scandir /run/nowhere --owner $OWNER 2>err &&
	grep -q "no s6-svscan watches /run/nowhere" err &&
	! in_ns test -e /etc/banger
'

in_ns env -u BANGER_ROOT "$B/bin/banger" --json system install --init s6 --owner $OWNER \
    > "$TRASH/install.json" 2> "$TRASH/install.err"
install_st=$?
sock_up() { in_ns test -S $SOCK && in_ns test -S $RSOCK; }
test_expect_success 'system install --init s6: the services linked into the scan directory, both sockets up' '
	[ $install_st = 0 ] || { cat install.err install.json; false; } &&
	jq -e ".init == \"s6\"" install.json &&
	[ "$(in_ns readlink $SCAN/banger)" = /etc/banger/s6/banger ] &&
	[ "$(in_ns readlink $SCAN/banger-root)" = /etc/banger/s6/banger-root ] &&
	[ "$(in_ns readlink $SCAN/banger-dns)" = /etc/banger/s6/banger-dns ] &&
	jq -e ".services == [\"banger\", \"banger-root\", \"banger-dns\"]" install.json &&
	in_ns grep -qx "init = \"s6\"" /etc/banger/install.toml &&
	in_ns grep -qx "scandir = \"$SCAN\"" /etc/banger/install.toml &&
	i=0 && while ! sock_up && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done &&
	sock_up
'
test_expect_success 'the sockets: the owner'"'"'s 0600 and root:group 0660, in root'"'"'s 0755 directories' '
	[ "$(in_ns stat -c "%U %a" $SOCK)" = "$OWNER 600" ] &&
	[ "$(in_ns stat -c "%U:%G %a" $RSOCK)" = "root:$OWNER_GROUP 660" ] &&
	[ "$(in_ns stat -c "%U %a" /run/banger)" = "root 755" ] &&
	[ "$(in_ns stat -c "%U %a" /run/banger-root)" = "root 755" ] &&
	[ "$(in_ns stat -c "%U %a" /run/banger/vms)" = "$OWNER 700" ]
'
test_expect_success 'owner: banger vm list answers through s6-ipcserverd and dispatch' '
	as_owner /usr/local/bin/banger vm list --json > list.out 2> list.err ||
	    { cat list.err; in_ns cat /run/service/banger/supervise/status 2>/dev/null; false; } &&
	jq -e ".vms == []" list.out
'
test_expect_success 'another uid cannot connect to either socket' '
	must_fail 111 in_ns setpriv --reuid=4242 --regid=4242 --clear-groups \
	    /usr/local/bin/banger vm list 2> other.err &&
	grep -q "Permission denied" other.err &&
	! in_ns setpriv --reuid=4242 --regid=4242 --clear-groups s6-ipcclient $RSOCK true 2>/dev/null
'
test_expect_success 'owner: a root verb through the root socket reaches its helper (root-dispatch under s6)' '
	as_owner s6-ipcclient $RSOCK sh -c "printf \"tap-del\n{}\n\" >&7; cat <&6" > rd.out &&
	jq -e ".error.code == \"bad_request\"" rd.out || { cat rd.out; false; }
'
test_expect_success 'network: br-fc and banger'"'"'s tables in the namespace' '
	in_ns ip -o link show br-fc >/dev/null &&
	in_ns nft list table inet banger >/dev/null
'
dns_up() { in_ns dig +tries=1 +time=1 +norec @172.16.0.1 nope.vm A 2>/dev/null | grep -q "status: NXDOMAIN"; }
test_expect_success 'banger-dns under s6: dns-answer answers on 172.16.0.1:53 as the owner, no capability left' '
	i=0 && while ! dns_up && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done &&
	dns_up &&
	in_ns dig +tries=1 +time=1 +tcp @172.16.0.1 example.com A > dns.out &&
	grep -q "status: REFUSED" dns.out &&
	pid=$(ns_pids dns-answer) && test -n "$pid" && test $(echo "$pid" | wc -w) = 1 &&
	grep -q "^Uid:[[:space:]]*$OWNER_UID[[:space:]]" /proc/$pid/status &&
	grep -q "^CapEff:[[:space:]]*0000000000000000$" /proc/$pid/status &&
	grep -q "^CapPrm:[[:space:]]*0000000000000000$" /proc/$pid/status &&
	grep -q "^CapAmb:[[:space:]]*0000000000000000$" /proc/$pid/status
'
as_owner /usr/local/bin/banger --json system status > "$TRASH/status.json" 2>&1
status_st=$?
test_expect_success 'owner: system status under s6: healthy, init s6, both sockets listening' '
	[ $status_st = 0 ] || { cat status.json; false; } &&
	jq -e ".healthy and .init == \"s6\"" status.json &&
	jq -e "[.sockets[].sub] == [\"listening\", \"listening\", \"listening\"]" status.json
'
in_ns env -u BANGER_ROOT "$B/bin/banger" --json system install --init s6 --owner $OWNER \
    > "$TRASH/install2.json" 2> "$TRASH/install2.err"
install2_st=$?
test_expect_success 'install again: nothing written, the services restarted and answering' '
	[ $install2_st = 0 ] || { cat install2.err install2.json; false; } &&
	jq -e ".written == []" install2.json &&
	i=0 && while ! as_owner /usr/local/bin/banger vm list >/dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done &&
	as_owner /usr/local/bin/banger vm list >/dev/null
'
test_expect_success 'system restart under s6: exit 0, still answering' '
	in_ns env -u BANGER_ROOT /usr/local/bin/banger system restart > restart.out 2>&1 ||
	    { cat restart.out; false; } &&
	i=0 && while ! as_owner /usr/local/bin/banger vm list >/dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done &&
	as_owner /usr/local/bin/banger vm list >/dev/null
'
in_ns env -u BANGER_ROOT /usr/local/bin/banger --json system uninstall --purge \
    > "$TRASH/uninstall.json" 2> "$TRASH/uninstall.err"
uninstall_st=$?
svc_gone() { [ -z "$(ns_pids s6-ipcserverd)" ]; }
test_expect_success 'system uninstall --purge: services out of the scan directory and stopped, nothing left' '
	[ $uninstall_st = 0 ] || { cat uninstall.err uninstall.json; false; } &&
	! in_ns test -e $SCAN/banger && ! in_ns test -e $SCAN/banger-root &&
	! in_ns test -e $SCAN/banger-dns && [ -z "$(ns_pids dns-answer)" ] &&
	i=0 && while ! svc_gone && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done &&
	svc_gone &&
	! in_ns test -e /etc/banger && ! in_ns test -e /usr/local/bin/banger &&
	! in_ns test -e /usr/local/libexec/banger && ! in_ns test -e /var/lib/banger &&
	! in_ns test -e /run/banger && ! in_ns ip link show br-fc 2>/dev/null &&
	! in_ns nft list table inet banger 2>/dev/null
'
stop_ns
test_expect_success 'the namespace is gone; the host has no banger' '
	! test -e /etc/banger/install.toml && ! test -L /run/service/banger
'
test_done
