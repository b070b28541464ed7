#!/bin/sh
# t/0200-doctor.t — the doctor helper: every check present, exit 1 when
# one fails, tool lookups in the standard directories (never $PATH, the
# lookup vm start uses), Firecracker/QEMU version probes, config errors
# and provenance.  Hosts with and without a tool are made for real: a
# private mount namespace with the standard tool directories replaced
# by the test's own (needs root).  JSON is read with perl's core JSON::PP.

. "${0%/*}/lib.sh"

D=$B/libexec/banger/doctor
PERL=$(command -v perl)
REAL_PATH=$PATH

# checks FILE: validate the answer, print "name<TAB>status<TAB>detail<TAB>fix"
# per check and "failed<TAB>N" last.  Dies on anything malformed.
cat > "$TRASH/checks.pl" <<'EOF'
use strict;
use warnings;
use JSON::PP;
my @lines = <STDIN>;
die "no answer\n" unless @lines;
my $last = decode_json(pop @lines);
for (@lines) {
	my $e = decode_json($_);
	die "not an event line: $_" unless exists $e->{event};
}
die "not ok: $lines[-1]\n" unless $last->{ok};
my $r = $last->{result};
die "checks is not an array\n" unless ref $r->{checks} eq 'ARRAY';
my $nfail = 0;
for my $c (@{$r->{checks}}) {
	die "bad status '$c->{status}'\n" unless $c->{status} =~ /^(pass|warn|fail)$/;
	die "$c->{name}: no detail\n" unless length($c->{detail} // '');
	die "$c->{name}: $c->{status} without a fix\n"
	    if $c->{status} ne 'pass' && !length($c->{fix} // '');
	die "$c->{name}: fix on a pass line\n"
	    if $c->{status} eq 'pass' && exists $c->{fix};
	$nfail++ if $c->{status} eq 'fail';
	print join("\t", $c->{name}, $c->{status}, $c->{detail}, $c->{fix} // ''), "\n";
}
die "failed is $r->{failed}, $nfail checks failed\n" unless $r->{failed} == $nfail;
print "failed\t$r->{failed}\n";
EOF

# doctor [ENV=VALUE...]: run it on {} into out/rc, parse into checks.
doctor() {
	printf '{}\n' | env "$@" "$D" > out
	echo $? > rc
	"$PERL" "$TRASH/checks.pl" < out > checks
}

# onhost [/usr/local/bin=DIR ...] -- CMD...: run CMD (stdin ours) in a
# private mount namespace where each standard tool directory
# (/usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin) is
# empty, or the DIR given for it.  A host with exactly those tools.
mkdir -p "$TRASH/none" && cp "$(command -v mount)" "$TRASH/mount.bin"
cat > "$TRASH/onhost.sh" <<ONHOST
#!/bin/sh
set -e
for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
	[ -d "\$d" ] && [ ! -L "\$d" ] || continue
	src=$TRASH/none
	for m in "\$@"; do
		[ "\$m" = -- ] && break
		case \$m in "\$d="*) src=\${m#*=} ;; esac
	done
	$TRASH/mount.bin --bind "\$src" "\$d"
done
while [ "\$1" != -- ]; do shift; done
shift
exec "\$@"
ONHOST
chmod 0755 "$TRASH/onhost.sh"
onhost() { unshare -m --propagation private "$TRASH/onhost.sh" "$@"; }
# hdoctor MAPS... [-- ENV=VALUE...]: doctor on such a host.
hdoctor() {
	_m=""
	while [ $# -gt 0 ] && [ "$1" != -- ]; do _m="$_m $1"; shift; done
	[ $# -gt 0 ] && shift
	# shellcheck disable=SC2086
	printf '{}\n' | env "$@" unshare -m --propagation private \
	    "$TRASH/onhost.sh" $_m -- "$D" > out
	echo $? > rc
	"$PERL" "$TRASH/checks.pl" < out > checks
}
# status NAME: the status of the (first) check NAME.
status() { awk -F '\t' -v n="$1" '$1 == n { print $2; exit }' checks; }
detail() { awk -F '\t' -v n="$1" '$1 == n { print $3; exit }' checks; }
fix() { awk -F '\t' -v n="$1" '$1 == n { print $4; exit }' checks; }
want() {
	_s=$(status "$1")
	[ "$_s" = "$2" ] && return 0
	echo "$1: status '$_s', want '$2' ($(detail "$1"))" >&2
	return 1
}

# Config files: one HOME each.
cfg() {
	mkdir -p "$TRASH/$1/.config/banger" &&
	cat > "$TRASH/$1/.config/banger/config.toml"
}

# A bin dir with copies of only some tools (links would point into the
# directories onhost hides).
mkbin() {
	_dir=$1
	shift
	mkdir -p "$_dir" && for t in "$@"; do
		p=$(PATH=$REAL_PATH:/usr/sbin:/sbin command -v "$t") &&
		    cp "$p" "$_dir/$t" || return 1
	done
}

# A fake firecracker that prints its version the way the real one does.
mkdir -p "$TRASH/fc" && printf '#!/bin/sh\necho "Firecracker v1.7.0"\necho "extra line"\n' \
    > "$TRASH/fc/firecracker" && chmod 0755 "$TRASH/fc/firecracker"

if [ ! -x "$D" ]; then
	test_expect_success 'doctor is built' "test -x '$D'"
	# The CLI runs the helper locally and prints one line per check.
if [ -x "$B/bin/banger" ]; then
	test_expect_success 'banger doctor: one PASS/WARN/FAIL line per check' '
		doctor && cut -f 1 checks | grep -v "^failed$" > names &&
		{ "$B/bin/banger" doctor > human; st=$?; } &&
		test $st = $(cat rc) &&
		grep -v "^      fix: " human |
		    sed -n "s/^\(PASS\|WARN\|FAIL\)  \([^ ]*\) .*/\2/p" > human.names &&
		test_cmp names human.names &&
		test $(grep -vc "^      fix: " human) = $(wc -l < names)
	'

	if [ "$(id -u)" = 0 ]; then
	test_expect_success 'banger doctor: a missing tool is a FAIL line, exit 1' '
		must_fail 1 onhost /usr/bin="$TRASH/bin1" -- "$B/bin/banger" doctor > human &&
		grep -q "^FAIL  git " human &&
		grep -q "^      fix: sudo apt-get install git$" human
	'
	else
		test_skip 'banger doctor: a missing tool is a FAIL line' 'needs root'
	fi
else
	test_skip 'banger doctor prints PASS/WARN/FAIL lines' 'build/bin/banger not built'
fi

test_done
fi

test_expect_success 'answers one ok line; exit 1 exactly when a check failed' '
	doctor && test $(wc -l < out) = 1 &&
	n=$(awk -F "\t" "\$1 == \"failed\" { print \$2 }" checks) &&
	if [ "$n" = 0 ]; then test $(cat rc) = 0; else test $(cat rc) = 1; fi
'

test_expect_success 'every check is present, in order' '
	doctor &&
	cut -f 1 checks | grep -v "^failed$" | uniq > names &&
	printf "%s\n" arch kvm qemu firecracker ssh ssh-keygen mkfs.ext4 \
	    git tun config vm_defaults dns > names.want &&
	test_cmp names.want names
'

# No systemd-resolved on this test host's bus (or no bus): .vm does not
# resolve here, a warning (never a failure) naming the manual recipe.
test_expect_success 'dns: never a failure; without resolved a warning that names the manual recipe' '
	doctor &&
	case $(status dns) in pass|warn) ;; *) exit 1 ;; esac &&
	if [ "$(status dns)" = warn ] && detail dns | grep -q "not running\|no system bus"; then
		detail dns | grep -q "NAME.vm does not resolve on this host" &&
		fix dns | grep -q "docs/dns-routing.md" &&
		fix dns | grep -q "server=/vm/172.16.0.1"
	fi
'

test_expect_success 'arch' '
	doctor &&
	if [ "$(uname -m)" = x86_64 ]; then
		want arch pass && test "$(detail arch)" = x86_64
	else
		want arch fail
	fi
'

test_expect_success 'kvm: a result with the device named' '
	doctor &&
	case $(status kvm) in pass|warn|fail) ;; *) exit 1 ;; esac &&
	detail kvm | grep -q "/dev/kvm"
'

test_expect_success 'kvm not required (qemu_accel = "tcg"): never fails' '
	printf "qemu_accel = \"tcg\"\n" | cfg hk1 &&
	doctor HOME="$TRASH/hk1" && test "$(status kvm)" != fail
'

test_expect_success 'kvm required (qemu_accel = "kvm"): pass or fail, no warn' '
	printf "qemu_accel = \"kvm\"\n" | cfg hk2 &&
	doctor HOME="$TRASH/hk2" &&
	case $(status kvm) in pass) ;; fail) test $(cat rc) = 1 ;; *) exit 1 ;; esac
