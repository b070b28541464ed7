#!/bin/bash
# A container image's root booted as a VM (docs/oci-import.md, "Booting
# container images"): a busybox-only tree, as a registry would give it —
# static busybox with its applets as symlinks, /etc/passwd with root
# (whose shell is /bin/ash, to see that it is read), no init and no ssh
# server — with build/share/banger/guest.tar laid over
# it and /sbin/banger-init a symlink to /.banger/banger-init, as the
# converter does.  Made here, before the sandbox, as an ext4 image
# (mkfs.ext4 -d), handed to the owner, registered with `banger image
# register` and booted (QEMU TCG) in t/with-sandbox's private state
# root and network namespace.  banger-init stays PID 1: it runs banger's
# dropbear (its own glibc loader: the image has no libc), restarts it,
# reaps orphans, and shuts down on the power button (vm stop), poweroff
# (SIGUSR2) and reboot (SIGTERM).
#
# Then two Debian 12 images (debootstrap minbase with systemd, dbus and
# openssh-server, built once into build/cache/oci-debian-<key> under a
# flock; each run makes hard-linked copies): one whose /sbin/init is
# systemd but without its ssh server, which banger-init gives a runtime
# banger-ssh.service, and one without an init but with OpenSSH, which
# banger-init runs (sshd -D -e) as PID 1.  They reach the sandbox as
# images of its state (BANGER_SANDBOX_IMAGES).
if [ "${BANGER_SANDBOX:-0}" != 1 ]; then
	TOP=$(cd "$(dirname "$0")/.." && pwd)
	. "$TOP/t/lib.sh"
	GT=$TOP/build/share/banger/guest.tar
	why=
	if [ "$(id -u)" != 0 ]; then
		why='needs root (t/with-sandbox)'
	elif ! command -v qemu-system-x86_64 >/dev/null; then
		why='needs QEMU (package qemu-system-x86)'
	elif ! command -v mkfs.ext4 >/dev/null || ! command -v script >/dev/null; then
		why='needs mkfs.ext4 and script'
	elif [ ! -f "$TOP/build/images/test/rootfs.ext4" ] || [ ! -f "$GT" ]; then
		why='needs make and make images'
	fi
	if [ -n "$why" ]; then
		test_skip 'a container image boots with banger-init as PID 1' "$why"
		test_done
	fi
	# Debian's static busybox: the test image recipe's .deb (checked
	# against apt's index), or one apt-get downloads.
	W=$TRASH/oci
	mkdir -p "$W"
	deb=
	for d in "$TOP"/build/images/cache/busybox-static_*.deb; do [ -f "$d" ] && deb=$d; done
	if [ -z "$deb" ]; then
		(cd "$W" && apt-get download -q -o APT::Sandbox::User=root busybox-static >/dev/null 2>&1)
		for d in "$W"/busybox-static_*.deb; do [ -f "$d" ] && deb=$d; done
	fi
	R=$W/root
	if [ -z "$deb" ] || ! dpkg-deb -x "$deb" "$W/x"; then
		echo "Bail out! no busybox-static package"
		exit 1
	fi
	# The image: busybox's applets (but init and linuxrc), a passwd
	# and group with root, the usual empty directories; then the guest
	# tar and the converter's symlink.
	mkdir -p "$R/bin" "$R/sbin" "$R/usr/bin" "$R/usr/sbin" "$R/etc" \
	    "$R/root" "$R/tmp" "$R/dev" "$R/proc" "$R/sys" "$R/run" "$R/var" &&
	chmod 1777 "$R/tmp" && chmod 0700 "$R/root" &&
	cp "$W/x/bin/busybox" "$R/bin/busybox" &&
	for a in $("$R/bin/busybox" --list-full); do
		case $a in sbin/init | linuxrc) continue ;; esac
		[ -e "$R/$a" ] || ln -s /bin/busybox "$R/$a" || exit 1
	done &&
	printf 'root:x:0:0:root:/root:/bin/ash\n' >"$R/etc/passwd" &&
	printf '/bin/sh\n/bin/ash\n' >"$R/etc/shells" &&
	printf 'root:x:0:\n' >"$R/etc/group" &&
	tar -xf "$GT" -C "$R" && ln -s /.banger/banger-init "$R/sbin/banger-init" &&
	mkfs.ext4 -q -d "$R" -L rootfs "$W/oci-busybox.ext4" 64M >/dev/null &&
	chmod 0644 "$W/oci-busybox.ext4" &&
	[ ! -e "$R/sbin/init" ] && [ ! -e "$R/lib" ] || {
		echo "Bail out! cannot make the busybox image"
		exit 1
	}
	export BANGER_SANDBOX_ROOT_SETUP="install -m 0644 '$W/oci-busybox.ext4' \"\$BANGER_SANDBOX_DIR/oci-busybox.ext4\""

	# The Debian tree, once (about 50 s), then the two images.
	. "$TOP/t/oci-debian-fixture.sh"
	T2300_DEBIAN=
	oci_debian_tree
	case $? in
	0) D=${OCI_DEBIAN%/root} ;;
	1) T2300_DEBIAN=$OCI_DEBIAN_WHY ;;
	*) echo "Bail out! $OCI_DEBIAN_WHY"; exit 1 ;;
	esac
	# debian_image NAME: a hard-linked copy of the tree with the guest
	# tar, as the converter makes it (merged /usr: /sbin is usr/sbin),
	# less what the caller removed in $V/root, as an image directory.
	debian_image() {
		mkfs.ext4 -q -d "$V/root" -L rootfs "$V/rootfs.ext4" 1G >/dev/null &&
		h=$(sha256sum <"$V/rootfs.ext4" | cut -d' ' -f1) &&
		printf '{"name":"%s","kind":"image","version":"%s","files":{"rootfs.ext4":{"size":%s,"sha256":"%s"}}}\n' \
		    "$1" "$(echo "$h" | cut -c1-16)" "$(stat -c %s "$V/rootfs.ext4")" "$h" \
		    >"$V/manifest.json" &&
		rm -rf "$V/root" && BANGER_SANDBOX_IMAGES="${BANGER_SANDBOX_IMAGES:-} $V"
	}
	copy_tree() {
		V=$W/$1 && mkdir -p "$V" && cp -al "$D/root" "$V/root" &&
		tar -xf "$GT" -C "$V/root" &&
		ln -s /.banger/banger-init "$V/root/usr/sbin/banger-init"
	}
	if [ -z "$T2300_DEBIAN" ]; then
		# systemd, its ssh server gone: no sshd, no ssh.service.
		copy_tree oci-sd && rm -f "$V/root/usr/sbin/sshd" \
		    "$V/root/etc/systemd/system/sshd.service" \
		    "$V/root/etc/systemd/system/multi-user.target.wants/ssh.service" &&
		debian_image oci-sd &&
		# OpenSSH, no init: /sbin/init (usr/sbin/init) gone.
		copy_tree oci-ossh && rm -f "$V/root/usr/sbin/init" &&
		debian_image oci-ossh || {
			echo "Bail out! cannot make the Debian images"
			exit 1
		}
		export BANGER_SANDBOX_IMAGES
	fi
	export T2300_DEBIAN
	"$TOP/t/with-sandbox" "$0" "$@"
	exit $?	# lib.sh's trap removes $TRASH
