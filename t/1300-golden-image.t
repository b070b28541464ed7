#!/bin/bash
# The debian-bookworm golden image (images/debian-bookworm/build.sh)
# booted for real (QEMU TCG, systemd as the guest's init) through
# banger, in t/with-sandbox's private state root and network namespace.
#
# The image is built once, before the sandbox, into
# build/cache/debian-bookworm-<key> (key: the recipe and banger-init),
# under a flock, in a temporary directory renamed into place; later runs
# reuse it.  t/with-sandbox copies it into the sandbox's state
# (BANGER_SANDBOX_IMAGES), with the kernel bundle of build/images/kernel
# and its modules.ext4 (Docker's modules).
#
# Docker is checked with an image made here by hand, as `docker save`
# would write it (a docker-archive tar: manifest.json, the config, one
# layer holding Debian's static busybox), handed to the owner by the
# root set-up hook; mise with a .mise.toml whose one tool is a local
# directory (path:), so nothing needs the internet.
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
	# The docker-archive image, made fresh each run (cheap) from the
	# test image's busybox-static .deb, which its recipe checked against
	# apt's index, or one apt-get downloads.
	W=$(mktemp -d "$C/.docker-image.XXXXXX") || exit 1
	deb=
	for d in "$TOP"/build/images/cache/busybox-static_*.deb; do [ -f "$d" ] && deb=$d; done
	if [ -z "$deb" ]; then
		(cd "$W" && apt-get download -q -o APT::Sandbox::User=root busybox-static >/dev/null 2>&1)
		for d in "$W"/busybox-static_*.deb; do [ -f "$d" ] && deb=$d; done
	fi
	if [ -z "$deb" ] || ! dpkg-deb -x "$deb" "$W/x"; then
		rm -rf "$W"
		echo "Bail out! no busybox-static package for the docker test image"
		exit 1
	fi
	mkdir -p "$W/l/bin" "$W/i" &&
	cp "$W/x/bin/busybox" "$W/l/bin/busybox" &&
	ln -s busybox "$W/l/bin/sh" && ln -s busybox "$W/l/bin/echo" &&
	tar --owner=0 --group=0 --numeric-owner --mtime=@0 --sort=name \
	    -C "$W/l" -cf "$W/layer.tar" bin &&
	diff=$(sha256sum <"$W/layer.tar" | cut -d' ' -f1) &&
	mkdir "$W/i/$diff" && mv "$W/layer.tar" "$W/i/$diff/layer.tar" &&
	jq -cn --arg d "sha256:$diff" '{architecture: "amd64", os: "linux",
	    config: {Env: ["PATH=/bin"], Cmd: ["sh"]},
	    rootfs: {type: "layers", diff_ids: [$d]},
	    history: [{created_by: "t/1300-golden-image.t"}]}' >"$W/config.json" &&
	cfg=$(sha256sum <"$W/config.json" | cut -d' ' -f1) &&
	mv "$W/config.json" "$W/i/$cfg.json" &&
	jq -cn --arg c "$cfg.json" --arg l "$diff/layer.tar" \
	    '[{Config: $c, RepoTags: ["banger-busybox:test"], Layers: [$l]}]' >"$W/i/manifest.json" &&
	tar --owner=0 --group=0 --numeric-owner -C "$W/i" -cf "$W/img.tar" \
	    manifest.json "$cfg.json" "$diff/layer.tar" &&
	mv "$W/img.tar" "$C/docker-busybox.tar" || { rm -rf "$W"; echo "Bail out! cannot make the docker test image"; exit 1; }
	rm -rf "$W"
	export BANGER_SANDBOX_IMAGES=$IMG
	export BANGER_SANDBOX_ROOT_SETUP="install -m 0644 '$C/docker-busybox.tar' \"\$BANGER_SANDBOX_DIR/docker-busybox.tar\""
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
# Docker, mise and the modules disk, in one VM: a workspace (a git
# repository) holding the docker-archive image, a .mise.toml and the
# script that checks, in the guest, that
# - the kernel's modules disk is /lib/modules/<release>, ext4, read-only;
# - docker.service is not started at boot, docker.socket listens, and the
#   first `docker info` starts it (and containerd);
# - docker load of the image and docker run --network none of it work;
# - the modules Docker needed were loaded from the modules disk (lsmod);
# - mise runs, and vm run's tooling bootstrap ran `mise install` for real.
mkdir -p "$TRASH/dock/fake-node/bin"
printf '#!/bin/sh\necho fake-node-ok\n' >"$TRASH/dock/fake-node/bin/node"
chmod 0755 "$TRASH/dock/fake-node/bin/node"
cat >"$TRASH/dock/.mise.toml" <<'EOF'
[env]
BANGER_MISE = "on"

[tools]
node = "path:/root/repo/fake-node"
EOF
cat >"$TRASH/dock/check.sh" <<'EOF'
#!/bin/sh
# t/1300: run in the guest by vm run, in /root/repo.
now() { date +%s%N; }
echo "MODS $(findmnt -n -r -o SOURCE,FSTYPE,OPTIONS "/lib/modules/$(uname -r)")"
echo "MODS-DISK-RO $(cat /sys/block/vdc/ro)"
echo "BEFORE docker.service=$(systemctl is-active docker.service)" \
    "containerd.service=$(systemctl is-active containerd.service)" \
    "docker.socket=$(systemctl is-active docker.socket)"
