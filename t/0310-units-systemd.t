#!/bin/sh
# t/0310-units-systemd.t — banger's units under a real systemd.
#
# systemd is not PID 1 on the build machines, so this boots one as PID 1
# of a systemd-nspawn container (t/nspawn.sh): a cached debootstrap
# minbase tree, copied per run, with the built helpers, the CLI and the
# units installed the way `banger system install` does (placeholders
# filled for a test owner, sockets enabled).  Then, from inside the
# container: the sockets listen with the modes the units say, the CLI
# gets an answer through banger.socket -> banger.service (serve) ->
# dispatch -> vm-list under the unit's sandbox, and serve exits when
# idle; a burst of connections fails neither socket (and a copy of the
# root socket without our limit does trip),
# other users are kept out at the socket and at SO_PEERCRED, and the
# owner's root verbs reach root-dispatch.  Needs root, systemd-nspawn
# and debootstrap (with Debian's mirror); the first run builds the cache
# (~40 s), later runs take a few seconds.  See docs/testing.md.

. "${0%/*}/lib.sh"
. "${0%/*}/nspawn.sh"

INCLUDE=systemd,dbus,systemd-sysv,libcjson1
UNITS=$NS_UNITS
SOCKETS=$NS_SOCKETS
OWNER=owner OWNER_UID=1500 OWNER_GROUP=ownergrp
CT=$TRASH/ct
CLIENT=$NS_CLIENT
FLOOD=/usr/local/lib/banger-t/flood
SOCK=/run/banger/bangerd.sock
RSOCK=/run/banger-root/bangerd-root.sock
LIMITSOCK=/run/banger-t-limit.sock

why=$(ns_missing)
if [ -n "$why" ]; then
	test_skip 'banger units under a real systemd (nspawn)' "$why"
	test_done
fi
at_exit ns_stop

# ---- the container tree ---------------------------------------------

ns_tree_step "$INCLUDE" "systemd (cached in build/cache)"

# The units' helper directory, as make filled it in.
LIBEXEC=$(ns_libexec)

# install_banger: what `banger system install --owner owner` does, into
# the per-run copy $CT (ns_install_banger, t/nspawn.sh).  Plus one
# control socket, banger-t-limit.socket: banger-root.socket (Accept=yes)
# without its TriggerLimit setting, on its own path.
install_banger() {
	ns_install_banger "$CT" &&
	sed -e '/^TriggerLimit/d' -e "s|^ListenStream=.*|ListenStream=$LIMITSOCK|" \
	    "$CT/etc/systemd/system/banger-root.socket" \
	    > "$CT/etc/systemd/system/banger-t-limit.socket" &&
	cp "$CT/etc/systemd/system/banger-root@.service" \
	    "$CT/etc/systemd/system/banger-t-limit@.service" &&
	systemctl --root="$CT" enable banger-t-limit.socket || return 1
	# flood SOCKET COUNT: COUNT connections as fast as one process can
	# make them, each closed at once without a request.
	cat > "$CT$FLOOD" <<'EOF'
#!/usr/bin/perl
use strict;
use warnings;
use IO::Socket::UNIX;
my ($path, $count) = @ARGV;
my ($ok, $bad) = (0, 0);
for (1 .. $count) {
	my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $path);
	if ($s) { $ok++; close $s } else { $bad++ }
}
print "$ok connected, $bad refused\n";
EOF
	chmod 0755 "$CT$FLOOD"
}

# answer_is FILE PERL-CONDITION: FILE's last line is a final answer and
# the condition holds for $a (the decoded line).  JSON::PP runs on the
# host: the container has perl-base only.
answer_is() {
	perl -MJSON::PP -e '
	    my @l = <STDIN>; die "no answer\n" unless @l;
	    my $a = decode_json($l[-1]);
	    my $ok = eval $ARGV[0]; die $@ if $@;
	    exit 0 if $ok;
	    print STDERR "unexpected answer: $l[-1]"; exit 1' "$2" < "$1"
}

test_expect_success 'install into a copy: helpers, CLI, units for the owner, sockets enabled' '
	install_banger
'
[ -d "$CT/etc/banger" ] || test_done

