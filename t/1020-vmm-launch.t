#!/bin/sh
# root-vmm-launch and vmm-exec: root refuses what it must before
# launching anything (bad names, oversized requests, foreign uids, a run
# directory that is missing, not the owner's or a symlink, a VM already
# running), reads nothing the owner wrote, and runs vmm-exec as the
# owner; vmm-exec, as the owner, refuses hostile vm.json files (symlinks,
# fields that disagree with the slot, unknown keys) and runs the VMM
# binary vm.json names (firecracker_bin at create time), as the owner.
. "${0%/*}/lib.sh"

X=$B/libexec/banger
OWNER=65534
VMS=$BANGER_ROOT/var/lib/banger/vms
RUNV=$BANGER_ROOT/run/banger/vms
mkdir -p "$BANGER_ROOT/etc/banger/access/uid/$OWNER" "$VMS/a"
echo "owner_uid = $OWNER" >"$BANGER_ROOT/etc/banger/install.toml"
echo "owner_gid = $OWNER" >>"$BANGER_ROOT/etc/banger/install.toml"
cp "$TOP/conf/access/owner.allow" "$BANGER_ROOT/etc/banger/access/uid/$OWNER/allow"
good='{"name":"a","status":"created","image":"test","kernel":"k","vcpu":1,"memory_mib":256,"disk_bytes":1073741824,"slot":2,"vmm":"qemu","accel":"tcg","created_at":"2026-11-28T12:00:00Z"}'
launch() { printf '%s\n' "$1" | "$X/root-vmm-launch"; }
# vmm-exec as the user running the test (the owner of what it made).
vmmexec() { "$X/vmm-exec" "$@" 3>&-; }

test_expect_success 'bad names are refused (exit 100)' '
	for n in "../a" "a/b" "" "A" ".." "-a" "a.b"; do
		launch "{\"name\":\"$n\"}" >out; st=$?
		test $st = 100 && jq -r .error.message out | grep -q "must be a VM name" ||
			{ echo "name [$n]: $st"; return 1; }
	done
'
test_expect_success 'unknown keys and oversized requests are refused (exit 100)' '
	must_fail 100 launch "{\"name\":\"a\",\"argv\":[\"/bin/sh\"]}" >out &&
	jq -r .error.message out | grep -q "unknown request key" &&
	{ printf "{\"name\":\"a\",\"x\":\""; head -c 70000 /dev/zero | tr "\0" a; printf "\"}\n"; } |
		must_fail 100 "$X/root-vmm-launch" >out &&
	jq -r .error.message out | grep -q "larger than 65536"
'
test_expect_success 'a missing VM is not_found (exit 1)' '
	must_fail 1 launch "{\"name\":\"nope\"}" >out &&
	jq -e ".error.code == \"not_found\"" out >/dev/null
'
test_expect_success 'no run directory: refused, nothing launched (vm start makes it)' '
	must_fail 1 launch "{\"name\":\"a\"}" >out &&
	jq -r .error.message out | grep -q "banger vm start makes it" &&
	! test -e "$RUNV/a/lock"