fi
. "${0%/*}/lib.sh"

KNAME=$(banger kernel list | sed -n '2s/ .*//p')
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
wait_ssh() {
	local i=0
	until banger vm ssh "$1" -- true 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 120 ] || return 1; sleep 1
	done
}
wait_stopped() {
	local i=0
	until [ "$(banger --json vm show "$1" 2>/dev/null | jq -r .state)" = stopped ]; do
		i=$((i + 1)); [ $i -lt 60 ] || return 1; sleep 0.5
	done
}
# logged NAME TEXT: the VM's console log has a line with TEXT.
logged() {
	banger vm logs "$1" >log 2>&1 && grep -qF -- "$2" log ||
	    { echo "no '$2' in the console log:"; tail -n 40 log; return 1; }
}

test_expect_success 'register the busybox image (no init, no ssh server, no libc)' '
	test -n "$KNAME" &&
	banger image register oci-bb "$BANGER_SANDBOX_DIR/oci-busybox.ext4" \
	    --kernel "$KNAME" >out 2>&1 &&
	banger image list | grep -q "^oci-bb  *ready "
'

test_expect_success 'vm run: the command'"'"'s exit status comes back' '
	must_fail 7 banger vm run --rm --name o1 --image oci-bb -- \
	    sh -c "echo hello; exit 7" >out 2>err &&
	test "$(cat out)" = hello
'