# Helpers that cannot run in the container (a library the tree lacks):
# fine as long as no test here drives them; add the package to INCLUDE
# when one does.
for f in "$CT$LIBEXEC"/* "$CT/usr/local/bin/banger"; do
	miss=$(chroot "$CT" ldd "${f#"$CT"}" 2>/dev/null | awk '/not found/ { printf " %s", $1 }')
	[ -z "$miss" ] || echo "# not runnable in the container: ${f##*/} (missing$miss)"
done

# drain PATTERN: wait (30 s at most) until no instance unit matches.
drain() {
	_i=0
	while [ $_i -lt 300 ]; do
		_o=$(ns_run systemctl list-units --all --no-legend --plain "$1") ||
		    return 1
		[ -z "$_o" ] && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "instances of $1 still there after 30 s" >&2
	return 1
}

# ---- boot ------------------------------------------------------------

ns_boot_step "$CT"
if [ "$NS_STATE" = degraded ]; then
	ns_run systemctl --failed --no-legend --plain | sed 's/^/# failed: /'
fi

test_expect_success 'systemd loaded every banger unit without a complaint' '
	for u in $UNITS; do
		case $u in *@.service) u=${u%@.service}@probe.service ;; esac
		st=$(ns_run systemctl show -P LoadState "$u") &&
		[ "$st" = loaded ] || { echo "$u: LoadState=$st"; return 1; }
	done &&
	ns_run journalctl --sync &&
	ns_run journalctl -b -o cat _PID=1 > pid1.log &&
	! grep -i "banger" pid1.log | grep -Ei "ignoring|unknown|invalid|bad |failed|error"
'

test_expect_success 'the three sockets are active and listening' '
	for s in $SOCKETS; do
		st=$(ns_run systemctl is-active "$s")
		[ "$st" = active ] || { echo "$s is $st"; ns_run systemctl status --no-pager "$s"; return 1; }
	done &&
	ns_run systemctl show -P Listen banger-dns.socket > dns.listen &&
	grep -Fx "172.16.0.1:53 (Datagram)" dns.listen &&
	grep -Fx "172.16.0.1:53 (Stream)" dns.listen
'

test_expect_success "owner socket: $OWNER, 0600, in a 0755 /run/banger" '
	st=$(ns_run stat -c "%U %a %F" $SOCK) &&
	[ "$st" = "$OWNER 600 socket" ] || { echo "$SOCK: $st"; false; } &&
	st=$(ns_run stat -c "%a" /run/banger) &&
	[ "$st" = 755 ] || { echo "/run/banger: $st"; false; }
'

test_expect_success "root socket: root:$OWNER_GROUP 0660, in a root 0755 /run/banger-root" '
	st=$(ns_run stat -c "%U:%G %a %F" $RSOCK) &&
	[ "$st" = "root:$OWNER_GROUP 660 socket" ] || { echo "$RSOCK: $st"; false; } &&
	st=$(ns_run stat -c "%U %a" /run/banger-root) &&
	[ "$st" = "root 755" ] || { echo "/run/banger-root: $st"; false; }
'

# ---- the owner side ----------------------------------------------------

test_expect_success 'owner: banger vm list --json answers through banger.service (serve)' '
	ns_as $OWNER banger vm list --json > list.out 2> list.err ||
	    { cat list.err; ns_run journalctl -b --no-pager -n 30; false; } &&
	answer_is list.out "ref(\$a->{vms}) eq q(ARRAY) && !@{\$a->{vms}}"
'

test_expect_success 'owner: vm list as a table' '
	ns_as $OWNER banger vm list > table.out 2>&1 || { cat table.out; false; }
'

test_expect_success 'the service made the state directories for the owner and left the socket' '
	for d in /run/banger/vms /var/lib/banger /var/cache/banger; do
		st=$(ns_run stat -c "%U" $d) &&
		[ "$st" = $OWNER ] || { echo "$d is owned by $st"; return 1; }
	done &&
	st=$(ns_run stat -c "%U %a" $SOCK) &&
	[ "$st" = "$OWNER 600" ] || { echo "$SOCK: $st"; false; }
'