'

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	owner_libexec || exit 1
	# A VMM that says who it runs as, then waits: vmm_bin in vm.json.
	mkdir -p "$TRASH/fc" && chmod 0755 "$TRASH/fc" &&
	printf '#!/bin/sh\nid -u >"%s/fc/ran-as"\necho "$@" >"%s/fc/argv"\nexec sleep 60\n' \
		"$TRASH" "$TRASH" >"$TRASH/fc/firecracker" && chmod 0755 "$TRASH/fc/firecracker"
	touch "$TRASH/fc/ran-as" "$TRASH/fc/argv" && chown $OWNER "$TRASH/fc/ran-as" "$TRASH/fc/argv"
	setvm() {
		rm -rf "$VMS/a" "$RUNV/a" && mkdir -p "$VMS/a" "$RUNV/a" &&
		printf '%s\n' "$1" >"$VMS/a/vm.json" &&
		chown -R $OWNER:$OWNER "$VMS/a" "$RUNV/a"
	}
	fcvm=$(echo "$good" | jq -c ".vmm = \"firecracker\" | .vmm_bin = \"$TRASH/fc/firecracker\"")

	test_expect_success 'a run directory that is not the owner'"'"'s is refused' '
		setvm "$good" && chown root:root "$RUNV/a" &&
		must_fail 1 launch "{\"name\":\"a\"}" >out &&
		jq -r .error.message out | grep -q "is not the owner" &&
		! test -e "$RUNV/a/lock"
	'
	test_expect_success 'a run directory swapped for a symlink is not followed' '
		setvm "$good" && rm -rf "$RUNV/a" && mkdir -p "$TRASH/elsewhere" &&
		chown $OWNER "$TRASH/elsewhere" && ln -s "$TRASH/elsewhere" "$RUNV/a" &&
		must_fail 100 launch "{\"name\":\"a\"}" >out &&
		! test -e "$TRASH/elsewhere/lock" && rm "$RUNV/a"
	'
	test_expect_success 'a VM directory swapped for a symlink is not followed' '
		setvm "$good" && mv "$VMS/a" "$TRASH/vma" && ln -s "$TRASH/vma" "$VMS/a" &&
		{ launch "{\"name\":\"a\"}" >out || :; } && jq -e ".ok == false" out >/dev/null &&
		! test -e "$RUNV/a/lock" && rm "$VMS/a" && rm -rf "$TRASH/vma"
	'
	test_expect_success 'vmm-launch runs the VMM as the owner, vm_bin honoured, lock held' '
		setvm "$fcvm" &&
		launch "{\"name\":\"a\"}" >out &&
		jq -e ".result.how == \"daemon\"" out >/dev/null &&
		i=0 && while ! test -s "$TRASH/fc/ran-as" && test $i -lt 100; do sleep 0.05; i=$((i+1)); done &&
		test "$(cat "$TRASH/fc/ran-as")" = $OWNER &&
		grep -q -- "--api-sock $RUNV/a/vmm.sock --log-path $VMS/a/firecracker.log" "$TRASH/fc/argv" &&
		test -f "$VMS/a/firecracker.log" &&
		test "$(stat -c %u "$VMS/a/firecracker.log")" = $OWNER &&
		printf "{}\n" | "$X/vm-list" | jq -e ".result.vms[0].state == \"running\"" >/dev/null
	'
	test_expect_success 'a VM already running is busy (exit 1), nothing launched twice' '
		must_fail 1 launch "{\"name\":\"a\"}" >out &&
		jq -e ".error.code == \"busy\"" out >/dev/null &&
		pkill -f "sleep 60" && i=0 &&
		while printf "{}\n" | "$X/vm-list" | jq -e ".result.vms[0].state == \"running\"" >/dev/null &&
		    test $i -lt 100; do sleep 0.05; i=$((i+1)); done &&
		printf "{}\n" | "$X/vm-list" | jq -e ".result.vms[0].state == \"stopped\"" >/dev/null
	'
	test_expect_success 'a vm_bin that is not there: not_found, naming it' '
		setvm "$(echo "$fcvm" | jq -c ".vmm_bin = \"/nonexistent/fc\"")" &&
		must_fail 1 launch "{\"name\":\"a\"}" >out &&
		jq -r .error.message out | grep -q "/nonexistent/fc (firecracker_bin when VM \"a\" was created) is not an executable file"
	'
	# What runs as the owner must not hold root's fds: the connection to
	# the client and root's journal stream (anything written there would
	# be logged as root's).  A stand-in vmm-exec reports its fds 0-2
	# through the status pipe.
	test_expect_success 'vmm-exec starts with /dev/null as 0-2, not root'"'"'s connection or journal' '
		setvm "$good" && cp -a "$X" "$TRASH/lx2" && chmod 0755 "$TRASH/lx2" &&
		cat >"$TRASH/lx2/vmm-exec" <<-\EOF &&
		#!/bin/sh
		echo "temporary: fds $(readlink /proc/$$/fd/0) $(readlink /proc/$$/fd/1) $(readlink /proc/$$/fd/2)" >&3
		EOF
		printf "{\"name\":\"a\"}\n" | BANGER_LIBEXECDIR="$TRASH/lx2" must_fail 111 "$TRASH/lx2/root-vmm-launch" >out 2>err &&
		jq -r .error.message out | grep -qx "fds /dev/null /dev/null /dev/null" ||
		{ cat out err; false; }
	'
	test_expect_success 'through root-dispatch: a foreign uid is refused' '
		{ s6-ipcserver -a 0666 "$TRASH/r.sock" "$X/root-dispatch" >/dev/null 2>&1 & } &&
		echo $! >s6.pid &&
		i=0 && while [ ! -S r.sock ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done &&
		setpriv --reuid=4242 --regid=4242 --clear-groups s6-ipcclient "$TRASH/r.sock" \
			sh -c "trap \"\" PIPE; printf \"vmm-launch\n{\\\"name\\\":\\\"a\\\"}\n\" >&7; cat <&6; exit 0" >out &&
		grep -q "uid 4242 refused" out
	'
	# An owner whose uid number is another group's gid (uid 999 and
	# Debian's systemd-journal, say): its VMM must run in the owner's
	# own group, from passwd, and not read that group's files.  Made
	# for real in a mount namespace with its own passwd and group.
	(cd "$TRASH" && mkdir -p ids victim fc2 && chmod 0755 victim fc2 &&
	{ cat /etc/passwd; echo "bgtowner:x:4711:65534::/nonexistent:/usr/sbin/nologin"; } >ids/passwd &&
	{ cat /etc/group; echo "bgtvictim:x:4711:"; } >ids/group &&
	echo secret >victim/file && chown root:4711 victim/file && chmod 0640 victim/file &&
	printf '#!/bin/sh\necho $$ >"%s/fc2/pid"\ngrep -E "^(Gid|Groups):" /proc/self/status >"%s/fc2/status"\ncat "%s/victim/file" >"%s/fc2/read" 2>&1\necho $? >"%s/fc2/read.rc"\nexec sleep 61\n' \
		"$TRASH" "$TRASH" "$TRASH" "$TRASH" "$TRASH" >fc2/vmm && chmod 0755 fc2/vmm && chown 4711 fc2) ||
	    echo "# cannot set up the bgtowner fixtures"
	ids() { unshare -m --propagation private sh -c 'mount --bind "$1/ids/passwd" /etc/passwd &&
		mount --bind "$1/ids/group" /etc/group && shift && exec "$@"' ids "$TRASH" "$@"; }
	g4711vm=$(echo "$good" | jq -c ".vmm = \"firecracker\" | .vmm_bin = \"$TRASH/fc2/vmm\"")
	setvm4711() {
		rm -rf "$VMS/a" "$RUNV/a" && mkdir -p "$VMS/a" "$RUNV/a" &&
		printf '%s\n' "$g4711vm" >"$VMS/a/vm.json" &&
		chown -R 4711:65534 "$VMS/a" "$RUNV/a" && rm -f "$TRASH/fc2/status" "$TRASH/fc2/read.rc"
	}
	cp "$BANGER_ROOT/etc/banger/install.toml" "$TRASH/install.keep"
	test_expect_success 'owner uid 4711 = group bgtvictim'"'"'s gid: the VMM runs in the owner'"'"'s own group' '
		echo "owner_uid = 4711" >"$BANGER_ROOT/etc/banger/install.toml" &&
		setvm4711 &&
		printf "{\"name\":\"a\"}\n" | ids "$X/root-vmm-launch" >out &&
		jq -e ".ok" out >/dev/null &&
		i=0 && while ! test -s fc2/read.rc && test $i -lt 200; do sleep 0.05; i=$((i+1)); done &&
		kill "$(cat fc2/pid)" &&
		grep -Eq "^Gid:[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534$" fc2/status &&
		! grep "^Groups:" fc2/status | grep -qw 4711 &&
		test "$(cat fc2/read.rc)" != 0 && ! grep -q secret fc2/read
	'
	test_expect_success 'install.toml'"'"'s owner_gid disagreeing with passwd: refused, nothing launched' '
		printf "owner_uid = 4711\nowner_gid = 4711\n" >"$BANGER_ROOT/etc/banger/install.toml" &&
		setvm4711 &&
		printf "{\"name\":\"a\"}\n" | must_fail 1 ids "$X/root-vmm-launch" >out &&
		jq -r .error.message out | grep -q "owner_gid = 4711, but the primary group of the owner bgtowner (uid 4711) is 65534" &&
		! test -e fc2/status
	'
	test_expect_success 'an owner uid without a passwd entry: refused, nothing launched' '
		echo "owner_uid = 4712" >"$BANGER_ROOT/etc/banger/install.toml" &&
		setvm4711 &&
		printf "{\"name\":\"a\"}\n" | must_fail 1 ids "$X/root-vmm-launch" >out &&
		jq -r .error.message out | grep -q "uid 4712 .* has no passwd entry" &&
		! test -e fc2/status
	'
	cp "$TRASH/install.keep" "$BANGER_ROOT/etc/banger/install.toml"
	at_exit 'kill $(cat "$TRASH"/s6.pid); pkill -f "sleep 60"'
else
	for t in 'run directory not the owner'"'"'s' 'run directory symlink' \
	    'VM directory symlink' 'runs the VMM as the owner' 'busy' \
	    'vm_bin missing' 'through root-dispatch: a foreign uid' \
	    'the VMM in the owner'"'"'s own group' 'owner_gid disagreeing' \
	    'owner uid without a passwd entry'; do
		test_skip "$t" 'needs root'
	done
fi

# vmm-exec, as the owner (here: whoever runs the test), on hostile vm.json.
rm -rf "$VMS/b" && mkdir -p "$VMS/b"
bgood=$(echo "$good" | jq -c '.name = "b"')
test_expect_success 'vmm-exec: a vm.json whose tap disagrees with its slot is refused' '
	echo "$bgood" | jq -c ".tap = \"eth0\"" >"$VMS/b/vm.json" &&
	must_fail 100 vmmexec b 2>err && grep -q "does not match slot 2" err &&
	! test -e "$RUNV/b/lock"
'
test_expect_success 'vmm-exec: a vm.json with an unknown key is refused' '
	echo "$bgood" | jq -c ".qemu_args = \"-x\"" >"$VMS/b/vm.json" &&
	must_fail 100 vmmexec b 2>err && grep -q qemu_args err
'
test_expect_success 'vmm-exec: a vm.json that is a symlink is not followed' '
	rm -f "$VMS/b/vm.json" && echo "$bgood" >"$TRASH/elsewhere.json" &&
	ln -s "$TRASH/elsewhere.json" "$VMS/b/vm.json" &&
	must_fail 100 vmmexec b 2>err && grep -q "not a regular file" err
'
test_expect_success 'vmm-exec: an unknown vmm is refused, naming the VMMs' '
	rm -f "$VMS/b/vm.json" && echo "$bgood" | jq -c ".vmm = \"bogus\"" >"$VMS/b/vm.json" &&
	must_fail 100 vmmexec b 2>err && grep -q "qemu or firecracker" err
'
test_expect_success 'vmm-exec: usage' '
	must_fail 100 vmmexec 2>err && must_fail 100 vmmexec ../b 2>err &&
	must_fail 100 vmmexec b extra 2>err
'
test_done