'

if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
test_expect_success 'a missing tool fails with its package, exit 1' '
	mkbin bin1 ssh ssh-keygen qemu-system-x86_64 &&
	hdoctor /usr/bin="$TRASH/bin1" &&
	want git fail && fix git | grep -q "apt-get install git" &&
	want ssh pass && test "$(detail ssh)" = /usr/bin/ssh &&
	test $(cat rc) = 1
'
test_expect_success 'ssh-keygen and mkfs.ext4 missing name their packages' '
	hdoctor &&
	want ssh-keygen fail && fix ssh-keygen | grep -q openssh-client &&
	want ssh fail && fix ssh | grep -q openssh-client &&
	want mkfs.ext4 fail && fix mkfs.ext4 | grep -q e2fsprogs
'
test_expect_success 'firecracker in /usr/local/bin: pass with its version line' '
	hdoctor /usr/local/bin="$TRASH/fc" /usr/bin=/usr/bin &&
	want firecracker pass &&
	test "$(detail firecracker)" = "Firecracker v1.7.0 (/usr/local/bin/firecracker), not used with this config"
'
test_expect_success 'no firecracker, vmm auto: qemu is the one needed' '
	mkbin bin3 qemu-system-x86_64 ssh ssh-keygen git &&
	hdoctor /usr/bin="$TRASH/bin3" &&
	want firecracker warn && detail firecracker | grep -q "not needed" &&
	want qemu pass
