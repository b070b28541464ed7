#!/bin/bash
# [[file_sync]] with real guests (QEMU TCG), in t/with-sandbox's private
# state root and network namespace: what arrives, with which mode and
# owner, and every refusal (exit 100, no VM made).
if [ "${BANGER_SANDBOX:-0}" != 1 ]; then
	TOP=$(cd "$(dirname "$0")/.." && pwd)
	if [ "$(id -u)" != 0 ] || [ ! -f "$TOP/build/images/test/rootfs.ext4" ] ||
	    ! command -v qemu-system-x86_64 >/dev/null || ! test -x /usr/bin/fakeroot; then
		. "$TOP/t/lib.sh"
		test_skip 'file_sync with real guests' 'needs root, QEMU, fakeroot and make images'
		test_done
	fi
	exec "$TOP/t/with-sandbox" "$0" "$@"
fi
. "${0%/*}/lib.sh"

STATE=$BANGER_ROOT/var/lib/banger
CFG=$HOME/.config/banger/config.toml
no_vms() { ! test -d "$STATE/vms" || test -z "$(ls -A "$STATE/vms")"; }
BASE=$(cat "$CFG")
with_sync() { # with_sync HOST GUEST [MODE]: the base config and one entry
	{ printf "%s\n" "$BASE"; printf '\n[[file_sync]]\nhost = "%s"\nguest = "%s"\n' "$1" "$2"
	  test -z "$3" || printf 'mode = "%s"\n' "$3"; } >"$CFG"
}

test_expect_success 'files, a directory and a symlink inside it in the home' '
	mkdir -p "$HOME/bin" "$HOME/.aws/deep/er" &&
	printf "#!/bin/sh\necho hi\n" >"$HOME/bin/tool" &&
	echo secret >"$HOME/token" && chmod 0644 "$HOME/token" &&
	echo cred >"$HOME/.aws/credentials" && chmod 0640 "$HOME/.aws/credentials" &&
	echo nested >"$HOME/.aws/deep/er/n.txt" &&
	ln -s /etc/hostname "$HOME/.aws/escape" &&
	{ printf "%s\n" "$BASE"; cat <<-TOML; } >"$CFG" &&

	[[file_sync]]
	host = "~/bin/tool"
	guest = "~/bin/tool"
	mode = "0755"

	[[file_sync]]
	host = "$HOME/.aws"
	guest = "/root/.aws"

	[[file_sync]]
	host = "~/token"
	guest = "~/.config/t/token"
	TOML
	true
'
test_expect_success 'one boot: modes, root ownership, recursion, the skipped symlink' '
	{ banger vm run --rm --name fs1 -- sh -c "
		stat -c \"%a %U\" /root/bin/tool /root/.config/t/token /root/.aws/credentials
		cat /root/.aws/deep/er/n.txt; /root/bin/tool
		test -e /root/.aws/escape || test -L /root/.aws/escape || echo NOLINK
	" >out 2>err; st=$?; cat out err; } && test $st = 0 &&
	sed -n 1p out | grep -qx "755 root" &&
	sed -n 2p out | grep -qx "600 root" &&
	sed -n 3p out | grep -qx "640 root" &&
	sed -n 4p out | grep -qx nested &&
	sed -n 5p out | grep -qx hi &&
	sed -n 6p out | grep -qx NOLINK &&
	grep "skipped the symlink" err | grep -q "\.aws/escape" &&
	no_vms
'
refused() { # refused PATTERN: vm create exits 100 naming entry 1, no VM
	must_fail 100 banger vm create --name bad >out 2>err &&
	cat err && grep -q "file_sync entry 1 (line [0-9]*)" err &&
	grep -q "$1" err && no_vms
}
test_expect_success 'a host path outside the home is refused' '
	with_sync /etc/hostname "~/h" && refused "outside your home"
'
test_expect_success 'a top-level symlink in the home pointing to /etc is refused' '
	ln -s /etc "$HOME/etclink" &&
	with_sync "~/etclink" "~/etc" && refused "symlink to .*/etc.*top-level symlink"
'
test_expect_success 'a guest path outside /root is refused when the config loads' '
	with_sync "~/token" "/etc/x" && refused "guest .*/etc/x.* must start with"
'
test_expect_success 'a missing host file is refused' '
	with_sync "~/nope" "~/nope" && refused "does not exist"
'
printf "%s\n" "$BASE" >"$CFG"
test_done
