#!/bin/sh
# t/with-sandbox from a checkout the sandbox's owner cannot reach: a
# copy of this checkout (hard links: no data copied) under a 0700
# directory, as Debian makes home directories.  The owner side, the
# VMM and the command run as an unprivileged user; with-sandbox copies
# what they run into its own directory, so a VM still boots and a
# sandboxed test script still runs.
. "${0%/*}/lib.sh"

if [ "$(id -u)" != 0 ] || [ ! -f "$B/images/test/rootfs.ext4" ]; then
	test_skip 'with-sandbox from a 0700 checkout' 'needs root and make images'
	test_done
fi

P=$TRASH/home
mkdir -p "$P/repo/build" && chmod 0700 "$P" &&
	cp -a "$TOP/t" "$TOP/conf" "$P/repo/" &&
	cp -al "$B/bin" "$B/libexec" "$B/t" "$B/images" "$P/repo/build/" ||
	{ echo "Bail out! cannot make the private copy"; exit 1; }
# No build/images/*/cache: only what with-sandbox uses.

test_expect_success 'the owner really cannot reach the private copy' '
	! setpriv --reuid=65534 --regid=65534 --clear-groups \
	    test -x "$P/repo/build/bin/banger"
'
test_expect_success 'a VM boots through with-sandbox from the 0700 checkout' '
	"$P/repo/t/with-sandbox" "$P/repo/build/bin/banger" vm run --rm -- \
	    cat /etc/hostname >out 2>err ||
	    { cat err; false; } &&
	grep -q "^vm-" out
'
test_expect_success 'a sandboxed test script runs from the 0700 checkout' '
	cat >"$P/repo/t/9999-probe.t" <<-\EOF &&
	#!/bin/sh
	if [ "${BANGER_SANDBOX:-0}" != 1 ]; then
		exec "$(dirname "$0")/with-sandbox" "$0"
	fi
	. "${0%/*}/lib.sh"
	test_expect_success "the CLI and the helpers answer" "banger vm list"
	test_done
	EOF
	chmod 0755 "$P/repo/t/9999-probe.t" &&
	"$P/repo/t/9999-probe.t" >out 2>err || { cat out err; false; } &&
	grep -q "^ok 1 - the CLI and the helpers answer" out
'
test_done
