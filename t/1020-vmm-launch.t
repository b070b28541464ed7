#!/bin/sh
# root-vmm-launch refuses what it must, before launching anything:
# bad names, oversized requests, foreign uids, and hostile vm.json files
# (symlinks, fields that disagree with the slot, unknown keys).
. "${0%/*}/lib.sh"

X=$B/libexec/banger
OWNER=65534
VMS=$BANGER_ROOT/var/lib/banger/vms
mkdir -p "$BANGER_ROOT/etc/banger/access/uid/$OWNER" "$VMS/a"
echo "owner_uid = $OWNER" >"$BANGER_ROOT/etc/banger/install.toml"
cp "$TOP/conf/access/owner.allow" "$BANGER_ROOT/etc/banger/access/uid/$OWNER/allow"
good='{"name":"a","status":"created","image":"test","kernel":"k","vcpu":1,"memory_mib":256,"disk_bytes":1073741824,"slot":2,"vmm":"qemu","accel":"tcg","created_at":"2026-11-28T12:00:00Z"}'
launch() { printf '%s\n' "$1" | "$X/root-vmm-launch"; }

test_expect_success 'bad names are refused (exit 100)' '
	for n in "../a" "a/b" "" "A" ".." "-a" "a.b"; do
		launch "{\"name\":\"$n\"}" >out; st=$?
		test $st = 100 && grep -q "must be a VM name" out || { echo "name [$n]: $st"; return 1; }
	done
'
test_expect_success 'unknown keys and oversized requests are refused (exit 100)' '
	must_fail 100 launch "{\"name\":\"a\",\"argv\":[\"/bin/sh\"]}" >out &&
	grep -q "unknown request key" out &&
	{ printf "{\"name\":\"a\",\"x\":\""; head -c 70000 /dev/zero | tr "\0" a; printf "\"}\n"; } |
		must_fail 100 "$X/root-vmm-launch" >out &&
	grep -q "larger than 65536" out
'
test_expect_success 'a missing VM is not_found (exit 1)' '
	must_fail 1 launch "{\"name\":\"nope\"}" >out && grep -q not_found out
'
test_expect_success 'a vm.json whose tap disagrees with its slot is refused' '
	echo "$good" | sed "s/\"slot\":2/\"slot\":2,\"tap\":\"eth0\"/" >"$VMS/a/vm.json" &&
	launch "{\"name\":\"a\"}" >out; grep -q "\"ok\":false" out && grep -qi "tap" out
'
test_expect_success 'a vm.json with an unknown key is refused' '
	echo "$good" | sed "s/}\$/,\"qemu_args\":\"-x\"}/" >"$VMS/a/vm.json" &&
	launch "{\"name\":\"a\"}" >out; grep -q "\"ok\":false" out && grep -q qemu_args out
'
test_expect_success 'a vm.json that is a symlink is not followed' '
	rm -f "$VMS/a/vm.json" && echo "$good" >"$TRASH/elsewhere.json" &&
	ln -s "$TRASH/elsewhere.json" "$VMS/a/vm.json" &&
	launch "{\"name\":\"a\"}" >out; grep -q "\"ok\":false" out && ! grep -q "tap bgtap2 does not exist" out
'
test_expect_success 'a valid VM without its tap is refused before launching' '
	rm -f "$VMS/a/vm.json" && echo "$good" >"$VMS/a/vm.json" &&
	must_fail 1 launch "{\"name\":\"a\"}" >out && grep -q "tap bgtap2 does not exist" out
'
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	test_expect_success 'through root-dispatch: a foreign uid is refused' '
		{ s6-ipcserver -a 0666 "$TRASH/r.sock" "$X/root-dispatch" >/dev/null 2>&1 & } &&
		echo $! >s6.pid &&
		i=0; while [ ! -S r.sock ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done &&
		setpriv --reuid=4242 --regid=4242 --clear-groups s6-ipcclient "$TRASH/r.sock" \
			sh -c "trap \"\" PIPE; printf \"vmm-launch\n{\\\"name\\\":\\\"a\\\"}\n\" >&7; cat <&6; exit 0" >out &&
		grep -q "uid 4242 refused" out
	'
	at_exit 'kill $(cat "$TRASH"/s6.pid)'
else
	test_skip 'through root-dispatch: a foreign uid is refused' 'needs root'
fi
test_done
