#!/bin/bash
# `banger image pull REGISTRY/REPO:TAG` end to end, then `vm run` on the
# result (docs/oci-import.md): a busybox-only container image (static
# busybox: no libc, no init, no ssh server) in 3 layers — a hard link,
# a symlink, a setuid file, a file capability, owners; a whiteout; an
# opaque directory — with Env and WorkingDir in its config, built by
# umoci and pushed by skopeo to Debian's docker-registry (TLS, test CA)
# in t/with-sandbox's network namespace, pulled by the owner through
# banger's service, and booted (QEMU TCG): the files as the guest sees
# them, the exit status, ~/.profile's Env and WorkingDir, image list.
if [ "${BANGER_SANDBOX:-0}" != 1 ]; then
	TOP=$(cd "$(dirname "$0")/.." && pwd)
	. "$TOP/t/lib.sh"
	. "$TOP/t/registry-fixture.sh"
	why=
	if [ "$(id -u)" != 0 ]; then
		why='needs root (t/with-sandbox)'
	elif ! command -v qemu-system-x86_64 >/dev/null; then
		why='needs QEMU (package qemu-system-x86)'
	elif [ ! -f "$TOP/build/images/test/rootfs.ext4" ] ||
	    [ ! -f "$TOP/build/share/banger/guest.tar" ]; then
		why='needs make and make images'
	elif ! command -v setcap >/dev/null || ! reg_tools; then
		why=${REG_MISSING:-'needs setcap (package libcap2-bin)'}
	fi
	if [ -n "$why" ]; then
		test_skip 'an OCI image pulled and booted' "$why"
		test_done
	fi
	W=$TRASH/oci
	mkdir -p "$W"
	deb=
	for d in "$TOP"/build/images/cache/busybox-static_*.deb; do [ -f "$d" ] && deb=$d; done
	if [ -z "$deb" ]; then
		(cd "$W" && apt-get download -q -o APT::Sandbox::User=root busybox-static >/dev/null 2>&1)
		for d in "$W"/busybox-static_*.deb; do [ -f "$d" ] && deb=$d; done
	fi
	if [ -z "$deb" ] || ! dpkg-deb -x "$deb" "$W/x"; then
		echo "Bail out! no busybox-static package"
		exit 1
	fi
	# Layer 1: busybox and its applets (no init), passwd, the files
	# whose kinds the guest checks.  Layer 2: a whiteout and a new
	# file.  Layer 3: an opaque directory.
	L1=$W/l1 L2=$W/l2 L3=$W/l3
	mkdir -p "$L1/bin" "$L1/sbin" "$L1/usr/bin" "$L1/usr/sbin" "$L1/etc/conf.d" \
	    "$L1/root" "$L1/tmp" "$L1/w" "$L1/home/u" "$L2/etc" "$L3/etc/conf.d" &&
	chmod 1777 "$L1/tmp" && chmod 0700 "$L1/root" &&
	cp "$W/x/bin/busybox" "$L1/bin/busybox" &&
	for a in $("$L1/bin/busybox" --list-full); do
		case $a in sbin/init | linuxrc) continue ;; esac
		[ -e "$L1/$a" ] || ln -s /bin/busybox "$L1/$a" || exit 1
	done &&
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$L1/etc/passwd" &&
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$L1/etc/group" &&
	echo hello >"$L1/etc/hello" && ln "$L1/etc/hello" "$L1/etc/hard" &&
	ln -s hello "$L1/etc/sym" && echo gone >"$L1/etc/gone" &&
	echo a >"$L1/etc/conf.d/a" && echo b >"$L1/etc/conf.d/b" &&
	cp "$L1/bin/busybox" "$L1/bin/suid" && chmod 4755 "$L1/bin/suid" &&
	cp "$L1/bin/busybox" "$L1/bin/capbox" && setcap cap_net_raw+ep "$L1/bin/capbox" &&
	mkdir "$L1/capbin" && ln -s /bin/capbox "$L1/capbin/grep" &&
	echo mine >"$L1/home/u/f" && chown -R 1234:5678 "$L1/home/u" &&
	: >"$L2/etc/.wh.gone" && echo added >"$L2/etc/added" &&
	: >"$L3/etc/conf.d/.wh..wh..opq" && echo c >"$L3/etc/conf.d/c" || {
		echo "Bail out! cannot make the layers"
		exit 1
	}
	# Debian with systemd and openssh-server (t/oci-debian-fixture.sh),
	# one layer with Cmd /sbin/init: its own init and ssh server boot.
	. "$TOP/t/oci-debian-fixture.sh"
	T2220_DEBIAN=
	oci_debian_tree
	case $? in
	0) ;;
	1) T2220_DEBIAN=$OCI_DEBIAN_WHY ;;
	*) echo "Bail out! $OCI_DEBIAN_WHY"; exit 1 ;;
	esac
	export T2220_DEBIAN
	# The root hook: the registry in the sandbox's namespace, the image
	# built (umoci), its config given Env and WorkingDir, pushed (skopeo).
	cat >"$W/hook.sh" <<EOF
# (no set -e: reg_start polls with commands that fail until it is up)
B=$TOP/build
. "$TOP/t/registry-fixture.sh"
REG_DIR=\$BANGER_SANDBOX_DIR/reg
reg_start "\$REG_DIR" 5000 none &&
reg_image t/bb:1 "$L1" "$L2" "$L3" &&
umoci config --image "\$REG_DIR/oci/t/bb:1" --config.env FOO=bar \\
    --config.env "QUOTED=it's here" --config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin \\
    --config.workingdir /w &&