s=$(now)
docker info --format 'INFO {{.ServerVersion}} {{.Driver}} cgroup{{.CgroupVersion}}' ||
    echo "INFO failed"
echo "DOCKER-FIRST-MS $((($(now) - s) / 1000000))"
echo "AFTER docker.service=$(systemctl is-active docker.service)" \
    "containerd.service=$(systemctl is-active containerd.service)"
docker load -i docker-busybox.tar 2>&1 | sed 's/^/LOAD /'
s=$(now)
docker run --rm --network none banger-busybox:test echo hello 2>&1 | sed 's/^/RUN /'
echo "RUN-MS $((($(now) - s) / 1000000))"
lsmod | awk 'NR > 1 { print "LSMOD " $1 }'
mise --version 2>&1 | sed 's/^/MISE /'
# vm run started `mise install` in the background: wait for its end.
log=/root/.cache/banger/vm-run-tooling-dock.log
i=0
while [ $i -lt 600 ] && ! grep -qE "all tools are installed|ERROR|not installed" $log 2>/dev/null; do
	sleep 0.2
	i=$((i + 1))
done
sed 's/^/TOOLING /' $log
mise exec -- node 2>&1 | sed 's/^/NODE /'
mise env 2>&1 | grep BANGER_MISE | sed 's/^/ENV /'
# Login shells (vm run's interactive one) have mise's shims first.
echo "LOGIN-PATH $(bash -lc 'echo "$PATH"' </dev/null 2>&1)"
journalctl -b --no-pager -o cat -u docker.service -u containerd.service 2>&1 |
    grep -E "level=(error|fatal)" | head -n 10 | sed 's/^/JOURNAL /'
EOF
test_expect_success 'docker, mise and the modules disk in the golden image (workspace with a .mise.toml)' '
	cp "$BANGER_SANDBOX_DIR/docker-busybox.tar" dock/ &&
	(cd dock && git init -q && git add -A && git -c user.email=t@example.com \
	    -c user.name=t -c commit.gpgsign=false commit -qm dock) &&
	{ banger vm run --rm --name gold3 --image debian-bookworm --ssh-timeout $SSHT ./dock -- \
	    sh check.sh 2>&1; echo "EXIT $?"; } | tsl >dockrun &&
	sed "s/^[^ ]* //" dockrun >dock.out &&
	grep -qx "EXIT 0" dock.out || { cat dock.out; false; }
'
sed -n 's/^[^ ]* \(MODS\|BEFORE\|INFO\|DOCKER-FIRST-MS\|AFTER\|RUN\|RUN-MS\|MISE\|TOOLING\|NODE\|ENV\|LOGIN-PATH\|JOURNAL\) /\1 /p' "$TRASH/dockrun" | sed 's/^/# /'
echo "# LSMOD: $(sed -n 's/^[^ ]* LSMOD //p' "$TRASH/dockrun" | tr '\n' ' ')"
test_expect_success 'the kernel'"'"'s modules disk is /lib/modules/<release>: /dev/vdc, ext4, read-only (the disk too)' '
	grep -Eq "^MODS /dev/vdc ext4 ro(,|\$)" dock.out && grep -qx "MODS-DISK-RO 1" dock.out
'
test_expect_success 'docker is started on demand: not at boot, by docker.socket at the first docker command' '
	grep -qx "BEFORE docker.service=inactive containerd.service=inactive docker.socket=active" dock.out &&
	grep -Eq "^INFO [0-9][^ ]* overlay2 cgroup2$" dock.out &&
	grep -qx "AFTER docker.service=active containerd.service=active" dock.out
'
test_expect_success 'docker load of a hand-made image, docker run --rm --network none IMAGE echo hello' '
	grep -q "^LOAD Loaded image: banger-busybox:test$" dock.out &&
	grep -qx "RUN hello" dock.out
'
test_expect_success 'the modules docker needed came from the modules disk (lsmod)' '
	for m in overlay bridge br_netfilter nf_tables nft_compat nf_nat nf_conntrack \
	    xt_MASQUERADE xt_addrtype xt_conntrack; do
		grep -qx "LSMOD $m" dock.out || { echo "not loaded: $m"; return 1; }
	done
'
test_expect_success 'mise --version; vm run'"'"'s tooling bootstrap ran mise install for the .mise.toml; shims on a login shell'"'"'s PATH' '
	grep -Eq "^MISE [0-9]{4}\.[0-9]+\.[0-9]+ linux-x64" dock.out &&
	grep -q "^TOOLING .*all tools are installed" dock.out &&
	grep -qx "NODE fake-node-ok" dock.out &&
	grep -qx "ENV export BANGER_MISE=on" dock.out &&
	grep -q "^LOGIN-PATH /root/.local/share/mise/shims:" dock.out
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
