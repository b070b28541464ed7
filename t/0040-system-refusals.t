#!/bin/sh
# banger system install/uninstall: what they refuse before touching
# anything, on any host (docs/install.md).  The install itself, under a
# real systemd, is t/0340.  Nothing here may reach the step that writes:
# every case is refused in the CLI or in the helper's validate step, and
# the test checks that no installed file appeared.
. "${0%/*}/lib.sh"

X=$B/libexec/banger
# lib.sh gives every test a private state root; these commands refuse
# one (install works on the host only), so they run without it: each
# case below is refused before anything is written (untouched checks).
host() { env -u BANGER_ROOT "$@"; }
untouched() {
	for p in /usr/local/bin/banger /usr/local/libexec/banger/system-install \
	    /etc/banger/install.toml /etc/systemd/system/banger.socket; do
		! test -e "$p" || { echo "$p appeared"; return 1; }
	done
}
# The host may have banger installed for real: then leave it alone.
if [ -e /etc/banger/install.toml ] || [ -e /etc/systemd/system/banger.socket ]; then
	test_skip 'system install refusals' 'banger is installed on this host'
	test_done
fi

if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	test_expect_success 'not root: the exact sudo line, exit 1' '
		must_fail 1 setpriv --reuid=65534 --regid=65534 --clear-groups \
		    "$B/bin/banger" system install --owner bob 2>err &&
		grep -qx "banger: system install needs root: sudo $B/bin/banger system install --owner bob" err &&
		must_fail 1 setpriv --reuid=65534 --regid=65534 --clear-groups \
		    "$B/bin/banger" system uninstall --purge 2>err &&
		grep -qx "banger: system uninstall needs root: sudo $B/bin/banger system uninstall --purge" err
	'
fi
if [ "$(id -u)" = 0 ]; then
	test_expect_success 'no --owner and no sudo user: usage error, exit 100' '
		must_fail 100 env -u SUDO_USER "$B/bin/banger" system install 2>err &&
		grep -q -- "--owner USER is required" err
	'
	test_expect_success 'an unknown user: named, exit 1' '
		must_fail 1 host "$B/bin/banger" system install --owner bgt-nosuchuser 2>err &&
		grep -qx "banger: no user named \"bgt-nosuchuser\" on this host (the owner must be an existing account: useradd it first)" err &&
		untouched
	'
	test_expect_success 'root as the owner: refused, exit 100' '
		must_fail 100 host "$B/bin/banger" system install --owner root 2>err &&
		grep -q "the owner cannot be root" err &&
		SUDO_USER=root must_fail 100 host "$B/bin/banger" system install 2>err &&
		untouched
	'
	test_expect_success 'BANGER_ROOT set: install works on the host only, exit 100' '
		BANGER_ROOT=$TRASH/r must_fail 100 "$B/bin/banger" system install --owner daemon 2>err &&
		grep -q "unset BANGER_ROOT" err &&
		BANGER_ROOT=$TRASH/r must_fail 100 "$B/bin/banger" system uninstall 2>err &&
		grep -q "unset BANGER_ROOT" err &&
		untouched
	'
	if [ ! -d /run/systemd/system ]; then
		test_expect_success 'PID 1 is not systemd: refused, exit 100, pointing at s6' '
			must_fail 100 host "$B/bin/banger" system install --owner daemon 2>err &&
			grep -q "PID 1 of this host is not systemd" err &&
			grep -q "init s6" err &&
			untouched
		'
	fi
fi
test_expect_success 'a bad owner name: refused by the CLI, exit 100' '
	must_fail 100 "$B/bin/banger" system install --owner "a;b" 2>err &&
	grep -q "is not a user name" err &&
	must_fail 100 "$B/bin/banger" system install --owner 0 2>err &&
	must_fail 100 "$B/bin/banger" system install --owner 1002 2>err &&
	must_fail 100 "$B/bin/banger" system install --owner "-x" 2>err
'
if [ "$(id -u)" = 0 ]; then
	test_expect_success 'a numeric owner name never reaches the helper: refused there too (systemd reads User=0 as root)' '
		printf "{\"owner\":\"0\"}\n" | must_fail 100 "$X/system-install" >out &&
		jq -r .error.message out | grep -q "\[a-z_\]"
	'
fi
test_expect_success 'over a socket: system-install refuses (it runs on the host only)' '
	{ s6-ipcserver -a 0666 "$TRASH/s.sock" "$X/system-install" >/dev/null 2>&1 & } &&
	echo $! >s6.pid &&
	i=0 && while [ ! -S s.sock ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done &&
	s6-ipcclient "$TRASH/s.sock" sh -c "printf \"{\\\"owner\\\":\\\"daemon\\\"}\n\" >&7; cat <&6" >out &&
	jq -e ".error.code == \"permission_denied\"" out >/dev/null &&
	jq -r .error.message out | grep -q "never over a socket" &&
	untouched
'
at_exit 'kill $(cat "$TRASH/s6.pid") 2>/dev/null'
test_expect_success 'the owner dispatcher does not route system-install (unknown verb)' '
	printf "system-install\n{}\n" | must_fail 100 "$X/dispatch" >out &&
	jq -e ".error.code == \"unknown_verb\"" out >/dev/null
'
# make install: the files only, in the layout system install uses
# (docs/install.md, "Packaging").
test_expect_success 'make install DESTDIR: the CLI, every helper, the unit templates and conf/' '
	make -s -C "$TOP" install DESTDIR="$TRASH/pkg" PREFIX=/usr/local >mk.out 2>&1 ||
	    { cat mk.out; false; } &&
	test -x pkg/usr/local/bin/banger &&
	for h in "$X"/*; do test -x "pkg/usr/local/libexec/banger/${h##*/}" || return 1; done &&
	test -f pkg/usr/local/share/banger/units/banger.service &&
	test -f pkg/usr/local/share/banger/units/banger.socket &&
	test -f pkg/usr/local/share/banger/conf/slice.conf &&
	test -f pkg/usr/local/share/banger/conf/access/owner.allow &&
	! test -e pkg/etc
'
test_done