# systemd chowns a socket path to SocketUser= following symlinks: no
# directory that holds a socket may be the owner's to write.
test_expect_success 'the sockets'"'"' directories stay root'"'"'s: the owner can write none of them' '
	for d in /run/banger /run/banger-root; do
		st=$(ns_run stat -c "%U %a" $d) &&
		[ "$st" = "root 755" ] || { echo "$d: $st"; return 1; }
		! ns_as $OWNER test -w $d || { echo "$OWNER can write $d"; return 1; }
		! ns_as $OWNER ln -s /etc/shadow $d/x 2>/dev/null || { echo "$OWNER linked in $d"; return 1; }
	done
'

# serve exits after 10 idle seconds: nothing of banger runs then.
svc_idle() { [ "$(ns_run systemctl is-active banger.service)" != active ]; }
test_expect_success 'banger.service exits when idle, root instances after answering; no unit failed' '
	[ "$(ns_run systemctl is-active banger.service)" = active ] &&
	ns_until 30 svc_idle &&
	[ "$(ns_run systemctl show -P MainPID banger.service)" = 0 ] &&
	[ "$(ns_run systemctl show -P Result banger.service)" = success ] &&
	[ "$(ns_run systemctl is-active banger.socket)" = active ] &&
	drain "banger-root@*" &&
	ns_run systemctl list-units --failed --no-legend --plain > failed.out &&
	! grep . failed.out
'

test_expect_success 'root may use the owner socket too' '
	ns_run banger vm list --json > root.out 2>&1 || { cat root.out; false; } &&
	answer_is root.out "ref(\$a->{vms}) eq q(ARRAY)"
'

test_expect_success 'another user cannot connect to the owner socket (0600): exit 111' '
	must_fail 111 ns_as other banger vm list --json > other.out 2> other.err &&
	grep -q "cannot connect to $SOCK: Permission denied" other.err ||
	    { cat other.err; false; }
'

# SEQ requests in a row through the real service.  Each instance sets
# up its sandbox first (50-70 ms here, against ~5 ms for a bare unit),
# so one client stays far below systemd's default trigger limit (200
# triggers in 2 s): this checks that many instances come and go cleanly
# (RuntimeDirectoryPreserve, CollectMode).  The flood below is what
# tests the trigger limit.
SEQ=100
_t0=$(date +%s%N)
ns_as $OWNER $CLIENT $SOCK vm-list '{}' $SEQ > "$TRASH/burst.out" 2> "$TRASH/burst.err"
burst_st=$?
echo "# $SEQ sequential requests through banger.socket: $((($(date +%s%N) - _t0) / 1000000)) ms"
test_expect_success "$SEQ requests in a row: all answered, banger.socket still active" '
	[ $burst_st = 0 ] || { cat burst.err; false; } &&
	st=$(ns_run systemctl is-active banger.socket) &&
	[ "$st" = active ] || { echo "banger.socket is $st"; ns_run systemctl status --no-pager banger.socket; false; }
'

# flood USER SOCKET PATTERN COUNT: COUNT connections as fast as one
# process makes them, each closed at once.  Every one is a trigger,
# whether systemd starts an instance for it or drops it at
# MaxConnections.  Then wait until the instances are gone.
flood() {
	_t0=$(date +%s%N)
	ns_as "$1" $FLOOD "$2" "$4" || return 1
	echo "# flood of $4 connections to $2: $((($(date +%s%N) - _t0) / 1000000)) ms"
	drain "$3"
}

test_expect_success 'banger-root.socket has no trigger limit; banger.socket is Accept=no' '
	st=$(ns_run systemctl show -P TriggerLimitIntervalUSec banger-root.socket) &&
	[ "$st" = 0 ] || { echo "banger-root.socket: TriggerLimitIntervalUSec=$st"; false; } &&
	[ "$(ns_run systemctl show -P Accept banger.socket)" = no ]
'

