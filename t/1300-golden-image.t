#!/bin/bash
# The debian-bookworm golden image (images/debian-bookworm/build.sh)
# booted for real (QEMU TCG, systemd as the guest's init) through
# banger, in t/with-sandbox's private state root and network namespace.
#
# The image is built once, before the sandbox, into
# build/cache/debian-bookworm-<key> (key: the recipe and banger-init),
# under a flock, in a temporary directory renamed into place; later runs
# reuse it.  t/with-sandbox copies it into the sandbox's state
# (BANGER_SANDBOX_IMAGES).
if [ "${BANGER_SANDBOX:-0}" != 1 ]; then
	TOP=$(cd "$(dirname "$0")/.." && pwd)
	why=
	if [ "$(id -u)" != 0 ]; then
		why='needs root (debootstrap)'
	elif ! command -v qemu-system-x86_64 >/dev/null; then
		why='needs QEMU (package qemu-system-x86)'
	elif ! command -v debootstrap >/dev/null; then
		why='needs debootstrap'
	elif ! command -v flock >/dev/null || ! test -x /usr/bin/git; then
		why='needs flock and git'
	elif [ ! -f "$TOP/build/images/test/rootfs.ext4" ] ||
	    [ ! -x "$TOP/build/images/bin/banger-init" ]; then
		why='needs make images'
	fi
	if [ -n "$why" ]; then
		. "$TOP/t/lib.sh"
		test_skip 'the debian-bookworm golden image' "$why"
		test_done
	fi
	C=$TOP/build/cache
	KEY=$(cat "$TOP/images/debian-bookworm/build.sh" "$TOP/images/lib.sh" \
	    "$TOP/build/images/bin/banger-init" | sha256sum | cut -c1-12)
	IMG=$C/debian-bookworm-$KEY
	if [ ! -f "$IMG/manifest.json" ]; then
		mkdir -p "$C"
		exec 9>"$C/.debian-bookworm.lock"
		flock -w 1800 9 || { echo "Bail out! timed out waiting for $C/.debian-bookworm.lock"; exit 1; }
		if [ ! -f "$IMG/manifest.json" ]; then
			# Under the lock: what killed builds left (their chroot's
			# /proc may still be mounted), and images of older keys.
			for d in "$C"/.debian-bookworm-build.* "$C"/debian-bookworm-*; do
				[ -d "$d" ] || continue
				awk -v d="$d" 'index($2, d "/") == 1 { print $2 }' /proc/self/mounts |
				    sort -r | while read -r m; do umount -l "$m"; done
				rm -rf --one-file-system "$d"
			done
			echo "# building the debian-bookworm image into $IMG (once; about 80 s)"
			s=$(date +%s)
			if ! BANGER_IMAGE_CACHE=$C sh "$TOP/images/debian-bookworm/build.sh" "$IMG" \
			    >"$C/.debian-bookworm-build.log" 2>&1; then
				sed 's/^/# /' "$C/.debian-bookworm-build.log" | tail -n 30
				echo "Bail out! images/debian-bookworm/build.sh failed"
				exit 1
			fi
			echo "# built in $(($(date +%s) - s)) s: $(tail -n 1 "$C/.debian-bookworm-build.log")"
		fi
		exec 9>&-
	fi
	export BANGER_SANDBOX_IMAGES=$IMG
	exec "$TOP/t/with-sandbox" "$0" "$@"
fi
. "${0%/*}/lib.sh"