'
test_expect_success 'no firecracker and no qemu, vmm auto: qemu fails' '
	mkbin bin4 ssh ssh-keygen git sh &&
	hdoctor /usr/bin="$TRASH/bin4" &&
	want firecracker warn && want qemu fail &&
	fix qemu | grep -q qemu-system-x86 && test $(cat rc) = 1
'
test_expect_success 'firecracker found but no KVM, vmm auto: QEMU it is' '
	hdoctor /usr/bin="$TRASH/bin4" /usr/local/bin="$TRASH/fc" &&
	want firecracker pass &&
	if [ "$(status kvm)" = pass ]; then
		want qemu warn
	else
		want qemu fail && detail firecracker | grep -q "not used with this config"
	fi
'
test_expect_success 'a firecracker that hangs is killed, not waited for' '
	mkdir -p hang && printf "#!/bin/sh\nsleep 30\n" > hang/firecracker &&
	chmod 0755 hang/firecracker &&
	t0=$(date +%s) && hdoctor /usr/local/bin="$TRASH/hang" /usr/bin=/usr/bin &&
	t1=$(date +%s) && test $((t1 - t0)) -lt 10 &&
	want firecracker warn && detail firecracker | grep -q "did not finish" &&
	! pgrep -f "$TRASH/hang/firecracker"
'
test_expect_success 'a firecracker that fails is reported with its exit code' '
	mkdir -p bad && printf "#!/bin/sh\nexit 3\n" > bad/firecracker &&
	chmod 0755 bad/firecracker &&
	hdoctor /usr/local/bin="$TRASH/bad" /usr/bin=/usr/bin &&
	want firecracker warn && detail firecracker | grep -q "exited 3"
'
test_expect_success 'a non-executable firecracker is not found' '
	mkdir -p noexec && cp "$TRASH/fc/firecracker" noexec/ &&
	chmod 0644 noexec/firecracker &&
	hdoctor /usr/local/bin="$TRASH/noexec" /usr/bin=/usr/bin && want firecracker warn
'
test_expect_success 'vmm = "firecracker" without firecracker: fail, exit 1' '
	printf "vmm = \"firecracker\"\n" | cfg h2 &&
	mkbin bin6 qemu-system-x86_64 ssh ssh-keygen git &&
	hdoctor /usr/bin="$TRASH/bin6" -- HOME="$TRASH/h2" &&
	want firecracker fail && test $(cat rc) = 1
'
test_expect_success 'vmm = "qemu" without qemu: fail' '
	printf "vmm = \"qemu\"\n" | cfg h3 &&
	hdoctor /usr/bin="$TRASH/bin4" -- HOME="$TRASH/h3" &&
	want firecracker warn && detail firecracker | grep -q "not needed" &&
	want qemu fail && test $(cat rc) = 1
'
else
	for t in 'missing tool' 'missing ssh-keygen' 'firecracker in /usr/local/bin' \
	    'no firecracker' 'no qemu' 'no KVM' 'hang' 'fails' 'non-executable' \
	    'vmm firecracker' 'vmm qemu'; do
		test_skip "doctor on a made host: $t" 'needs root (a mount namespace)'
	done
fi

