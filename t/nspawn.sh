# shellcheck shell=sh
# t/nspawn.sh — a real systemd as PID 1 of a systemd-nspawn container,
# for tests on hosts where systemd is not PID 1 (docs/host-facts.md, "Processes and systemd
# without systemd as PID 1").  Source it after t/lib.sh.
#
#   ns_missing               why this host cannot do it (prints nothing if it can)
#   ns_tree INCLUDES         NS_TREE=cached debootstrap tree (built on first use)
#   ns_tree_step INCLUDES WHAT  ns_tree as a test ("a SUITE minbase tree with
#                            WHAT"); the script ends there if it fails
#   ns_boot_step DIR         ns_boot as a test ("systemd boots as PID 1 of the
#                            container"); the script ends there if it fails
#   ns_owner_config DIR MIB  the owner's ~/.config/banger/config.toml in tree DIR:
#                            the test image, QEMU under TCG, 1 vCPU, MIB of RAM
#   ns_artifacts_ready KNAME the owner's image list has test ready and its
#                            kernel list KNAME ready (the output on failure)
#   ns_stop_step [CHECK]     ns_stop as a test: powered off cleanly, nothing
#                            left behind, and CHECK (shell, optional) holds
#   ns_copy DIR              a private copy of NS_TREE to boot (the cache stays pristine)
#   ns_boot DIR              boot DIR; sets NS_PID (nspawn), NS_LEADER (container
#                            pid 1, for nsenter -t), NS_STATE (running|degraded)
#   ns_run CMD...            CMD in the container, as root, clean environment
#   ns_as USER CMD...        CMD in the container as USER (its groups, HOME)
#   ns_stop                  power off, kill strays, remove the cgroups; idempotent;
#                            sets NS_EXIT (nspawn's exit status)
#   ns_leftovers             prints what ns_stop left behind (nothing: clean)
#   ns_rmtree DIR            unmount anything below DIR, then rm -rf it
#   ns_put_client DIR        install NS_CLIENT, a raw protocol client, into tree DIR
#   ns_libexec               the helpers' directory (ExecStart= of build/units)
#   ns_install_banger DIR    a copy of NS_TREE at DIR with banger installed as
#                            `banger system install` would (below)
#   ns_until SECS CMD...     retry CMD every 0.1 s until it succeeds (SECS at most)
#
# NS_INCLUDE is the include list for a tree that can run every helper a
# VM start drives (root-net-setup links libnftables; iproute2 to look at
# links).  A test passes it, or its own list, to ns_tree.
#
# The cache: $B/cache/nspawn-<suite>-<key>, key = hash of NS_RECIPE, the
# suite and the include list.  It is built in a temporary directory and
# renamed into place only when debootstrap succeeded, under a flock, so a
# crash never leaves a half tree that a later run would use.  Tests boot
# a copy of it (cp -a, ~1 s), never the cache itself.
#
# The cgroup: systemd is not PID 1 here, so nobody hands nspawn a cgroup
# of its own; started from the host's root cgroup it would litter it.
# ns_boot makes banger-nspawn-<pid> in the name=systemd and the cgroup2
# hierarchies, moves the nspawn process into it, and ns_stop removes it.
# A test killed with SIGKILL leaves its container running: the next
# ns_boot reaps it (ns_reap_stale).
# --register=no --keep-unit: there is no machined and no systemd to ask
# for a scope.  Drive the guest with nsenter; machinectl and
# systemd-run -M do not work without machined.

NS_RECIPE=1
NS_INCLUDE=systemd,dbus,systemd-sysv,libcjson1,libnftables1,iproute2
NS_CLIENT=/usr/local/lib/banger-t/client
NS_PID=
NS_LEADER=
NS_MACHINE=banger-nspawn-$$
NS_CGS=
NS_BUILD_TMP=
NS_LOG=$TRASH/nspawn.log
NS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
NS_UNITS="banger.socket banger.service banger-root.socket banger-root@.service
banger-dns.socket banger-dns.service banger.slice"
NS_SOCKETS="banger.socket banger-root.socket banger-dns.socket"