STATE=$BANGER_ROOT/var/lib/banger
no_vms() { ! test -d "$STATE/vms" || test -z "$(ls -A "$STATE/vms")"; }
SSHT=300	# systemd under TCG with 1 vCPU: ~8 s to ssh here, but be generous
# tsl: each line prefixed with the host's time of arrival.
tsl() { while IFS= read -r l; do printf '%s %s\n' "$(date +%s.%N)" "$l"; done; }
# at FILE PATTERN: the arrival time of the first line matching PATTERN.
at() { awk -v p="$2" '{ t = $1; sub(/^[^ ]* /, "") } $0 ~ p { print t; exit }' "$1"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "?"; else printf "%.1f", b - a }'; }
# The sandbox's copy of the image (the checkout may be out of the
# owner's reach).
GOLDEN=$STATE/images/debian-bookworm
VERSION=$(jq -r .version "$GOLDEN/manifest.json")
echo "# image: $GOLDEN ($(du -m "$GOLDEN/rootfs.ext4" | cut -f1) MB allocated of $(($(stat -c %s "$GOLDEN/rootfs.ext4") >> 20)) MiB)"

test_expect_success 'banger image list shows debian-bookworm ready, with its manifest version' '
	banger image list >out &&
	grep -E "^debian-bookworm +ready +$VERSION " out
'

test_expect_success 'vm run: systemd comes up, Debian 12, git, root, the VM name as hostname' '
	date +%s.%N >t0 &&
	{ banger vm run --rm --name gold1 --image debian-bookworm --disk 2G \
	    --ssh-timeout $SSHT -- sh -c "
		echo SSH-UP
		echo STATE-\$(systemctl is-system-running --wait)
		echo FAILED-BEGIN; systemctl --failed --no-legend --plain; echo FAILED-END
		. /etc/os-release; echo OS-\$ID-\$VERSION_ID
		git --version; echo UID-\$(id -u); echo HOST-\$(hostname)
		echo MID-\$(cat /etc/machine-id)
		systemd-analyze | head -n 1
		ls /etc/ssh | grep ^ssh_host_ | tr \"\\n\" \" \"; echo
		/usr/sbin/sshd -T | grep -E \"^(permitrootlogin|passwordauthentication|kbdinteractiveauthentication|authorizedkeysfile|hostkey) \"
		ip -4 -o addr show eth0 | wc -l | sed s/^/ETH0-ADDRS-/
		for u in systemd-networkd systemd-resolved getty@tty1 serial-getty@ttyS0; do
			echo UNIT-\$u-\$(systemctl is-active \$u)
		done
		findmnt -n -o SOURCE /root | sed s/^/ROOTDISK-/"
	  echo "EXIT $?"; } 2>&1 | tsl >boot &&
	sed "s/^[^ ]* //" boot >out &&
	grep -qx "EXIT 0" out && grep -qE "^STATE-(running|degraded)$" out &&
	grep -qx OS-debian-12 out && grep -q "^git version 2\." out &&
	grep -qx UID-0 out && grep -qx HOST-gold1 out &&
	grep -qE "^MID-[0-9a-f]{32}$" out && no_vms
'
sed 's/^[^ ]* //' "$TRASH/boot" 2>/dev/null | sed -n '/^STATE-/p; /^Startup finished/p' | sed 's/^/# /'
t_start=$(at "$TRASH/boot" '^start: done')
echo "# vm start done -> first guest output over ssh: $(secs "$t_start" "$(at "$TRASH/boot" '^SSH-UP$')") s;" \
    "-> system $(sed -n 's/^[^ ]* STATE-//p' "$TRASH/boot"): $(secs "$t_start" "$(at "$TRASH/boot" '^STATE-')") s;" \
    "whole vm run: $(secs "$(cat "$TRASH/t0" 2>/dev/null)" "$(at "$TRASH/boot" '^EXIT ')") s"
if ! grep -q '^[^ ]* FAILED-BEGIN' "$TRASH/boot" || [ "$(sed -n '/ FAILED-BEGIN$/,/ FAILED-END$/p' "$TRASH/boot" | wc -l)" != 2 ]; then
	echo "# systemctl --failed:"
	sed -n '/ FAILED-BEGIN$/,/ FAILED-END$/p' "$TRASH/boot" | sed 's/^[^ ]* /#   /'
fi

test_expect_success 'no unit failed (systemctl --failed is empty: running, not degraded)' '
	grep -qx STATE-running out &&
	test "$(sed -n "/^FAILED-BEGIN$/,/^FAILED-END$/p" out | wc -l)" = 2