reg_ns timeout 60 skopeo --insecure-policy copy --retry-times 0 \\
    --dest-cert-dir "\$REG_DIR/pki/certs" "oci:\$REG_DIR/oci/t/bb:1" \\
    docker://127.0.0.1:5000/t/bb:1 >"\$REG_DIR/skopeo2.log" 2>&1 &&
chmod -R a+rX "\$REG_DIR/pki" &&
if [ -n "$OCI_DEBIAN" ]; then
	reg_image t/deb:12 "$OCI_DEBIAN"
fi
EOF
	export BANGER_SANDBOX_ROOT_SETUP="bash '$W/hook.sh'"
	"$TOP/t/with-sandbox" "$0" "$@"
	exit $?	# lib.sh's trap removes $TRASH
fi
. "${0%/*}/lib.sh"

KNAME=$(banger kernel list | sed -n '2s/ .*//p')
wait_ssh() {
	local i=0
	until banger vm ssh "$1" -- true 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 120 ] || { banger vm logs "$1" | tail -n 30; return 1; }
		sleep 1
	done
}
printf 'ca_file = "%s"\n' "$BANGER_SANDBOX_DIR/reg/pki/ca.pem" >"$TRASH/ca.toml"
cat "$TRASH/ca.toml" "$HOME/.config/banger/config.toml" >"$TRASH/config.toml" &&
    cp "$TRASH/config.toml" "$HOME/.config/banger/config.toml"

test_expect_success 'image pull: the registry image becomes image bb, listed with its digest' '
	test -n "$KNAME" &&
	banger image pull localhost:5000/t/bb:1 --name bb --kernel "$KNAME" >out 2>err ||
	    { cat out err; false; } &&
	grep -q "^image bb pulled from localhost:5000/t/bb:1 (sha256:[0-9a-f]*): 3 layers" out &&
	banger image list >list &&
	grep -q "^bb .*localhost:5000/t/bb:1@sha256:[0-9a-f]\{12\}" list
'

test_expect_success 'pulled again: already there, nothing done' '
	banger image pull localhost:5000/t/bb:1 --name bb >out 2>err &&
	grep -q "^image bb is installed already" out
'

cat >"$TRASH/check.sh" <<'EOF'
echo "PID1 $(cat /proc/1/comm)"
echo "GONE $(ls /etc/gone 2>&1 | grep -c 'No such')"
echo "ADDED $(cat /etc/added)"
echo "CONFD $(ls /etc/conf.d | tr '\n' ' ')"
echo "HARD $(stat -c %h /etc/hello) $(stat -c %i /etc/hello) $(stat -c %i /etc/hard)"
echo "SYM $(readlink /etc/sym)"
echo "SUID $(stat -c %a /bin/suid)"
echo "OWNER $(stat -c %u:%g /home/u/f)"
# As nobody, the capability comes from the file (+ep), and only there.
echo "CAP $(su -s /bin/sh nobody -c '/capbin/grep CapEff /proc/self/status' | cut -f2)"
echo "NOCAP $(su -s /bin/sh nobody -c 'grep CapEff /proc/self/status' | cut -f2)"
exit 7
EOF

test_expect_success 'vm run: the layers as the guest sees them; the exit status comes back' '
	{ banger vm run --rm --name c1 --image bb -- sh -c "$(cat check.sh)" >out 2>err; st=$?; } &&
	test "$st" = 7 || { cat out err; false; } &&
	grep -qx "PID1 banger-init" out &&
	grep -qx "GONE 1" out && grep -qx "ADDED added" out &&
	grep -qx "CONFD c " out &&
	grep -Eqx "HARD 2 ([0-9]+) \\1" out &&
	grep -qx "SYM hello" out && grep -qx "SUID 4755" out &&
	grep -qx "OWNER 1234:5678" out &&
	grep -qx "CAP 0000000000002000" out &&
	grep -qx "NOCAP 0000000000000000" out || { cat out; false; }
'

test_expect_success 'a login shell gets the image config'"'"'s Env and WorkingDir (~/.profile)' '
	banger vm create --name e1 --image bb >/dev/null 2>&1 &&
	banger vm start e1 >/dev/null 2>&1 &&
	wait_ssh e1 &&
	banger vm ssh e1 -- sh -lc "pwd; echo \"\$FOO|\$QUOTED|\$PATH\"" >out 2>err ||
	    { cat out err; false; } &&
	printf "/w\nbar|it'"'"'s here|/usr/sbin:/usr/bin:/sbin:/bin\n" >want &&
	test_cmp want out &&
	banger vm ssh e1 -- sh -c pwd >out &&
	test "$(cat out)" = /root
'

if [ -n "${T2220_DEBIAN:-}" ]; then
	test_skip 'a Debian image with systemd and OpenSSH, pulled and booted' "$T2220_DEBIAN"
else
	test_expect_success 'Debian with systemd and openssh-server: pulled; its own init and sshd boot' '
		banger image pull localhost:5000/t/deb:12 --name deb --kernel "$KNAME" >out 2>err ||
		    { cat out err; false; } &&
		banger vm run --rm --name d1 --image deb -- sh -c "cat /proc/1/comm; systemctl is-system-running --wait; systemctl is-active ssh; test ! -e /run/systemd/system/banger-ssh.service && echo no-banger-ssh" >out 2>err ||
		    { cat out err; false; } &&
		sed -n 1p out | grep -qx systemd &&
		sed -n 2p out | grep -Eqx "running|degraded" &&
		grep -qx active out && grep -qx no-banger-ssh out
	'
fi

test_expect_success 'clean up: the VM and the image go' '
	banger vm delete e1 >/dev/null 2>&1 && banger image delete bb >/dev/null 2>&1 &&
	! banger image list | grep -q "^bb "
'
test_done