ns_missing() {
	if [ "$(id -u)" != 0 ]; then
		echo "needs root (systemd-nspawn, debootstrap)"
		return
	fi
	for _c in systemd-nspawn:systemd-container debootstrap:debootstrap \
	    nsenter:util-linux flock:util-linux systemctl:systemd \
	    chroot:coreutils sha256sum:coreutils; do
		command -v "${_c%%:*}" >/dev/null 2>&1 && continue
		echo "${_c%%:*} is not installed (package ${_c#*:})"
		return
	done
	if [ -z "$(ns_cg_roots)" ]; then
		echo "no writable cgroup hierarchy (name=systemd or cgroup2) is mounted"
		return
	fi
}

# The hierarchies nspawn's systemd uses: cgroup2, and the v1 name=systemd
# hierarchy of a hybrid host.
ns_cg_roots() {
	awk '$3 == "cgroup2" || ($3 == "cgroup" && $4 ~ /(^|,)name=systemd(,|$)/) {
	    print $2 }' /proc/self/mounts
}

# The Debian suite of this host: the helpers are linked against its libc.
ns_suite() {
	_s=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
	echo "${_s:-bookworm}"
}

# ns_mirror SUITE: BANGER_DEBIAN_MIRROR, else the first apt source that
# carries SUITE (one-line or deb822 format), else deb.debian.org.
ns_mirror() {
	if [ -n "${BANGER_DEBIAN_MIRROR:-}" ]; then
		echo "$BANGER_DEBIAN_MIRROR"
		return
	fi
	_m=$( {
		for _f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -f "$_f" ] || continue
			awk -v s="$1" '$1 == "deb" {
			    i = 2
			    if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
			    if ($(i + 1) == s) print $i }' "$_f"
		done
		for _f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$_f" ] || continue
			awk -v s="$1" 'BEGIN { RS = "" }
			{
			    types = ""; uris = ""; suites = ""; enabled = "yes"
			    n = split($0, l, "\n")
			    for (j = 1; j <= n; j++) {
				if (l[j] ~ /^#/) continue
				k = l[j]; sub(/:.*/, "", k)
				v = l[j]; sub(/^[^:]*:[ \t]*/, "", v)
				if (k == "Types") types = v
				else if (k == "URIs") uris = v
				else if (k == "Suites") suites = v
				else if (k == "Enabled") enabled = v
			    }
			    if (enabled == "no" || (" " types " ") !~ / deb /) next
			    if ((" " suites " ") !~ (" " s " ")) next
			    split(uris, u, " "); print u[1]
			}' "$_f"
		done
	} | head -n 1)
	echo "${_m:-http://deb.debian.org/debian}"
}

# ns_rmtree DIR: lazily unmount every mount at or below DIR (a killed
# debootstrap leaves proc, sys and dev/pts mounted in its target), then
# remove DIR without crossing into another file system.  Refuses while
# anything is still mounted there.
ns_rmtree() {
	[ -e "$1" ] || return 0
	_d=$(cd "$1" && pwd -P) || return 1
	awk -v d="$_d" '$2 == d || index($2, d "/") == 1 { print $2 }' \
	    /proc/self/mounts | sort -r | while read -r _mp; do
		umount -l "$_mp"
	done
	if awk -v d="$_d" '$2 == d || index($2, d "/") == 1 { f = 1 }
	    END { exit !f }' /proc/self/mounts; then
		echo "ns_rmtree: $_d still has mounts; not removing it" >&2
		return 1
	fi
	rm -rf --one-file-system "$_d"
}