# In the guest: PID 1, the orphans it must reap, the mounts.
cat >"$TRASH/check.sh" <<'EOF'
echo "PID1 $(cat /proc/1/comm) $(readlink /proc/1/exe)"
echo "SHELL $SHELL USER $USER HOME $HOME"
# Orphans: their parent exits at once, so PID 1 adopts and must reap them.
for i in 1 2 3 4 5; do (sleep 0.2 &); done
sh -c 'sleep 30 & echo $! >/tmp/orphan'
sleep 1.5
echo "ORPHAN-PPID $(sed -n 's/^PPid:[[:space:]]*//p' /proc/$(cat /tmp/orphan)/status)"
echo "ZOMBIES $(grep -l '^State:[[:space:]]*Z' /proc/[0-9]*/status 2>/dev/null | wc -l)"
echo "DROPBEAR $(tr '\0' ' ' </proc/$(cat /run/banger/dropbear.pid)/cmdline)"
echo "KEY $(ls -l /run/banger/dropbear_ed25519_host_key | cut -c1-10)"
echo "ROOT $(grep ' /root ' /proc/mounts | cut -d' ' -f1,3)"
echo "MODULES $(grep " /lib/modules/$(uname -r) " /proc/mounts | cut -d' ' -f1,3)"
echo "SHM $(grep ' /dev/shm ' /proc/mounts | cut -d' ' -f3)"
echo "HOST $(hostname)"
echo "PASSWD $(cat /etc/passwd)"
EOF

test_expect_success 'vm run: PID 1 is banger-init, which adopts and reaps orphans' '
	banger vm run --rm --name o2 --image oci-bb -- sh -c "$(cat check.sh)" >out 2>err ||
	    { cat out err; false; } &&
	grep -qx "PID1 banger-init /.banger/banger-init" out &&
	grep -qx "SHELL /bin/ash USER root HOME /root" out &&
	grep -qx "ORPHAN-PPID 1" out && grep -qx "ZOMBIES 0" out &&
	grep -q "^DROPBEAR /.banger/ssh/lib/ld-linux-x86-64.so.2 --library-path /.banger/ssh/lib --argv0 /.banger/ssh/bin/dropbear/ /.banger/ssh/bin/dropbear -F -E -s -g " out &&
	grep -qx "KEY -rw-------" out &&
	grep -qx "ROOT /dev/vdb ext4" out && grep -qx "MODULES /dev/vdc ext4" out &&
	grep -qx "SHM tmpfs" out && grep -qx "HOST o2" out &&
	grep -qx "PASSWD root:x:0:0:root:/root:/bin/ash" out
'

test_expect_success 'an interactive session gets a pty (dropbear, /dev/pts)' '
	banger vm create --name o3 --image oci-bb >/dev/null 2>&1 &&
	banger vm start o3 >/dev/null 2>&1 && wait_ssh o3 &&
	{ printf "tty; exit 3\n" |
	    script -qec "banger vm ssh o3" /dev/null >tty.out 2>&1 || :; } &&
	tr -d "\r" <tty.out >tty &&
	grep -qx "/dev/pts/[0-9]*" tty || { cat tty; false; }
'

test_expect_success 'the ssh server is restarted when it dies' '
	{ banger vm ssh o3 -- sh -c "kill -KILL \$(cat /run/banger/dropbear.pid)" || :; } &&
	sleep 1 && wait_ssh o3 &&
	logged o3 ") killed by signal 9" &&
	logged o3 "banger-init: restarting it in 250 ms"
'

test_expect_success 'vm stop: the power button, a clean and quick shutdown' '
	s=$(date +%s.%N) &&
	banger --json vm stop o3 >stop 2>&1 &&
	secs "$s" "$(date +%s.%N)" >stop.time &&
	test "$(jq -r .forced stop)" = false &&
	logged o3 "banger-init: the power button: stopping every process" &&
	logged o3 "banger-init: unmounted " && logged o3 "banger-init: powering off"
'

echo "# vm stop took $(cat "$TRASH/stop.time" 2>/dev/null) s; the guest's console:"
banger vm logs o3 2>/dev/null | sed -n '/the power button: stopping/,$p' | sed 's/^/#   /'

test_expect_success 'the next boot works; poweroff in the guest ends the VM (SIGUSR2)' '
	banger vm start o3 >/dev/null 2>&1 && wait_ssh o3 &&
	{ banger vm ssh o3 -- poweroff || :; } && wait_stopped o3 &&
	logged o3 "banger-init: SIGUSR2 (poweroff): stopping every process"
