#!/bin/bash
# image register and image delete through the real helper chain, in
# t/with-sandbox's private state root: a registered copy of the test
# image boots (QEMU TCG) with the kernel its manifest names; every
# refusal is exit 100 or 1 with nothing left behind.
if [ "${BANGER_SANDBOX:-0}" != 1 ]; then
	TOP=$(cd "$(dirname "$0")/.." && pwd)
	if [ "$(id -u)" != 0 ] || [ ! -f "$TOP/build/images/test/rootfs.ext4" ] ||
	    ! command -v qemu-system-x86_64 >/dev/null; then
		. "$TOP/t/lib.sh"
		test_skip 'image register and delete' 'needs root, QEMU and make images'
		test_done
	fi
	exec "$TOP/t/with-sandbox" "$0" "$@"
fi
. "${0%/*}/lib.sh"

STATE=$BANGER_ROOT/var/lib/banger
IMG=$STATE/images
no_temp() { for f in "$IMG"/.[!.]*; do [ -e "$f" ] && return 1; done; return 0; }
KNAME=$(banger kernel list | sed -n '2s/ .*//p')
TESTVER=$(banger image list | sed -n 's/^test  *ready  *\([0-9a-f]*\) .*/\1/p')

test_expect_success 'register a copy of the test image with a kernel' '
	test -n "$KNAME" && test -n "$TESTVER" &&
	cp --sparse=always "$IMG/test/rootfs.ext4" mine.ext4 &&
	banger --json image register mine mine.ext4 --kernel "$KNAME" >out 2>err &&
	grep -q "\"name\":\"mine\"" out && grep -q "\"version\":\"$TESTVER\"" out &&
	banger image list >out &&
	grep -q "^mine  *ready  *$TESTVER  *96M  *banger image register$" out &&
	grep -q "\"kernel\":\"$KNAME\"" "$IMG/mine/manifest.json" &&
	test "$(stat -c %U "$IMG/mine/rootfs.ext4")" != root && no_temp
'
test_expect_success 'a registered image boots, with the kernel its manifest names' '
	banger vm create --name rg --image mine >/dev/null 2>&1 &&
	banger --json vm show rg >out &&
	grep -q "\"image\":\"mine\"" out && grep -q "\"kernel\":\"$KNAME\"" out &&
	banger vm delete rg >/dev/null 2>&1 &&
	banger vm run --rm --name rg2 --image mine -- cat /etc/hostname >out 2>err &&
	test "$(cat out)" = rg2 && grep -q "^spec: .*" err
'
test_expect_success 'the name taken, not ext4, missing, a bad kernel: refused, nothing left' '
	must_fail 1 banger image register mine mine.ext4 2>err && grep -q "exists" err &&
	echo hello >notfs && must_fail 100 banger image register other notfs 2>err &&
	grep -q "not an ext2/3/4 file system image" err &&
	must_fail 100 banger image register other nosuchfile 2>err &&
	must_fail 1 banger image register other mine.ext4 --kernel nosuch 2>err &&
	grep -q "no kernel named" err &&
	must_fail 100 banger image register "Bad_Name" mine.ext4 2>/dev/null &&
	! test -e "$IMG/other" && no_temp
'
test_expect_success 'image delete removes it; again: not found; root'"'"'s test image: refused' '
	banger image delete mine >out 2>err &&
	! test -e "$IMG/mine" && ! banger image list | grep -q "^mine " &&
	must_fail 1 banger image delete mine 2>err && grep -q "no image named" err &&
	must_fail 1 banger image delete test 2>err && grep -q "not yours" err &&
	test -f "$IMG/test/rootfs.ext4" && banger image list | grep -q "^test  *ready" &&
	no_temp
'
test_expect_success 'vm prune removes what a killed register or delete left, not a live one'"'"'s' '
	mkdir "$IMG/.register-x-4194303" "$IMG/.delete-y-4194302" "$IMG/.register-z-$$" &&
	echo data >"$IMG/.register-x-4194303/rootfs.ext4" &&
	banger --json vm prune >out 2>err &&
	grep -q "\"leftovers_removed\":\[\"images/.register-x-4194303\",\"images/.delete-y-4194302\"\]\|\"leftovers_removed\":\[\"images/.delete-y-4194302\",\"images/.register-x-4194303\"\]" out &&
	! test -e "$IMG/.register-x-4194303" && ! test -e "$IMG/.delete-y-4194302" &&
	test -d "$IMG/.register-z-$$" &&
	mkdir "$IMG/.delete-w-4194301" && banger vm prune >out &&
	grep -qx "removed leftover images/.delete-w-4194301" out &&
	rmdir "$IMG/.register-z-$$"
'
test_done