# ns_tree INCLUDES: set NS_TREE to the cached tree for INCLUDES (a
# debootstrap --include list), building it first if needed.
ns_tree() {
	_suite=$(ns_suite)
	_key=$(printf '%s %s %s\n' "$NS_RECIPE" "$_suite" "$1" |
	    sha256sum | cut -c1-12)
	_cache=$B/cache
	NS_TREE=$_cache/nspawn-$_suite-$_key
	[ -d "$NS_TREE" ] && return 0
	mkdir -p "$_cache" || return 1
	exec 9>"$_cache/.nspawn.lock"
	if ! flock -w 900 9; then
		exec 9>&-
		echo "ns_tree: timed out waiting for $_cache/.nspawn.lock" >&2
		return 1
	fi
	if [ ! -d "$NS_TREE" ]; then
		# Under the lock, a temporary tree is what a killed build left.
		for _t in "$_cache"/.nspawn-tmp.*; do
			[ -d "$_t" ] && ns_rmtree "$_t"
		done
		_mirror=$(ns_mirror "$_suite")
		NS_BUILD_TMP=$(mktemp -d "$_cache/.nspawn-tmp.XXXXXX") || {
			exec 9>&-
			return 1
		}
		echo "# debootstrap $_suite ($1) from $_mirror into the cache"
		if debootstrap --variant=minbase --include="$1" "$_suite" \
		    "$NS_BUILD_TMP/root" "$_mirror" >"$NS_BUILD_TMP/log" 2>&1; then
			rm -f "$NS_BUILD_TMP"/root/var/cache/apt/archives/*.deb
			mv "$NS_BUILD_TMP/root" "$NS_TREE"
		else
			tail -n 20 "$NS_BUILD_TMP/log" >&2
		fi
		ns_rmtree "$NS_BUILD_TMP"
		NS_BUILD_TMP=
	fi
	exec 9>&-
	[ -d "$NS_TREE" ]
}

# The container's pid 1 (in the host's pid namespace): the child of
# nspawn whose pid in its own namespace is 1.
ns_find_leader() {
	for _p in $(ps -o pid= --ppid "$NS_PID" 2>/dev/null); do
		if awk '/^NSpid:/ { exit !($NF == 1 && NF > 2) }' \
		    "/proc/$_p/status" 2>/dev/null; then
			echo "$_p"
			return 0
		fi
	done
	return 1
}

# alive PID: a process that has not exited (a zombie counts as gone).
ns_alive() {
	[ -r "/proc/$1/status" ] &&
	    ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# ns_boot DIR: boot DIR with systemd as its PID 1 and wait (30 s at most)
# until the system is running or degraded.
ns_boot() {
	ns_reap_stale
	NS_CGS=
	for _r in $(ns_cg_roots); do
		mkdir "$_r/$NS_MACHINE" || return 1
		NS_CGS="$NS_CGS $_r/$NS_MACHINE"
	done
	# The shell moves itself into the new cgroups and becomes nspawn.
	NS_CGS=$NS_CGS sh -c 'for c in $NS_CGS; do
		echo $$ > "$c/cgroup.procs" || exit 125
	    done
	    exec "$@"' ns-boot systemd-nspawn --register=no --keep-unit \
	    --machine="$NS_MACHINE" --private-network -b -D "$1" \
	    </dev/null >"$NS_LOG" 2>&1 &
	NS_PID=$!
	_i=0
	while :; do
		if ! ns_alive "$NS_PID"; then
			echo "ns_boot: systemd-nspawn exited; its output:" >&2
			tail -n 30 "$NS_LOG" >&2
			return 1
		fi
		[ -n "$NS_LEADER" ] || NS_LEADER=$(ns_find_leader)
		if [ -n "$NS_LEADER" ]; then
			_st=$(ns_run systemctl is-system-running 2>/dev/null)
			case $_st in
			running|degraded)
				NS_STATE=$_st
				return 0
				;;
			esac
		fi
		_i=$((_i + 1))
		if [ $_i -ge 300 ]; then
			echo "ns_boot: not up after 30 s (state '${_st:-}')" >&2
			tail -n 30 "$NS_LOG" >&2
			return 1
		fi
		sleep 0.1
	done
}

ns_run() {
	nsenter -t "$NS_LEADER" -a /usr/bin/env -i PATH="$NS_PATH" \
	    LANG=C.UTF-8 "$@"
}

ns_as() {
	ns_run /bin/sh -c 'u=$1; shift
	    g=$(id -g "$u") && h=$(getent passwd "$u" | cut -d: -f6) || exit 125
	    exec setpriv --reuid="$u" --regid="$g" --init-groups \
	        env HOME="$h" USER="$u" LOGNAME="$u" "$@"' ns-as "$@"
}

# ns_cg_pids CGROUP...: every process in those cgroups (host pids).
ns_cg_pids() {
	for _c; do
		[ -d "$_c" ] && find "$_c" -name cgroup.procs -exec cat {} + 2>/dev/null
	done | sort -u
}

# ns_cg_remove CGROUP...: kill every process in them, remove them
# (depth first), print the ones that would not go.
ns_cg_remove() {
	_i=0
	while [ -n "$(ns_cg_pids "$@")" ] && [ $_i -lt 50 ]; do
		for _c; do
			[ -w "$_c/cgroup.kill" ] && echo 1 > "$_c/cgroup.kill"
		done
		for _p in $(ns_cg_pids "$@"); do
			kill -KILL "$_p" 2>/dev/null
		done
		sleep 0.1
		_i=$((_i + 1))
	done
	for _c; do
		_i=0
		while [ -d "$_c" ] && [ $_i -lt 50 ]; do
			find "$_c" -depth -type d -exec rmdir {} + 2>/dev/null
			[ -d "$_c" ] && sleep 0.1
			_i=$((_i + 1))
		done
		[ -d "$_c" ] && echo "$_c"
	done
	return 0
}

# ns_copy DIR: a private copy of NS_TREE at DIR, marked with this
# test's pid so that ns_reap_stale can remove it if the test is killed.
ns_copy() {
	cp -a "$NS_TREE" "$1" && echo $$ > "$1/.banger-nspawn-owner"
}

# A test killed with SIGKILL cannot stop its container or remove its
# trash directory.  ns_boot ends the containers whose test (the pid in
# the cgroup's name) is gone, and removes their copies of the tree.
ns_reap_stale() {
	for _r in $(ns_cg_roots); do
		for _c in "$_r"/banger-nspawn-*; do
			[ -d "$_c" ] || continue
			[ -d "/proc/${_c##*-}" ] && continue
			echo "# ns_boot: removing $_c, left by a killed test"
			ns_cg_remove "$_c" >/dev/null
		done
	done
	for _c in /run/systemd/nspawn/propagate/banger-nspawn-*; do
		[ -d "$_c" ] && [ ! -d "/proc/${_c##*-}" ] && rmdir "$_c"
	done
	for _m in "${TRASH%/*}"/banger-t.*/*/.banger-nspawn-owner; do
		[ -f "$_m" ] || continue
		_o=$(cat "$_m")
		case $_o in ''|*[!0-9]*) continue ;; esac
		[ -d "/proc/$_o" ] && continue
		echo "# ns_boot: removing ${_m%/*}, left by a killed test"
		ns_rmtree "${_m%/*}"
	done
}