# 5000 connections: the owner on its socket, a member of the owner's
# group (who may connect, and is then refused) on the root socket.
flood $OWNER $SOCK "banger-nothing@*" 5000 > "$TRASH/flood.out" 2>&1
flood_st=$?
grep '^# flood\|connected' "$TRASH/flood.out"
flood member $RSOCK "banger-root@*" 5000 > "$TRASH/rflood.out" 2>&1
rflood_st=$?
grep '^# flood\|connected' "$TRASH/rflood.out"
test_expect_success 'bursts of 5000 connections: both sockets stay active and answer, no restart' '
	[ $flood_st = 0 ] || { cat flood.out; false; } &&
	[ $rflood_st = 0 ] || { cat rflood.out; false; } &&
	for s in banger.socket banger-root.socket; do
		st=$(ns_run systemctl is-active $s) &&
		[ "$st" = active ] || { echo "$s is $st"; ns_run systemctl status --no-pager $s; return 1; }
	done &&
	ns_as $OWNER banger vm list --json > after.out 2>&1 || { cat after.out; false; } &&
	ns_as $OWNER $CLIENT $RSOCK tap-del "{}" > rafter.out 2>&1 &&
	answer_is rafter.out "\$a->{error}{code} eq q(bad_request)" || { cat rafter.out; false; }
'

# The control: banger-root.socket (Accept=yes) without its TriggerLimit
# setting, the same service, a smaller burst.  It must trip, or the
# test above proves nothing.
flood $OWNER $LIMITSOCK "banger-t-limit@*" 300 > "$TRASH/flood-limit.out" 2>&1
flood_st=$?
grep '^# flood' "$TRASH/flood-limit.out"
test_expect_success 'control: the same burst trips systemd'"'"'s default trigger limit' '
	[ $flood_st = 0 ] || { cat flood-limit.out; false; } &&
	res=$(ns_run systemctl show -P Result banger-t-limit.socket) &&
	[ "$res" = trigger-limit-hit ] || { echo "banger-t-limit.socket: Result=$res"; false; }
'

# ---- the root side -------------------------------------------------------

# root-dispatch lets the owner's tap-del through: root-tap-del answers
# an empty request with bad_request.  Refusals (permission_denied,
# unknown_verb), a missing helper and exec failures (internal) fail.
test_expect_success 'owner: a root verb gets through root-dispatch to its helper' '
	ns_as $OWNER $CLIENT $RSOCK tap-del "{}" > tap.out 2> tap.err ||
	    { cat tap.err; false; } &&
	answer_is tap.out "!\$a->{ok} && \$a->{error}{code} eq q(bad_request)"
'

test_expect_success 'another user cannot connect to the root socket (0660 root:group)' '
	must_fail 111 ns_as other $CLIENT $RSOCK tap-add "{}" 2> rother.err &&
	grep -q "Permission denied" rother.err || { cat rother.err; false; }
'

test_expect_success 'a member of the owner group connects but root-dispatch refuses it' '
	ns_as member $CLIENT $RSOCK tap-add "{}" > member.out 2> member.err ||
	    { cat member.err; false; } &&
	answer_is member.out "!\$a->{ok} && \$a->{error}{code} eq q(permission_denied) && \$a->{error}{message} =~ /uid 1502/"
'

# The owner side (dispatch, vm-list) has nothing to say on these
# requests.  The root side logs the refusal above; anything that looks
# like the sandbox getting in a helper's way (skalibs says "unable to"
# for a failed system call) fails.
test_expect_success 'journal: banger said nothing, banger-root only the refusal' '
	ns_run journalctl --sync &&
	{ ns_run journalctl -b -o cat -t banger > j-banger.log || :; } &&
	{ ns_run journalctl -b -o cat -t banger-root > j-root.log || :; } &&
	{ ! grep . j-banger.log || { echo "banger said:"; cat j-banger.log; false; }; } &&
	{ grep -q "^banger-root-dispatch: uid 1502 pid [0-9]*: permission_denied: connection from uid 1502 refused" j-root.log || { echo "banger-root said:"; cat j-root.log; false; }; } &&
	! grep -Ei "unable to|fatal|not permitted|read-only file system|permission denied|cannot" j-root.log &&
	ns_run journalctl -b -o cat _PID=1 > pid1.log &&
	! grep -E "banger(@|-root@|\.socket|-root\.socket|-dns)" pid1.log |
	    grep -Ei "failed|error|ignoring|limit"
'

# ---- shutdown --------------------------------------------------------------

ns_stop_step

test_done