'

test_expect_success 'reboot in the guest ends the VM too (SIGTERM)' '
	banger vm start o3 >/dev/null 2>&1 && wait_ssh o3 &&
	{ banger vm ssh o3 -- reboot || :; } && wait_stopped o3 &&
	logged o3 "banger-init: SIGTERM (reboot): stopping every process" &&
	logged o3 "banger-init: rebooting"
'

test_expect_success 'SIGINT to PID 1 (what Ctrl-Alt-Del becomes) ends the VM too' '
	banger vm start o3 >/dev/null 2>&1 && wait_ssh o3 &&
	{ banger vm ssh o3 -- kill -INT 1 || :; } && wait_stopped o3 &&
	logged o3 "banger-init: SIGINT (Ctrl-Alt-Del): stopping every process"
'

test_expect_success 'clean up: the VM and the image go' '
	banger vm delete o3 >/dev/null 2>&1 && banger image delete oci-bb >/dev/null 2>&1
'

if [ -n "${T2300_DEBIAN:-}" ]; then
	test_skip 'a systemd image without ssh server gets banger-ssh.service' "$T2300_DEBIAN"
	test_skip 'an image with OpenSSH and no init: banger-init runs sshd' "$T2300_DEBIAN"
	test_done
fi

test_expect_success 'systemd without an ssh server: banger-init adds banger-ssh.service' '
	banger vm run --rm --name sd1 --image oci-sd -- sh -c "
		echo PID1 \$(cat /proc/1/comm)
		echo UNIT \$(systemctl is-active banger-ssh.service)
		echo LINK \$(readlink /run/systemd/system/multi-user.target.wants/banger-ssh.service)
		grep ^ExecStart= /run/systemd/system/banger-ssh.service
		echo SSHD \$(ls /usr/sbin/sshd 2>&1 | grep -c ^/usr/sbin/sshd\$)
		echo STATE \$(systemctl is-system-running)
		systemctl --failed --no-legend --plain | sed s/^/FAILED-/" >sd 2>sderr ||
	    { cat sd sderr; false; } &&
	grep -qx "PID1 systemd" sd && grep -qx "UNIT active" sd &&
	grep -qx "LINK ../banger-ssh.service" sd && grep -qx "SSHD 0" sd &&
	grep -qx "ExecStart=/.banger/ssh/lib/ld-linux-x86-64.so.2 --library-path /.banger/ssh/lib --argv0 /.banger/ssh/bin/dropbear/ /.banger/ssh/bin/dropbear -F -E -s -g -R -p 22 -r /run/banger/dropbear_ed25519_host_key -P /run/banger/dropbear.pid" sd
'
sed -n 's/^\(STATE\|FAILED-\)/# &/p' "$TRASH/sd" 2>/dev/null

test_expect_success 'OpenSSH and no init: banger-init runs the image'"'"'s sshd; when it keeps failing, dropbear' '
	banger vm create --name os1 --image oci-ossh >/dev/null 2>&1 &&
	banger vm start os1 >/dev/null 2>&1 && wait_ssh os1 &&
	banger vm ssh os1 -- sh -c "echo PID1 \$(cat /proc/1/comm); echo PARENT \$(cat /proc/\$PPID/comm)" >os 2>&1 &&
	grep -qx "PID1 banger-init" os && grep -qx "PARENT sshd" os &&
	logged os1 "banger-init: the image has OpenSSH: running /usr/sbin/sshd" &&
	logged os1 "banger-init: started /usr/sbin/sshd (pid" &&
	{ banger vm ssh os1 -- sh -c "echo Bogus yes >>/etc/ssh/sshd_config; kill \$(cat /run/sshd.pid)" || :; } &&
	sleep 2 && wait_ssh os1 &&
	logged os1 "banger-init: restarting it in 500 ms" &&
	logged os1 "banger-init: /usr/sbin/sshd keeps failing: running banger'"'"'s dropbear instead" &&
	logged os1 "banger-init: started dropbear (pid" &&
	banger --json vm stop os1 >stop 2>&1 && test "$(jq -r .forced stop)" = false &&
	logged os1 "banger-init: powering off" &&
	banger vm delete os1 >/dev/null 2>&1
'
test_done