# ns_stop: power the container off (10 s), else kill it; then kill any
# process left in its cgroups and remove them.  Sets NS_EXIT to nspawn's
# exit status.  Safe to call twice, and when nothing was booted.
ns_stop() {
	if [ -n "$NS_PID" ]; then
		if ns_alive "$NS_PID" && [ -n "$NS_LEADER" ]; then
			timeout 10 nsenter -t "$NS_LEADER" -a \
			    systemctl poweroff --no-block >/dev/null 2>&1
		fi
		_i=0
		while ns_alive "$NS_PID" && [ $_i -lt 100 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		if ns_alive "$NS_PID"; then
			echo "ns_stop: container did not power off; killing it" >&2
			kill -KILL "$NS_PID" 2>/dev/null
		fi
		wait "$NS_PID" 2>/dev/null
		NS_EXIT=$?
		NS_PID=
		NS_LEADER=
	fi
	# shellcheck disable=SC2086  # paths without blanks
	NS_CGS=$(ns_cg_remove $NS_CGS)
	rmdir "/run/systemd/nspawn/propagate/$NS_MACHINE" 2>/dev/null
	if [ -n "$NS_BUILD_TMP" ]; then
		ns_rmtree "$NS_BUILD_TMP"
		NS_BUILD_TMP=
	fi
	[ -z "$NS_CGS" ]
}

# What a booted-and-stopped container may have left on the host.
ns_leftovers() {
	for _r in $(ns_cg_roots); do
		[ -d "$_r/$NS_MACHINE" ] && echo "cgroup $_r/$NS_MACHINE"
	done
	ps -eo pid=,args= | awk -v m="$NS_MACHINE" -v t="$TRASH" \
	    'index($0, m) || index($0, t "/") { print "process " $0 }' |
	    grep -v -e ' awk ' -e ' ps -eo '
	awk -v t="$TRASH" 'index($2, t) == 1 { print "mount " $2 }' /proc/self/mounts
	[ -e "/run/systemd/nspawn/propagate/$NS_MACHINE" ] &&
	    echo "/run/systemd/nspawn/propagate/$NS_MACHINE"
	return 0
}

# ns_put_client DIR: NS_CLIENT in tree DIR, a raw client for banger's
# sockets (perl-base, in minbase, has IO::Socket::UNIX).
#   client SOCKET VERB JSON [COUNT]: COUNT connections in a row, each
#   must end with a final line; prints the last answer.  111: connect
#   failed.
ns_put_client() {
	mkdir -p "$1${NS_CLIENT%/*}" && cat > "$1$NS_CLIENT" <<'EOF' &&
#!/usr/bin/perl
use strict;
use warnings;
use IO::Socket::UNIX;
my ($path, $verb, $req, $count) = @ARGV;
$count ||= 1;
my $answer = '';
for my $i (1 .. $count) {
	my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $path);
	if (!$s) {
		print STDERR "client: connect $path: $! (after ", $i - 1, " connections)\n";
		exit 111;
	}
	$s->autoflush(1);
	print $s "$verb\n$req\n";
	local $/;
	$answer = <$s> // '';
	close $s;
	if ($answer !~ /^\{"ok":(true|false),/m) {
		print STDERR "client: connection $i: no final line: '$answer'\n";
		exit 1;
	}
}
print $answer;
EOF
	chmod 0755 "$1$NS_CLIENT"
}

# ns_libexec: the helpers' directory, as make filled it into
# banger.service (ExecStart=DIR/serve DIR/dispatch).
ns_libexec() {
	sed -n 's|^ExecStart=\(/.*\)/serve \1/dispatch$|\1|p' "$B/units/banger.service" 2>/dev/null
}

# ns_install_banger DIR: a copy of NS_TREE at DIR (ns_copy), with what
# `banger system install --owner $OWNER` installs, for the test's
# OWNER, OWNER_UID and OWNER_GROUP (a group of that same number, the
# owner's primary group):
#   - users $OWNER, other (1501) and member (1502, in $OWNER_GROUP);
#   - every helper in ns_libexec's directory, the CLI in /usr/local/bin;
#   - NS_UNITS with @OWNER@/@OWNER_GROUP@ filled in, NS_SOCKETS enabled;
#     banger.slice with /etc/banger/slice.conf (conf/slice.conf) linked
#     in as its drop-in;
#   - /etc/banger/install.toml (owner_uid, and owner_gid: the passwd
#     group) and the owner's access rules (conf/access/owner.allow);
#   - NS_CLIENT (ns_put_client).
# What a test adds (a fake VMM, a kernel, its own slice.conf) it adds
# after.  Says what is missing if make has not run.
ns_install_banger() {
	_ct=$1
	_lx=$(ns_libexec)
	for _f in $NS_UNITS; do
		[ -f "$B/units/$_f" ] || { echo "missing $B/units/$_f (run make)" >&2; return 1; }
	done
	for _f in bin/banger libexec/banger/serve libexec/banger/dispatch libexec/banger/root-dispatch \
	    libexec/banger/vm-start libexec/banger/vm-stop libexec/banger/vm-list \
	    libexec/banger/vm-create libexec/banger/vm-delete \
	    libexec/banger/root-net-setup libexec/banger/root-tap-add \
	    libexec/banger/root-vmm-launch libexec/banger/vmm-exec; do
		[ -x "$B/$_f" ] || { echo "missing $B/$_f (run make)" >&2; return 1; }
	done
	[ -n "$_lx" ] || { echo "no ExecStart=DIR/serve DIR/dispatch in banger.service" >&2; return 1; }
	ns_copy "$_ct" &&
	chroot "$_ct" groupadd -g "$OWNER_UID" "$OWNER_GROUP" &&
	chroot "$_ct" useradd -m -u "$OWNER_UID" -g "$OWNER_GROUP" "$OWNER" &&
	chroot "$_ct" useradd -m -u 1501 -U other &&
	chroot "$_ct" useradd -m -u 1502 -U -G "$OWNER_GROUP" member &&
	_g=$(chroot "$_ct" getent passwd "$OWNER" | cut -d: -f4) &&
	[ "$_g" = "$OWNER_UID" ] &&
	install -d -m 0755 "$_ct$_lx" "$_ct/usr/local/bin" \
	    "$_ct/etc/banger/access/uid/$OWNER_UID" &&
	install -m 0755 "$B"/libexec/banger/* "$_ct$_lx/" &&
	install -m 0755 "$B/bin/banger" "$_ct/usr/local/bin/banger" &&
	printf 'owner_uid = %s\nowner_gid = %s\n' "$OWNER_UID" "$_g" \
	    > "$_ct/etc/banger/install.toml" &&
	install -m 0644 "$TOP/conf/access/owner.allow" \
	    "$_ct/etc/banger/access/uid/$OWNER_UID/allow" || return 1
	for _f in $NS_UNITS; do
		sed -e "s/@OWNER@/$OWNER/g" -e "s/@OWNER_GROUP@/$OWNER_GROUP/g" \
		    "$B/units/$_f" > "$_ct/etc/systemd/system/$_f" || return 1
	done
	install -m 0644 "$TOP/conf/slice.conf" "$_ct/etc/banger/slice.conf" &&
	mkdir -p "$_ct/etc/systemd/system/banger.slice.d" &&
	ln -s /etc/banger/slice.conf \
	    "$_ct/etc/systemd/system/banger.slice.d/50-banger.conf" || return 1
	# shellcheck disable=SC2086  # $NS_UNITS: a list of unit names
	if (cd "$_ct/etc/systemd/system" && grep -n '@[A-Z_]*@' $NS_UNITS); then
		echo "placeholders left in the installed units" >&2
		return 1
	fi
	# shellcheck disable=SC2086  # $NS_SOCKETS: a list of unit names
	systemctl --root="$_ct" enable $NS_SOCKETS &&
	ns_put_client "$_ct"
}

# ns_until SECS CMD...: run CMD every 0.1 s until it succeeds; fails
# (with CMD's last status) after SECS seconds.
ns_until() {
	_n=$(($1 * 10))
	shift
	while :; do
		"$@" && return 0
		_st=$?
		_n=$((_n - 1))
		[ $_n -gt 0 ] || return $_st
		sleep 0.1
	done
}

ns_tree_step() {
	_t0=$(date +%s)
	ns_tree "$1" >"$TRASH/tree.log" 2>&1
	tree_st=$?
	grep '^# ' "$TRASH/tree.log"
	test_expect_success "a $(ns_suite) minbase tree with $2" '
		[ $tree_st = 0 ] || { cat tree.log; false; }
	'
	[ $tree_st = 0 ] || test_done
	echo "# tree ready in $(($(date +%s) - _t0)) s: $NS_TREE"
}

ns_boot_step() {
	_t0=$(date +%s%N)
	ns_boot "$1" 2>"$TRASH/boot.err"
	boot_st=$?
	test_expect_success 'systemd boots as PID 1 of the container' '
		[ $boot_st = 0 ] || { cat boot.err; false; }
	'
	if [ $boot_st != 0 ]; then
		ns_stop
		test_done
	fi
	echo "# booted to '$NS_STATE' in $((($(date +%s%N) - _t0) / 1000000)) ms (container pid 1 is host pid $NS_LEADER)"
}

ns_stop_step() {
	_t0=$(date +%s%N)
	ns_stop 2>"$TRASH/stop.err"
	stop_st=$?
	echo "# power off: $((($(date +%s%N) - _t0) / 1000000)) ms"
	test_expect_success 'the container powers off cleanly and leaves nothing behind' '
		[ $stop_st = 0 ] || { cat stop.err; false; } &&
		[ "$NS_EXIT" = 0 ] || { echo "systemd-nspawn exited $NS_EXIT"; tail -n 20 nspawn.log; false; } &&
		ns_leftovers > left.out &&
		! grep . left.out &&
		'"${1:-:}"'
	'
}

ns_owner_config() {
	_h=$1/home/$OWNER
	mkdir -p "$_h/.config/banger" &&
	cat > "$_h/.config/banger/config.toml" <<TOML &&
default_image_name = "test"
vmm = "qemu"
qemu_accel = "tcg"

[vm_defaults]
vcpu = 1
memory_mib = $2
disk_size = "1G"
TOML
	chown -R "$OWNER_UID" "$_h/.config"
}

ns_artifacts_ready() {
	ns_as "$OWNER" banger image list > "$TRASH/images.out" 2>&1 &&
	grep -Eq "^test[[:space:]]+ready" "$TRASH/images.out" &&
	ns_as "$OWNER" banger kernel list > "$TRASH/kernels.out" 2>&1 &&
	grep -Eq "^$1[[:space:]]+ready" "$TRASH/kernels.out" ||
	    { cat "$TRASH/images.out" "$TRASH/kernels.out"; false; }
}