test_expect_success 'tools are found in the standard directories, whatever PATH says' '
	mkdir -p empty && doctor PATH="$TRASH/empty" &&
	want mkfs.ext4 pass && want git pass && want ssh pass
'
test_expect_success 'PATH is never used: a firecracker only on PATH is not found' '
	doctor PATH="$TRASH/fc:$REAL_PATH" && test "$(status firecracker)" != pass &&
	mkdir -p rel && ln -sf "$TRASH/fc/firecracker" rel/firecracker &&
	doctor PATH="rel:$REAL_PATH" && test "$(status firecracker)" != pass
'

test_expect_success 'no config file: pass, defaults' '
	doctor HOME="$TRASH/nocfg" && want config pass &&
	detail config | grep -q "no config file" && want vm_defaults pass
'

test_expect_success 'firecracker_bin in config is used' '
	printf "firecracker_bin = \"%s\"\n" "$TRASH/fc/firecracker" | cfg h1 &&
	doctor HOME="$TRASH/h1" &&
	want config pass &&
	test "$(detail config)" = "$TRASH/h1/.config/banger/config.toml" &&
	want firecracker pass
'


test_expect_success 'a broken config fails with FILE:LINE:COL, exit 1' '
	printf "vmm = \"qemu\"\n[vm_defaults\nvcpu = 2\n" | cfg h4 &&
	doctor HOME="$TRASH/h4" &&
	want config fail &&
	detail config | grep -Eq "config\.toml:[0-9]+:[0-9]+:" &&
	want vm_defaults warn && test $(cat rc) = 1
'

test_expect_success 'vm_defaults from config show provenance "config"' '
	printf "[vm_defaults]\nvcpu = 3\nmemory_mib = 1536\ndisk_size = \"16G\"\n" | cfg h5 &&
	doctor HOME="$TRASH/h5" && want vm_defaults pass &&
	test "$(detail vm_defaults)" = \
	    "vcpu 3 (config), memory 1536 MiB (config), disk 16 GiB (config)"
'

test_expect_success 'vm_defaults without config name their sources' '
	doctor HOME="$TRASH/nocfg" &&
	detail vm_defaults |
	    grep -Eq "^vcpu [0-9]+ \((built-in|host)\), memory [0-9]+ MiB \((built-in|host)\), disk [0-9]+ [GM]iB \(built-in\)$"
'

test_expect_success 'an unknown config key is a warn line named config' '
	printf "vmm = \"auto\"\nfrobnicate = 1\n" | cfg h6 &&
	doctor HOME="$TRASH/h6" &&
	grep -q "^config	pass	" checks &&
	grep "^config	warn	" checks | grep -q frobnicate
'

test_expect_success 'a junk request exits 100 with bad_request' '
	printf "junk\n" | must_fail 100 "$D" > out &&
	grep -q "\"ok\":false" out && grep -q bad_request out
'

test_expect_success 'an unknown request key exits 100' '
	printf "{\"v\":1,\"force\":true}\n" | must_fail 100 "$D" > out &&
	grep -q bad_request out
'

test_expect_success 'request {"v":1} is accepted' '
	{ printf "{\"v\":1}\n" | "$D" > out; st=$?; } && test $st -le 1 &&
	"$PERL" "$TRASH/checks.pl" < out > /dev/null
'

# The CLI runs the helper locally and prints one line per check.
if [ -x "$B/bin/banger" ]; then
	test_expect_success 'banger doctor: one PASS/WARN/FAIL line per check' '
		doctor && cut -f 1 checks | grep -v "^failed$" > names &&
		{ "$B/bin/banger" doctor > human; st=$?; } &&
		test $st = $(cat rc) &&
		grep -v "^      fix: " human |
		    sed -n "s/^\(PASS\|WARN\|FAIL\)  \([^ ]*\) .*/\2/p" > human.names &&
		test_cmp names human.names &&
		test $(grep -vc "^      fix: " human) = $(wc -l < names)
	'

	if [ "$(id -u)" = 0 ]; then
	test_expect_success 'banger doctor: a missing tool is a FAIL line, exit 1' '
		must_fail 1 onhost /usr/bin="$TRASH/bin1" -- "$B/bin/banger" doctor > human &&
		grep -q "^FAIL  git " human &&
		grep -q "^      fix: sudo apt-get install git$" human
	'
	else
		test_skip 'banger doctor: a missing tool is a FAIL line' 'needs root'
	fi
else
	test_skip 'banger doctor prints PASS/WARN/FAIL lines' 'build/bin/banger not built'
fi

test_done