'
test_expect_success 'sshd: the VM'"'"'s ed25519 key only, root by key only, banger'"'"'s authorized_keys' '
	grep -qx "ssh_host_ed25519_key ssh_host_ed25519_key.pub " out &&
	grep -qx "hostkey /etc/ssh/ssh_host_ed25519_key" out &&
	test "$(grep -c "^hostkey " out)" = 1 &&
	grep -qx "permitrootlogin without-password" out &&
	grep -qx "passwordauthentication no" out &&
	grep -qx "kbdinteractiveauthentication no" out &&
	grep -qx "authorizedkeysfile /root/.ssh/authorized_keys" out
'
test_expect_success 'eth0 is banger-init'"'"'s alone; no getty; the work disk on /root' '
	grep -qx ETH0-ADDRS-1 out &&
	! grep -qE "^UNIT-.*-(active|activating)$" out &&
	grep -qx ROOTDISK-/dev/vdb out
'

test_expect_success 'workspace mode with --branch on the golden image: git status in the guest' '
	mkdir repo && cd repo && git init -q && git config user.email t@example.com &&
	git config user.name t && git config commit.gpgsign false &&
	echo one >a.txt && git add a.txt && git commit -qm one &&
	echo two >a.txt && echo new >n.txt && git add n.txt && cd .. &&
	banger vm run --rm --image debian-bookworm --ssh-timeout $SSHT --branch b ./repo -- \
	    sh -c "git status; echo MID-\$(cat /etc/machine-id)" >ws 2>wserr &&
	grep -qx "On branch b" ws && grep -q "modified: *a.txt" ws &&
	grep -qx "	n.txt" ws && no_vms
'
test_expect_success 'two VMs of the same image have different machine-ids' '
	a=$(sed -n "s/^MID-//p" out) && b=$(sed -n "s/^MID-//p" ws) &&
	test -n "$a" && test -n "$b" && test "$a" != "$b"
'

# Stopping: the guest's own poweroff ends the VM; `vm stop` (ACPI power
# button, then QMP quit after 10 s) stops it either way.
wait_ssh() {
	local i=0
	until banger vm ssh "$1" -- true 2>/dev/null; do
		i=$((i + 1)); [ $i -lt $SSHT ] || return 1; sleep 1
	done
}
wait_stopped() {
	local i=0
	until banger vm show "$1" 2>/dev/null | grep -qE "^state: +stopped"; do
		i=$((i + 1)); [ $i -lt 120 ] || return 1; sleep 0.5
	done
}
test_expect_success 'the guest'"'"'s own poweroff ends the VM; a second boot from the same disks is running' '
	banger vm create --name gold2 --image debian-bookworm >/dev/null 2>&1 &&
	banger vm start gold2 >/dev/null 2>&1 && wait_ssh gold2 &&
	{ banger vm ssh gold2 -- systemctl poweroff; wait_stopped gold2; } &&
	banger vm start gold2 >/dev/null 2>&1 && wait_ssh gold2 &&
	banger vm ssh gold2 -- systemctl is-system-running --wait >st2 2>&1 &&
	grep -qx running st2
'
s=$(date +%s.%N)
banger vm stop gold2 >"$TRASH/stop" 2>&1
echo "# banger vm stop of a running systemd guest: $(secs "$s" "$(date +%s.%N)") s, $(grep -E '^forced:' "$TRASH/stop" | tr -s ' ')"
test_expect_success 'vm stop stops it' '
	grep -qE "^state: +stopped" stop && banger vm delete gold2 >/dev/null 2>&1 && no_vms
'
if grep -qE '^forced: +false' "$TRASH/stop"; then
	_t_result 0 'vm stop shuts systemd down gracefully (ACPI power button)'
else
	test_todo 'vm stop shuts systemd down gracefully (ACPI power button)' \
	    'the power button never reaches the guest: button.ko is a module of the kernel bundle, in neither the initrd nor the image, so vm stop falls back to QMP quit after 10 s'
fi
test_done
