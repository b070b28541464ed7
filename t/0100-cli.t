#!/bin/sh
# t/0100-cli.t — the banger command line: help at every level, usage
# errors and typo suggestions (exit 100), commands not implemented yet
# (exit 1), the owner socket missing (exit 111), rendering of answers,
# events and errors from a fake server, the VM commands against that
# fake server (the spec line and the vm-create request, the ssh key,
# vm ssh/run up to ssh; real boots are tested elsewhere), the real
# dispatcher, and doctor run locally.
. "${0%/*}/lib.sh"

X=$B/libexec/banger
FAKE=$TRASH/fake.sock
A=$TRASH/answers
mkdir -p "$A"

wait_sock() {
	i=0
	while [ ! -S "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	[ -S "$1" ]
}

# ---- the fake server: records the request, answers from a file ------

# A test fixture for the CLI's rendering: it prints canned answer lines.
cat >"$TRASH/fake-server" <<EOF
#!/bin/sh
IFS= read -r verb
IFS= read -r req
printf '%s\n%s\n' "\$verb" "\$req" >"$TRASH/request"
printf '%s %s\n' "\$verb" "\$req" >>"$TRASH/requests"
. "$TRASH/answer.sh"
EOF
chmod +x "$TRASH/fake-server"

# use NAME: the fake server answers with $A/NAME.
use() {
	printf 'cat "%s"\n' "$A/$1" >"$TRASH/answer.sh"
}
# use_sh 'shell': the fake server runs that instead.
use_sh() {
	printf '%s\n' "$1" >"$TRASH/answer.sh"
}
# fake ARGS: banger against the fake server.
fake() {
	BANGER_SOCKET=$FAKE banger "$@"
}
# checks_pass ARGS: the command line passes every check: it is not a
# usage error (not implemented yet: 1; no socket here: 111).
checks_pass() {
	banger "$@" 2>err
	_st=$?
	if [ $_st = 100 ] || [ $_st -gt 128 ]; then
		echo "checks_pass: '$*' exited $_st" >&2
		cat err >&2
		return 1
	fi
}
# no_escapes FILE: no ESC (0x1b), no 8-bit CSI byte (0x9b) and no C1
# control in UTF-8 (C2 80..C2 9F) in FILE.
no_escapes() {
	! LC_ALL=C grep -q "$(printf '\033')" "$1" &&
	! LC_ALL=C grep -q "$(printf '\233')" "$1" &&
	! LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$1"
}

cat >"$A/list2" <<'EOF'
{"ok":true,"result":{"vms":[{"name":"alpha","state":"running","ip":"172.16.0.2","image":"debian-bookworm","vcpu":2},{"name":"b","state":"stopped"}]}}
EOF
cat >"$A/empty" <<'EOF'
{"ok":true,"result":{"vms":[]}}
EOF
cat >"$A/events" <<'EOF'
{"event":"log","message":"spec: 2 vCPU, 2048 MiB, 8 GiB disk"}
{"event":"progress","what":"pulling test","done":0,"total":1048576,"unit":"bytes"}
{"event":"progress","what":"pulling test","done":524288,"total":1048576,"unit":"bytes"}
{"event":"progress","what":"pulling test","done":1048576,"total":1048576,"unit":"bytes"}
{"event":"progress","what":"pulling test","done":1048576,"total":1048576,"unit":"bytes"}
{"event":"from-the-future","x":1}
{"ok":true,"result":{"vms":[]}}
EOF
cat >"$A/show" <<'EOF'
{"ok":true,"result":{"vm":{"name":"alpha","state":"running","ip":"172.16.0.2","vcpu":2,"tags":["a","b"],"net":{"tap":"tap0","mac":"06:00:AC:10:00:02"}}}}
EOF
cat >"$A/notfound" <<'EOF'
{"ok":false,"error":{"code":"not_found","message":"no VM named x: see 'banger vm list'"}}
EOF
cat >"$A/escape" <<'EOF'
{"ok":false,"error":{"code":"internal","message":"bad \u001b[31mred\u0007"}}
EOF
cat >"$A/closed" <<'EOF'
{"event":"log","message":"working"}
EOF
cat >"$A/garbage" <<'EOF'
hello
EOF
cat >"$A/neither" <<'EOF'
{"result":{}}
EOF

s6-ipcserver -a 0600 "$FAKE" "$TRASH/fake-server" >/dev/null 2>&1 &
echo $! >"$TRASH/fake.pid"
at_exit 'kill $(cat "$TRASH/fake.pid")'

# ---- help -----------------------------------------------------------

for args in "--help" "-h" "help" "--json --help" \
    "vm --help" "vm -h" "help vm" "vm help" \
    "vm list --help" "vm list -h" "help vm list" "vm help list" \
    "vm run --help" "vm create --name x --help" "vm show -h" \
    "image --help" "kernel --help" "system --help" "system install --help" \
    "doctor --help" "help doctor" "ssh-config --help" "completion --help"; do
	test_expect_success "help: banger $args prints usage, exit 0" "
		banger $args >out 2>err &&
		test ! -s err &&
		head -n 1 out | grep -q '^usage: banger'
	"
done

for args in "--bogus --help" "--help --bogus" "-x -h" "vm --bogus --help" \
    "vm create --nmae x --help" "vm create --vcpu 99 -h" "vm show --help" \
    "vm show a b c --help" "--help vm list" "vm --help list" \
    "--bogus vm list --help"; do
	test_expect_success "help wins over bad flags: banger $args, exit 0" "
		banger $args >out 2>err &&
		test ! -s err &&
		head -n 1 out | grep -q '^usage: banger'
	"
done

test_expect_success 'help: the help of the command named, wherever --help is' '
	banger --help vm list >out &&
	head -n 1 out | grep -q "^usage: banger vm list " &&
	banger vm --help list >out &&
	head -n 1 out | grep -q "^usage: banger vm list " &&
	banger vm --bogus --help >out &&
	head -n 1 out | grep -q "^usage: banger vm COMMAND" &&
	banger --bogus -h >out &&
	head -n 1 out | grep -q "^usage: banger \[--json\] COMMAND"
'

test_expect_success 'help: an unknown command is an error even with --help' '
	must_fail 100 banger vm lst --help >out 2>err &&
	test ! -s out &&
	grep -q "^banger: unknown command .vm lst.$" err &&
	grep -q "did you mean .list.?" err &&
	must_fail 100 banger --help vm lst >out 2>err &&
	test ! -s out &&
	grep -q "did you mean .list.?" err &&
	must_fail 100 banger --bogus frobnicate --help 2>err &&
	grep -q "unknown command .frobnicate." err
'

test_expect_success 'help: --help after -- is not help' '
	checks_pass vm run -- --help >out &&
	! grep -q "^usage:" out
'

test_expect_success 'an unknown flag before the command, without --help: exit 100' '
	must_fail 100 banger --bogus >out 2>err &&
	grep -q "^banger: unknown flag .--bogus.$" err &&
	must_fail 100 banger --bogus vm list 2>err &&
	grep -q "^banger: unknown flag .--bogus.$" err &&
	must_fail 100 banger vm --jsn list 2>err &&
	grep -q "did you mean .--json.?" err &&
	grep -q "banger vm --help" err
'

test_expect_success 'help: the main usage lists every group and command' '
	banger --help >out &&
	for c in "vm run" "vm create" "vm start" "vm stop" "vm ssh" "vm logs" \
	    "vm list" "vm show" "vm delete" "vm prune" "image pull" \
	    "image list" "image register" "image delete" "image bundle" \
	    "kernel pull" "kernel list" "kernel delete" "kernel bundle" \
	    "system install" "system status" "system restart" \
	    "system uninstall" doctor ssh-config completion; do
		grep -q "^  $c" out || { echo "missing: $c"; exit 1; }
	done
'

test_expect_success 'help: a command shows its usage line and its flags' '
	banger vm list --help >out &&
	head -n 1 out >first &&
	echo "usage: banger vm list [FLAGS]" >want &&
	test_cmp want first &&
	banger vm run --help >out &&
	grep -q "^usage: banger vm run \[FLAGS\] \[PATH\] \[-- COMMAND...\]$" out &&
	for f in name image kernel vcpu memory disk rm branch from \
	    include-untracked dry-run json; do
		grep -q -- "--$f" out || { echo "missing --$f"; exit 1; }
	done &&
	banger vm logs --help | grep -q -- "-f, --follow" &&
	banger system install --help | grep -q -- "--owner USER" &&
	banger system uninstall --help | grep -q -- "--purge" &&
	banger ssh-config --help | grep -q -- "--uninstall"
'

test_expect_success 'help: completion --help shows how to load each shell' '
	banger completion --help >out &&
	grep -q "bash_completion.d" out && grep -q "_banger" out &&
	grep -q "fish/completions" out && grep -q powershell out
'

test_expect_success 'help: number flags show their range from the table' '
	banger vm create --help >out &&
	grep -q -- "--vcpu N .*; 1 to 32$" out &&
	grep -q -- "--memory SIZE .*; 128M to 1T$" out &&
	grep -q -- "--disk SIZE .*; 1G to 16T$" out
'

test_expect_success 'help: no help text line is wider than 79 columns' '
	for args in "" vm image kernel system "vm run" "vm create" "vm logs" \
	    doctor ssh-config completion "system install" "system uninstall" \
	    "image register" "image pull"; do
		banger help $args
	done >out &&
	! grep -q "^.\{80\}" out
'

# ---- usage errors ---------------------------------------------------

test_expect_success 'no arguments: usage on stderr, exit 100' '
	must_fail 100 banger >out 2>err &&
	test ! -s out &&
	head -n 1 err | grep -q "^usage: banger"
'

test_expect_success 'a group without a command: exit 100' '
	must_fail 100 banger vm >out 2>err &&
	test ! -s out &&
	grep -q "^banger: .vm. needs a command" err &&
	grep -q "^usage: banger vm" err
'

test_expect_success 'typo in the group: suggestion, exit 100' '
	must_fail 100 banger vn list 2>err &&
	grep -q "^banger: unknown command .vn.$" err &&
	grep -q "did you mean .vm.?" err
'

test_expect_success 'typo in the verb: suggestion, exit 100' '
	must_fail 100 banger vm lst 2>err &&
	grep -q "^banger: unknown command .vm lst.$" err &&
	grep -q "^banger: did you mean .list.?$" err &&
	must_fail 100 banger vm lsit 2>err &&
	grep -q "did you mean .list.?" err &&
	must_fail 100 banger image pul x 2>err &&
	grep -q "did you mean .pull.?" err &&
	must_fail 100 banger doctr 2>err &&
	grep -q "did you mean .doctor.?" err
'

test_expect_success 'a prefix suggests every command it starts' '
	must_fail 100 banger vm st 2>err &&
	grep -q "did you mean .start. or .stop.?" err
'

test_expect_success 'a verb without its group suggests the groups' '
	must_fail 100 banger list 2>err &&
	grep -q "did you mean .vm list., .image list. or .kernel list.?" err
'

test_expect_success 'nothing close: no suggestion, a pointer to --help' '
	must_fail 100 banger frobnicate 2>err &&
	! grep -q "did you mean" err &&
	grep -q "banger --help" err
'

test_expect_success 'help for an unknown command: exit 100' '
	must_fail 100 banger help vm lst 2>err &&
	grep -q "did you mean .list.?" err &&
	must_fail 100 banger help vm list extra 2>err
'

test_expect_success 'typo in a flag: names it, suggests, exit 100' '
	must_fail 100 banger vm create --nmae x 2>err &&
	grep -q "^banger: unknown flag .--nmae. for .vm create.$" err &&
	grep -q "^banger: did you mean .--name.?$" err &&
	must_fail 100 banger vm run --vpcu=2 2>err &&
	grep -q "unknown flag .--vpcu. for .vm run." err &&
	grep -q "did you mean .--vcpu.?" err &&
	must_fail 100 banger vm list --jsn 2>err &&
	grep -q "did you mean .--json.?" err &&
	must_fail 100 banger --jsn vm list 2>err &&
	grep -q "did you mean .--json.?" err &&
	must_fail 100 banger vm logs -x a 2>err &&
	grep -q "unknown flag .-x. for .vm logs." err
'

test_expect_success 'a flag of another command is unknown here' '
	must_fail 100 banger vm create --rm 2>err &&
	grep -q "unknown flag .--rm. for .vm create." err
'

test_expect_success 'missing and extra operands: exit 100' '
	must_fail 100 banger vm show 2>err &&
	grep -q "^banger: .vm show. needs NAME$" err &&
	grep -q "^usage: banger vm show \[FLAGS\] NAME$" err &&
	must_fail 100 banger vm show a b 2>err &&
	grep -q "too many arguments for .vm show.: .b." err &&
	must_fail 100 banger vm list extra 2>err &&
	grep -q ".vm list. takes no arguments" err &&
	must_fail 100 banger image register img 2>err &&
	grep -q "needs ROOTFS" err &&
	must_fail 100 banger completion 2>err &&
	must_fail 100 banger vm run ./repo make test 2>err &&
	grep -q "put it after .--." err &&
	must_fail 100 banger vm run -- 2>err &&
	grep -q "no COMMAND after" err
'

test_expect_success 'flag values: missing, repeated, given to a switch' '
	must_fail 100 banger vm create --name 2>err &&
	grep -q -- "--name needs a value" err &&
	must_fail 100 banger vm create --name --vcpu 2 2>err &&
	grep -q -- "--name needs a value" err &&
	must_fail 100 banger vm create --name a --name b 2>err &&
	grep -q -- "--name given twice" err &&
	must_fail 100 banger vm run --rm=yes 2>err &&
	grep -q -- "--rm takes no value" err &&
	must_fail 100 banger vm list --json=1 2>err
'

for v in abc 0 33 -1 =-1 1e3 0x10 " 2" "2 " +2 99999999999999999999999 ""; do
	test_expect_success "bad --vcpu '$v': exit 100" "
		case '$v' in
		=*) must_fail 100 banger vm create --vcpu'$v' 2>err ;;
		*) must_fail 100 banger vm create --vcpu '$v' 2>err ;;
		esac
	"
done

test_expect_success 'bad --memory and --disk: exit 100, saying the range' '
	must_fail 100 banger vm create --memory 10 2>err &&
	grep -q -- "--memory: .10. is not a memory size from 128M to 1T" err &&
	must_fail 100 banger vm create --memory 127 2>err &&
	must_fail 100 banger vm create --memory 64M 2>err &&
	must_fail 100 banger vm create --memory 1048577 2>err &&
	must_fail 100 banger vm create --memory 2T 2>err &&
	must_fail 100 banger vm create --memory 2X 2>err &&
	must_fail 100 banger vm create --memory 1.5G 2>err &&
	must_fail 100 banger vm create --memory 2GB 2>err &&
	must_fail 100 banger vm create --memory 1000000000 2>err &&
	must_fail 100 banger vm create --memory 1536K 2>err &&
	must_fail 100 banger vm create --disk 100 2>err &&
	grep -q -- "--disk: .100. is not a size from 1G to 16T" err &&
	must_fail 100 banger vm create --disk 512M 2>err &&
	must_fail 100 banger vm create --disk 1073741823 2>err &&
	must_fail 100 banger vm create --disk 17T 2>err &&
	must_fail 100 banger vm create --disk 17592186044417 2>err &&
	must_fail 100 banger vm create --disk 16X 2>err &&
	must_fail 100 banger vm create --disk 99999T 2>err &&
	must_fail 100 banger vm create --disk -1G 2>err
'

test_expect_success 'good numbers pass validation, at both ends of the ranges' '
	checks_pass vm create --vcpu 1 --memory 128 --disk 1G &&
	checks_pass vm create --vcpu=32 --memory=1T --disk=16T &&
	checks_pass vm create --memory 128M --disk 1073741824 &&
	checks_pass vm create --memory 1048576 --disk 17592186044416 &&
	checks_pass vm create --memory 2048 --disk 17179869184 &&
	checks_pass vm run --memory 2G --disk 16GiB
'

test_expect_success 'names are checked before anything is sent' '
	must_fail 100 banger vm show Foo 2>err &&
	grep -q "NAME: .Foo. is not a valid name" err &&
	must_fail 100 banger vm show ../etc 2>err &&
	must_fail 100 banger vm show -- -x 2>err &&
	must_fail 100 banger vm create --name a.b 2>err &&
	must_fail 100 banger vm create --kernel a..b 2>err &&
	grep -q "kernel: .a..b. is not a valid image or kernel name" err &&
	must_fail 100 banger vm create --image a. 2>err &&
	must_fail 100 banger vm create --image .a 2>err &&
	checks_pass vm create --kernel debian-6.1.0-56-amd64 --image img-1.2 &&
	checks_pass image delete img-1.2 &&
	must_fail 100 banger vm create --image "$(printf "a\033b")" 2>err &&
	! grep -q "$(printf "\033")" err &&
	must_fail 100 banger vm show aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 2>err
'

test_expect_success 'a repository for the workspace checks' '
	git init -q -b main wsrepo && echo a >wsrepo/a && git -C wsrepo add a &&
	git -C wsrepo -c user.name=t -c user.email=t@t commit -qm one
'
test_expect_success 'text values: no C0, C1 or DEL controls, UTF-8 only' '
	must_fail 100 banger vm run ./repo --branch "$(printf "a\302\233b")" 2>err &&
	grep -q "contains control characters or is not UTF-8" err &&
	no_escapes err &&
	must_fail 100 banger vm run ./repo --from "$(printf "a\233b")" 2>err &&
	no_escapes err &&
	must_fail 100 banger vm run "$(printf "re\177po")" 2>err &&
	must_fail 100 banger vm run ./repo --branch "$(printf "a\tb")" 2>err &&
	checks_pass vm run ./wsrepo --dry-run --branch "caf$(printf "\303\251")"
'

test_expect_success 'other operand checks: shell, image reference, owner' '
	must_fail 100 banger completion bsh 2>err &&
	grep -q "did you mean .bash. or .zsh.?" err &&
	must_fail 100 banger image pull "Not A Name" 2>err &&
	grep -q "neither a catalog name" err &&
	must_fail 100 banger system install --owner "a;b" 2>err &&
	must_fail 100 banger ssh-config --install --uninstall 2>err &&
	grep -q "exclude each other" err
'

test_expect_success 'workspace flags need a PATH' '
	for f in --branch=x --from=main --include-untracked --dry-run; do
		must_fail 100 banger vm run $f 2>err &&
		grep -q "only to workspace mode" err || exit 1
	done &&
	checks_pass vm run ./wsrepo --branch x --from main --dry-run
'

# ---- image references -------------------------------------------------

D64=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
T128=$(printf 'x%.0s' $(seq 128))
for ref in debian-bookworm docker.io/library/debian:12 library/debian \
    ghcr.io/owner/repo/sub:v1.2.3-rc_1 localhost/a localhost:5000/a/b:latest \
    registry-1.docker.io:443/library/debian Reg.Example.COM/a 10.0.0.1:5000/a \
    a/b.c/d_e/f__g/h---i a/b@sha256:$D64 a/b:12@sha256:$D64 \
    a/b:_tag a/b:$T128; do
	test_expect_success "image pull: '$ref' is a good reference" "
		checks_pass image pull '$ref'
	"
done

while IFS='|' read -r ref rule; do
	test_expect_success "image pull: '$ref' is refused: $rule" "
		must_fail 100 banger image pull -- '$ref' >out 2>err &&
		test ! -s out &&
		grep -q \"^banger: NAME: .* nor an OCI reference: $rule\" err
	"
done <<REFS
a/../../b|each part of the path
../a/b|the registry is a host name
a/./b|each part of the path
a//b|a path has no empty parts
a/b/|a path has no empty parts
/a/b|a path has no empty parts
a/b:|a tag is 1 to 128
a/b:.x|a tag is 1 to 128
a/b:-x|a tag is 1 to 128
a/b:x/y|each part of the path
a/b:x:y|each part of the path
a/b:x$T128|a tag is 1 to 128
a/b@sha256:abc|a digest is @sha256
a/b@sha512:$D64|a digest is @sha256
a/b@sha256:$(echo $D64 | tr a-f A-F)|a digest is @sha256
a/b@|a digest is @sha256
debian:12|an OCI reference has at least one '/'
Debian|an OCI reference has at least one '/'
a/B|each part of the path
a/-b|each part of the path
a/b-|each part of the path
a/b___c|each part of the path
a/b..c|each part of the path
a/b c|each part of the path
-x.io/a|the registry is a host name
x_y.io/a|the registry is a host name
x.io:0/a|the registry is a host name
x.io:65536/a|the registry is a host name
x.io:/a|the registry is a host name
localhost:abc/a|the registry is a host name
REFS

test_expect_success 'image pull: --name and --size are for OCI references only' '
	must_fail 100 banger image pull debian-bookworm --name x 2>err &&
	grep -q "\-\-name and --size are for OCI references" err &&
	must_fail 100 banger image pull library/debian --size 1 2>err &&
	grep -q "size" err
'
test_expect_success 'image pull: a reference longer than 255 is refused' '
	must_fail 100 banger image pull "a/$(printf "b%.0s" $(seq 254))" 2>err &&
	grep -q "too long" err
'

# ---- not implemented yet --------------------------------------------

test_expect_success 'vm run --help tells what PATH does, never "not implemented"' '
	banger vm run --help >out 2>&1 &&
	grep -q "/root/repo when it boots" out &&
	! grep -qi "not implemented" out
'

# Only the commands whose help still says "(Not implemented yet.)": a
# command that is turned on (NOT_YET deleted in cli/commands.c) drops
# out of this list by itself.
while IFS='|' read -r name args; do
	if ! banger help $name | grep -q "(Not implemented yet.)"; then
		echo "# $name is implemented: not checked here"
		continue
	fi
	test_expect_success "not implemented yet: $name, exit 1" "
		must_fail 1 banger $args >out 2>err &&
		test ! -s out &&
		echo \"banger: '$name' is not implemented yet\" >want &&
		test_cmp want err
	"
done <<'EOF'
image pull|image pull debian-bookworm
image pull|image pull docker.io/library/debian:12
image list|image list
image register|image register img /tmp/rootfs.ext4 --kernel k
image delete|image delete img
kernel pull|kernel pull debian-6-1
kernel list|kernel list
system install|system install --owner alice
system status|system status
system restart|system restart
system uninstall|system uninstall --purge
ssh-config|ssh-config
ssh-config|ssh-config --install
completion|completion bash
completion|completion powershell
EOF

# ---- the owner socket is missing ------------------------------------

test_expect_success 'no socket: names the path and the fix, exit 111' '
	must_fail 111 banger vm list >out 2>err &&
	test ! -s out &&
	grep -q "^banger: cannot connect to $BANGER_SOCKET: No such file or directory$" err &&
	grep -q "sudo banger system install --owner" err &&
	grep -q "BANGER_SOCKET" err
'

test_expect_success 'no socket with --json: the error object on stdout too' '
	must_fail 111 banger --json vm show abc >out 2>err &&
	grep -q "^{\"code\":\"unavailable\",\"message\":\"cannot connect to" out &&
	grep -q "cannot connect" err
'

test_expect_success 'a socket nobody listens on: exit 111, says restart' '
	perl -MIO::Socket::UNIX -e "IO::Socket::UNIX->new(Local => \$ARGV[0], Listen => 1) or die" "$TRASH/dead.sock" &&
	BANGER_SOCKET=$TRASH/dead.sock must_fail 111 banger vm list 2>err &&
	grep -q "Connection refused" err &&
	grep -q "system restart" err
'

test_expect_success 'a relative BANGER_SOCKET is a usage error' '
	BANGER_SOCKET=rel.sock must_fail 100 banger vm list 2>err &&
	grep -q "absolute" err
'

# ---- answers from the fake server -----------------------------------

wait_sock "$FAKE" || echo "# the fake server did not start"

test_expect_success 'vm list: sends verb and {"v":1}, prints a table' '
	use list2 &&
	fake vm list >out 2>err &&
	test ! -s err &&
	printf "%s\n" "vm-list" "{\"v\":1}" >want &&
	test_cmp want request &&
	cat >want <<-EOF &&
	NAME   STATE    IP          IMAGE
	alpha  running  172.16.0.2  debian-bookworm
	b      stopped  -           -
	EOF
	test_cmp want out
'

test_expect_success 'vm list with no VMs prints the header alone' '
	use empty &&
	fake vm list >out &&
	echo "NAME  STATE  IP  IMAGE" >want &&
	test_cmp want out
'

test_expect_success '--json prints the result object, wherever it is given' '
	use list2 &&
	echo "{\"vms\":[{\"name\":\"alpha\",\"state\":\"running\",\"ip\":\"172.16.0.2\",\"image\":\"debian-bookworm\",\"vcpu\":2},{\"name\":\"b\",\"state\":\"stopped\"}]}" >want &&
	fake --json vm list >out && test_cmp want out &&
	fake vm --json list >out && test_cmp want out &&
	fake vm list --json >out && test_cmp want out
'

test_expect_success 'vm show: sends the name, prints key: value lines' '
	use show &&
	fake vm show alpha >out &&
	printf "%s\n" "vm-show" "{\"v\":1,\"name\":\"alpha\"}" >want &&
	test_cmp want request &&
	cat >want <<-EOF &&
	name:  alpha
	state: running
	ip:    172.16.0.2
	vcpu:  2
	tags:  a, b
	net.tap: tap0
	net.mac: 06:00:AC:10:00:02
	EOF
	test_cmp want out
'

test_expect_success 'events without a terminal: logs on stderr, a line per tenth of a byte count and done' '
	use events &&
	fake vm list >out 2>err &&
	echo "NAME  STATE  IP  IMAGE" >want &&
	test_cmp want out &&
	printf "%s\n" "spec: 2 vCPU, 2048 MiB, 8 GiB disk" "pulling test: 0% (0.0/1.0 MiB)" \
	    "pulling test: 50% (0.5/1.0 MiB)" "pulling test: done" >want &&
	test_cmp want err
'

test_expect_success 'events on a terminal: a progress bar on stderr' '
	use_sh "while IFS= read -r l; do printf \"%s\\n\" \"\$l\"; sleep 0.15; done <\"$A/events\"" &&
	BANGER_SOCKET=$FAKE script -qec "banger vm list" /dev/null </dev/null >tty &&
	tr "\r" "\n" <tty >lines &&
	grep -q "^pulling test \[\.*\]   0%  0.0/1.0 MiB" lines &&
	grep -q "^pulling test \[#*\.*\]  50%  0.5/1.0 MiB" lines &&
	grep -q "^pulling test \[#*\] 100%  1.0/1.0 MiB" lines &&
	grep -q "spec: 2 vCPU" lines &&
	grep -q "NAME  STATE  IP  IMAGE" lines
'

test_expect_success 'error codes map to exit codes' '
	for pair in not_found:1 exists:1 busy:1 permission_denied:1 \
	    bad_request:100 unknown_verb:100 not_implemented:100 \
	    internal:101 temporary:111 something_new:111; do
		code=${pair%:*} want=${pair#*:}
		printf "{\"ok\":false,\"error\":{\"code\":\"%s\",\"message\":\"no VM named x\"}}\n" \
		    "$code" >"$A/err" &&
		use err &&
		must_fail $want fake vm show x >out 2>err &&
		test ! -s out &&
		echo "banger: no VM named x" >wanterr &&
		test_cmp wanterr err || exit 1
	done
'

test_expect_success 'an error with --json: the error object on stdout' '
	use notfound &&
	must_fail 1 fake vm show x --json >out 2>err &&
	echo "{\"code\":\"not_found\",\"message\":\"no VM named x: see '"'"'banger vm list'"'"'\"}" >want &&
	test_cmp want out &&
	grep -q "^banger: no VM named x" err
'

test_expect_success 'messages from the service cannot reach the terminal raw' '
	use escape &&
	must_fail 101 fake vm show x 2>err &&
	! grep -q "$(printf "\033")" err &&
	grep -q "bad ?\[31mred?" err
'

# Messages with C1 controls: U+009B (CSI) as a JSON escape and as raw
# UTF-8 (C2 9B), a raw 8-bit CSI byte (9B: not UTF-8), U+0085, U+0090,
# DEL and ESC.
C2_9B=$(printf '\302\233') RAW_9B=$(printf '\233') E_ACUTE=$(printf '\303\251')
cat >"$A/c1" <<C1
{"event":"log","message":"log \\u009b31mred\\u001b[0m ${C2_9B}1m \\u0085x"}
{"event":"progress","what":"pull \\u009b2J${RAW_9B}K","done":1,"total":1}
{"ok":false,"error":{"code":"not_found","message":"no \\u009b31mVM${C2_9B}32m${RAW_9B}33m\\u007f\\u0090end\\nline 2 \\u009b0m"}}
C1
cat >"$A/c1-list" <<C1
{"ok":true,"result":{"vms":[{"name":"a\\u009b31m","state":"${C2_9B}x","ip":"${RAW_9B}","image":"caf\\u00e9"}]}}
C1
cat >"$A/c1-show" <<C1
{"ok":true,"result":{"vm":{"name":"a\\u009b31m","note":"${C2_9B}x${RAW_9B}y\\u007f","ok":"caf\\u00e9"}}}
C1

test_expect_success 'C1 controls and bytes that are not UTF-8 never reach the terminal' '
	use c1 &&
	must_fail 1 fake vm show x >out 2>err &&
	test ! -s out &&
	no_escapes err &&
	cat >want <<-EOF &&
	log ?31mred?[0m ?1m ?x
	pull ?2J?K: done
	banger: no ?31mVM?32m?33m??end
	banger: line 2 ?0m
	EOF
	test_cmp want err
'

test_expect_success 'C1 controls: tables and key: value lines show ?' '
	use c1-list &&
	fake vm list >out 2>err &&
	no_escapes out &&
	grep -q "^a?31m  ?x     ?   caf$E_ACUTE$" out &&
	use c1-show &&
	fake vm show a >out 2>err &&
	no_escapes out &&
	grep -q "^note: ?x?y?$" out &&
	grep -q "^ok:   caf$E_ACUTE$" out
'

test_expect_success 'C1 controls in --json: escaped as u0080.., bad bytes as ufffd' '
	use c1 &&
	must_fail 1 fake vm show x --json >out 2>err &&
	no_escapes out && no_escapes err &&
	printf "%s\n" "{\"code\":\"not_found\",\"message\":\"no \\u009b31mVM\\u009b32m\\ufffd33m\\u007f\\u0090end\\nline 2 \\u009b0m\"}" >want &&
	test_cmp want out &&
	use c1-list &&
	fake vm list --json >out &&
	no_escapes out &&
	printf "%s\n" "{\"vms\":[{\"name\":\"a\\u009b31m\",\"state\":\"\\u009bx\",\"ip\":\"\\ufffd\",\"image\":\"caf$E_ACUTE\"}]}" >want &&
	test_cmp want out &&
	perl -MJSON::PP -e "
		my \$j = JSON::PP->new->utf8->decode(join q(), <STDIN>);
		exit(\$j->{vms}[0]{name} eq qq(a\\x{9b}31m) ? 0 : 1)" <out
'

test_expect_success 'C1 controls on a terminal: --json is escaped there too' '
	use c1-list &&
	BANGER_SOCKET=$FAKE script -qec "banger vm list --json" /dev/null </dev/null >tty &&
	no_escapes tty &&
	grep -q "\"name\":.*\"a.u009b31m\"" tty
'

test_expect_success 'closed without a final line: exit 111' '
	use closed &&
	must_fail 111 fake vm list 2>err &&
	grep -q "^working$" err &&
	grep -q "closed the connection without an answer" err
'

test_expect_success 'closed in the middle of a line: exit 111' '
	use_sh "printf \"{\\\"ok\\\":tr\"" &&
	must_fail 111 fake vm list 2>err &&
	grep -q "in the middle of a line" err
'

test_expect_success 'garbage and unknown lines: exit 111' '
	use garbage &&
	must_fail 111 fake vm list 2>err &&
	grep -q "not a JSON object" err &&
	use neither &&
	must_fail 111 fake vm list 2>err &&
	grep -q "neither an event nor an answer" err
'

test_expect_success 'silence longer than BANGER_CLIENT_TIMEOUT: exit 111' '
	use_sh "sleep 3" &&
	BANGER_CLIENT_TIMEOUT=1 must_fail 111 fake vm list 2>err &&
	grep -q "no answer from the service for 1 s" err &&
	BANGER_CLIENT_TIMEOUT=abc must_fail 100 fake vm list 2>err &&
	grep -q "BANGER_CLIENT_TIMEOUT" err
'

# ---- VM commands against the fake server ------------------------------

# A HOME of their own: these tests remove and make ssh keys in it.
HOME=$TRASH/vmhome
export HOME
mkdir -p "$HOME"
KEY=$HOME/.local/state/banger/ssh/id_ed25519
CFG=$HOME/.config/banger/config.toml
mkdir -p "${CFG%/*}" "$TRASH/fc"
printf '#!/bin/sh\nexit 0\n' >"$TRASH/fc/firecracker"
chmod +x "$TRASH/fc/firecracker"
# What this host's accelerator must be: tcg without a usable /dev/kvm
# or under kvm_pvm; otherwise (kvm or tcg) not checked exactly.
if [ -e /sys/module/kvm_pvm ] || ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	WANT_ACCEL=tcg
else
	WANT_ACCEL=
fi

# jget KEY [LINE]: a field of the request (line 2 of request by default).
jget() {
	perl -MJSON::PP -e '
		my @l = <STDIN>;
		my $j = JSON::PP->new->decode($l[1]);
		my $v = $j->{$ARGV[0]};
		print defined $v ? "$v" : "(none)", "\n"' "$1" <request
}

cat >"$A/ocipulled" <<'EOF'
{"ok":true,"result":{"name":"debian-bookworm-slim","kind":"image","ref":"docker.io/library/debian:bookworm-slim","digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","version":"bookworm-slim","bytes":1048576,"unpacked_bytes":2097152,"layers":2,"replaced":false,"ssh":"banger"}}
EOF
cat >"$A/ocialready" <<'EOF'
{"ok":true,"result":{"name":"mine","ref":"docker.io/x/y:1","digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","already":true}}
EOF
test_expect_success 'image pull REFERENCE: image-import-oci with the reference and the local name, no auth without a docker config' '
	use ocipulled &&
	DOCKER_CONFIG="$TRASH/nodocker" fake image pull library/debian:bookworm-slim >out 2>err &&
	test "$(head -n 1 "$TRASH/request")" = image-import-oci &&
	test "$(jget name)" = debian-bookworm-slim &&
	test "$(jget ref)" = library/debian:bookworm-slim &&
	test "$(jget auth)" = "(none)" &&
	grep -q "^banger: pulling docker.io/library/debian:bookworm-slim as image debian-bookworm-slim\$" err &&
	grep -q "^image debian-bookworm-slim pulled from docker.io/library/debian:bookworm-slim (sha256:0123.*): 2 layers, 1.0 MiB downloaded, 2.0 MiB on disk\$" out
'
test_expect_success 'image pull REFERENCE --name --size: credentials from $DOCKER_CONFIG/config.json, matched to the registry' '
	use ocialready &&
	mkdir -p "$TRASH/docker" &&
	printf "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"dTpw\"},\"reg.example\":{\"auth\":\"eDp5\"}}}" >"$TRASH/docker/config.json" &&
	DOCKER_CONFIG="$TRASH/docker" fake image pull docker.io/x/y:1 --name mine --size 2G >out 2>err &&
	test "$(jget name)" = mine && test "$(jget size)" = 2147483648 &&
	test "$(jget auth)" = dTpw &&
	grep -q "^image mine is installed already (docker.io/x/y:1, the same digest)\$" out &&
	DOCKER_CONFIG="$TRASH/docker" fake image pull reg.example/y >out 2>err &&
	test "$(jget auth)" = eDp5 &&
	DOCKER_CONFIG="$TRASH/docker" fake image pull other.example/y >out 2>err &&
	test "$(jget auth)" = "(none)"
'
test_expect_success 'image pull REFERENCE: a malformed docker config is an error naming the file; a credential helper is said and skipped' '
	use ocialready &&
	echo "{" >"$TRASH/docker/config.json" &&
	must_fail 100 env DOCKER_CONFIG="$TRASH/docker" BANGER_SOCKET="$FAKE" banger image pull docker.io/x/y 2>err &&
	grep -q "$TRASH/docker/config.json" err &&
	echo "{\"credHelpers\":{\"docker.io\":\"pass\"}}" >"$TRASH/docker/config.json" &&
	DOCKER_CONFIG="$TRASH/docker" fake image pull docker.io/x/y >out 2>err &&
	grep -q "pulling anonymously" err &&
	test "$(jget auth)" = "(none)"
'
# verbs: the verbs the fake server got since the last reset (one line).
verbs() {
	cut -d" " -f1 requests | tr "\n" " " | sed "s/ $//"
}
reset_log() {
	: >"$TRASH/requests"
}

cat >"$A/created" <<'EOF'
{"event":"progress","what":"clone rootfs","done":2,"total":2}
{"ok":true,"result":{"name":"box","status":"created","image":"test","kernel":"k","vcpu":1,"memory_mib":1024,"disk_bytes":8589934592,"slot":2,"ip":"127.0.0.1","vmm":"qemu","accel":"tcg","state":"stopped"}}
EOF
cat >"$A/exists" <<'EOF'
{"ok":false,"error":{"code":"exists","message":"a VM named \"x\" already exists"}}
EOF
cat >"$A/stopped" <<'EOF'
{"ok":true,"result":{"name":"box","state":"stopped","ip":"172.16.0.2"}}
EOF
cat >"$A/running" <<'EOF'
{"ok":true,"result":{"name":"box","state":"running","ip":"127.0.0.1"}}
EOF
cat >"$A/ok" <<'EOF'
{"ok":true,"result":{"name":"box"}}
EOF
cat >"$A/busy" <<'EOF'
{"ok":false,"error":{"code":"busy","message":"VM \"box\" is running"}}
EOF
cat >"$A/startfail" <<'EOF'
{"ok":false,"error":{"code":"temporary","message":"the VMM did not start"}}
EOF
# One answer per verb: vm-create created, vm-start and vm-show the
# answer named in $TRASH/start and $TRASH/show (default: running).
use_sh '
case $verb in
vm-create) cat "'"$A"'/created" ;;
vm-start) cat "'"$A"'/$(cat "'"$TRASH"'/start" 2>/dev/null || echo running)" ;;
vm-show) cat "'"$A"'/$(cat "'"$TRASH"'/show" 2>/dev/null || echo running)" ;;
*) cat "'"$A"'/ok" ;;
esac'
cp "$TRASH/answer.sh" "$TRASH/answer-vm.sh"
use_vm() {
	cp "$TRASH/answer-vm.sh" "$TRASH/answer.sh"
}

test_expect_success 'vm create: makes the ssh key first, 0600 in a 0700 directory' '
	use_vm &&
	rm -rf "${KEY%/*}" &&
	fake vm create >out 2>err &&
	test -f "$KEY" && test -f "$KEY.pub" &&
	test "$(stat -c %a "$KEY")" = 600 &&
	test "$(stat -c %a "${KEY%/*}")" = 700 &&
	grep -q "^created the ssh key $KEY$" err &&
	grep -q "^ssh-ed25519 [A-Za-z0-9+/=]* banger$" "$KEY.pub" &&
	test "$(jget ssh_pubkey)" = "$(cat "$KEY.pub")" &&
	fake vm create 2>err &&
	! grep -q "created the ssh key" err
'

test_expect_success 'vm create: the spec line first, then the request' '
	use_vm &&
	fake vm create >out 2>err &&
	head -n 1 err >first &&
	grep -E -q "^spec: [0-9]+ vCPU \((host|built-in)\), [0-9]+ MiB RAM \((host|built-in)\), 8 GiB disk \(built-in\)$" first &&
	grep -q "^created VM box (127.0.0.1)$" err &&
	grep -q "^clone rootfs: done$" err &&
	test "$(head -n 1 request)" = vm-create &&
	jget name | grep -E -q "^vm-[0-9a-f]{6}$" &&
	test "$(jget image)" = debian-bookworm &&
	test "$(jget kernel)" = "(none)" &&
	test "$(jget disk_bytes)" = 8589934592 &&
	vcpu=$(sed -n "s/^spec: \([0-9]*\) vCPU.*/\1/p" first) &&
	test "$(jget vcpu)" = "$vcpu" &&
	mem=$(sed -n "s/.*, \([0-9]*\) MiB RAM.*/\1/p" first) &&
	test "$(jget memory_mib)" = "$mem" &&
	test "$(jget v)" = 1 &&
	grep -q "^name: *box$" out &&
	grep -q "^ip: *127.0.0.1$" out
'

test_expect_success 'vm create: flags win over config, config over the host' '
	use_vm &&
	printf "[vm_defaults]\nvcpu = 3\nmemory_mib = 4096\ndisk_size = \"10G\"\n" >"$CFG" &&
	fake vm create 2>err &&
	head -n 1 err >first &&
	echo "spec: 3 vCPU (config), 4096 MiB RAM (config), 10 GiB disk (config)" >want &&
	test_cmp want first &&
	test "$(jget vcpu)" = 3 && test "$(jget memory_mib)" = 4096 &&
	test "$(jget disk_bytes)" = 10737418240 &&
	fake vm create --vcpu 2 --memory 1536M --disk 16G 2>err &&
	head -n 1 err >first &&
	echo "spec: 2 vCPU (flag), 1536 MiB RAM (flag), 16 GiB disk (flag)" >want &&
	test_cmp want first &&
	test "$(jget vcpu)" = 2 && test "$(jget memory_mib)" = 1536 &&
	test "$(jget disk_bytes)" = 17179869184 &&
	rm -f "$CFG"
'

test_expect_success 'vm create: --name, --image, --kernel, default_image_name' '
	use_vm &&
	printf "default_image_name = \"my-img\"\n" >"$CFG" &&
	fake vm create 2>err &&
	test "$(jget image)" = my-img &&
	fake vm create --name web --image other --kernel debian-6.1.0-56-amd64 2>err &&
	test "$(jget name)" = web && test "$(jget image)" = other &&
	test "$(jget kernel)" = debian-6.1.0-56-amd64 &&
	rm -f "$CFG"
'

test_expect_success 'vm create: vmm and accel, auto and from config' '
	use_vm &&
	fake vm create 2>err &&
	accel=$(jget accel) &&
	case "$WANT_ACCEL:$accel" in
	tcg:tcg|:tcg|:kvm) ;;
	*) echo "accel $accel, want ${WANT_ACCEL:-kvm or tcg}"; exit 1 ;;
	esac &&
	printf "firecracker_bin = \"$TRASH/fc/firecracker\"\n" >"$CFG" &&
	fake vm create 2>err &&
	if [ "$WANT_ACCEL" = tcg ]; then
		# auto: Firecracker only where KVM works.
		test "$(jget vmm)" = qemu && test "$(jget vmm_bin)" = "(none)"
	fi &&
	printf "vmm = \"firecracker\"\nfirecracker_bin = \"$TRASH/fc/firecracker\"\n" >"$CFG" &&
	fake vm create 2>err &&
	test "$(jget vmm)" = firecracker &&
	test "$(jget vmm_bin)" = "$TRASH/fc/firecracker" &&
	printf "vmm = \"qemu\"\nqemu_accel = \"kvm\"\n" >"$CFG" &&
	fake vm create 2>err &&
	test "$(jget vmm)" = qemu && test "$(jget accel)" = kvm &&
	test "$(jget vmm_bin)" = "(none)" &&
	rm -f "$CFG"
'
test_expect_success 'vm create: a firecracker_bin that is not there is refused before any request' '
	use_vm && reset_log &&
	printf "vmm = \"firecracker\"\nfirecracker_bin = \"$TRASH/fc/nope\"\n" >"$CFG" &&
	must_fail 100 fake vm create 2>err &&
	grep -q "firecracker_bin $TRASH/fc/nope: No such file or directory" err &&
	test -z "$(verbs)" &&
	printf "vmm = \"firecracker\"\nfirecracker_bin = \"no-such-fc\"\n" >"$CFG" &&
	must_fail 100 fake vm create 2>err &&
	grep -q "firecracker_bin no-such-fc: not found in /usr/local/sbin, /usr/local/bin" err &&
	rm -f "$CFG"
'

test_expect_success 'vm create: a config key banger does not know is a warning' '
	use_vm &&
	printf "bogus = 1\n" >"$CFG" &&
	fake vm create 2>err &&
	grep -q "^banger: warning: $CFG:1:1: unknown key .bogus." err &&
	printf "vmm = \"nope\"\n" >"$CFG" &&
	must_fail 100 fake vm create 2>err &&
	grep -q "^banger: $CFG:1" err &&
	rm -f "$CFG"
'

test_expect_success 'vm create: ssh_key_path from config, created there' '
	use_vm &&
	printf "ssh_key_path = \"~/keys/k\"\n" >"$CFG" &&
	fake vm create 2>err &&
	test -f "$HOME/keys/k" &&
	test "$(jget ssh_pubkey)" = "$(cat "$HOME/keys/k.pub")" &&
	rm -f "$CFG"
'

test_expect_success 'vm create: a generated name that exists is replaced, up to 5 times' '
	use_sh "cat \"$A/exists\"" &&
	reset_log &&
	must_fail 1 fake vm create 2>err &&
	test "$(wc -l <requests)" = 5 &&
	test "$(sed "s/.*\"name\":\"\([^\"]*\)\".*/\1/" requests | sort -u | wc -l)" = 5 &&
	grep -q "^banger: a VM named .x. already exists$" err &&
	reset_log &&
	must_fail 1 fake vm create --name x 2>err &&
	test "$(wc -l <requests)" = 1
'

test_expect_success 'vm start, vm stop --timeout: requests and output' '
	use ok &&
	fake vm start box >out &&
	printf "%s\n" vm-start "{\"v\":1,\"name\":\"box\"}" >want &&
	test_cmp want request &&
	fake vm stop --timeout 5 box >out &&
	printf "%s\n" vm-stop "{\"v\":1,\"timeout_s\":5,\"name\":\"box\"}" >want &&
	test_cmp want request &&
	echo "name: box" >want &&
	test_cmp want out &&
	must_fail 100 banger vm stop --timeout 601 box 2>err
'

test_expect_success 'vm delete: a running VM is stopped first' '
	use_sh "case \$verb in vm-delete) [ -e \"$TRASH/deleting\" ] && cat \"$A/ok\" || { : >\"$TRASH/deleting\"; cat \"$A/busy\"; } ;; *) cat \"$A/ok\" ;; esac" &&
	rm -f deleting && reset_log &&
	fake vm delete box >out 2>err &&
	test "$(verbs)" = "vm-delete vm-stop vm-delete" &&
	grep -q "^stopping VM box first$" err &&
	reset_log &&
	fake vm delete box >out 2>err &&
	test "$(verbs)" = "vm-delete" &&
	use notfound &&
	must_fail 1 fake vm delete box 2>err
'

cat >"$A/prune" <<'EOF'
{"ok":true,"result":{"removed":["a","b"],"kept":["c"],"taps_removed":["bgtap9"]}}
EOF
cat >"$A/prune-none" <<'EOF'
{"ok":true,"result":{"removed":[],"kept":[],"taps_removed":[]}}
EOF

test_expect_success 'vm prune [--dry-run]: one line per VM or tap' '
	use prune &&
	fake vm prune >out &&
	printf "%s\n" vm-prune "{\"v\":1}" >want && test_cmp want request &&
	cat >want <<-EOF &&
	removed VM a
	removed VM b
	removed tap bgtap9
	kept VM c (running or being created)
	EOF
	test_cmp want out &&
	fake vm prune --dry-run >out &&
	printf "%s\n" vm-prune "{\"v\":1,\"dry_run\":true}" >want &&
	test_cmp want request &&
	grep -q "^would remove VM a$" out &&
	use prune-none &&
	fake vm prune >out &&
	echo "nothing to prune" >want && test_cmp want out
'

ESC=$(printf '\033')
cat >"$A/logs" <<'EOF'
{"event":"output","data":"boot \u001b[32mOK\u001b[0m\r\nline 2\r\n"}
{"event":"output","data":"caf\u00e9\n"}
{"ok":true,"result":{"name":"box","bytes":30}}
EOF

test_expect_success 'vm logs: the console as it is when stdout is not a terminal' '
	use logs &&
	fake vm logs box >out 2>err &&
	test ! -s err &&
	printf "%s\n" vm-logs "{\"v\":1,\"name\":\"box\"}" >want &&
	test_cmp want request &&
	printf "boot ${ESC}[32mOK${ESC}[0m\r\nline 2\r\ncaf\303\251\n" >want &&
	test_cmp want out
'

test_expect_success 'vm logs on a terminal: escapes made safe, CR LF kept' '
	use logs &&
	BANGER_SOCKET=$FAKE script -qec "banger vm logs box" /dev/null </dev/null >tty &&
	no_escapes tty &&
	grep -q "boot ?\[32mOK?\[0m" tty &&
	grep -q "caf$E_ACUTE" tty
'

test_expect_success 'vm logs --json: one line per chunk, then the result' '
	use logs &&
	fake vm logs --json box >out &&
	test "$(wc -l <out)" = 3 &&
	head -n 1 out | grep -q "^{\"data\":\"boot \\\\u001b\[32mOK" &&
	tail -n 1 out | grep -q "^{\"name\":\"box\",\"bytes\":30}$"
'

test_expect_success 'vm logs -f: no deadline on silence' '
	use_sh "sleep 2; cat \"$A/logs\"" &&
	BANGER_CLIENT_TIMEOUT=1 must_fail 111 fake vm logs box 2>err &&
	grep -q "no answer from the service for 1 s" err &&
	BANGER_CLIENT_TIMEOUT=1 fake vm logs -f box >out 2>err &&
	printf "%s\n" vm-logs "{\"v\":1,\"follow\":true,\"name\":\"box\"}" >want &&
	test_cmp want request &&
	grep -q "^line 2" out
'

test_expect_success 'vm ssh: a VM that is not running is an error, exit 1' '
	use stopped &&
	must_fail 1 fake vm ssh box >out 2>err &&
	test ! -s out &&
	printf "%s\n" vm-show "{\"v\":1,\"name\":\"box\"}" >want &&
	test_cmp want request &&
	echo "banger: VM box is stopped: start it with '"'"'banger vm start box'"'"'" >want &&
	test_cmp want err &&
	use notfound &&
	must_fail 1 fake vm ssh box -- true 2>err &&
	grep -q "no VM named" err
'

test_expect_success 'vm ssh: runs ssh with banger key, exits with its status' '
	use running &&
	must_fail 255 fake vm ssh box -- echo hi 2>err &&
	grep -q "127.0.0.1" err
'

test_expect_success 'vm run PATH: a missing workspace is refused before anything is sent' '
	reset_log &&
	must_fail 100 fake vm run ./repo -- make test >out 2>err &&
	test ! -s out && test ! -s requests &&
	grep -q "not a directory" err
'

test_expect_success 'vm run --rm: ssh never answered: the VM is kept' '
	use_vm && reset_log &&
	must_fail 111 fake vm run --rm --ssh-timeout 1 -- true >out 2>err &&
	head -n 1 err | grep -q "^spec: " &&
	grep -q "^created VM box (127.0.0.1)$" err &&
	grep -q "^banger: VM box did not answer on ssh (127.0.0.1:22) within 1 s$" err &&
	grep -q "^banger: VM box kept for inspection: banger vm logs box$" err &&
	test "$(verbs | sed "s/ vm-show//g")" = "vm-create vm-start"
'

test_expect_success 'vm run: a VM that stops while booting is kept, exit 1' '
	use_vm && reset_log &&
	echo stopped >show &&
	must_fail 1 fake vm run --rm --ssh-timeout 20 2>err &&
	rm -f show &&
	grep -q "^banger: VM box stopped while booting$" err &&
	grep -q "kept for inspection" err &&
	test "$(verbs)" = "vm-create vm-start vm-show"
'

test_expect_success 'vm run --rm: a VM that did not start is deleted' '
	use_vm && reset_log &&
	echo startfail >start &&
	must_fail 111 fake vm run --rm --ssh-timeout 1 2>err &&
	grep -q "^banger: the VMM did not start$" err &&
	grep -q "^deleted VM box$" err &&
	test "$(verbs)" = "vm-create vm-start vm-delete" &&
	reset_log &&
	must_fail 111 fake vm run --ssh-timeout 1 2>err &&
	rm -f start &&
	grep -q "was created but did not start" err &&
	test "$(verbs)" = "vm-create vm-start"
'

test_expect_success 'vm run --rm: a signal while waiting for ssh deletes the VM' '
	use_vm && reset_log &&
	{ BANGER_SOCKET=$FAKE banger vm run --rm --ssh-timeout 60 -- true 2>err & } &&
	pid=$! && i=0 &&
	while ! grep -q "^waiting for ssh" err && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done &&
	kill -TERM $pid &&
	{ wait $pid; st=$?; } &&
	test "$st" = 143 &&
	grep -q "^deleted VM box$" err &&
	test "$(verbs)" = "vm-create vm-start vm-delete"
'

# ---- the real dispatcher --------------------------------------------

if [ -x "$X/dispatch" ] && [ -x "$X/vm-list" ]; then
	mkdir -p "${BANGER_SOCKET%/*}"
	s6-ipcserver -a 0600 "$BANGER_SOCKET" "$X/dispatch" >/dev/null 2>&1 &
	echo $! >"$TRASH/dispatch.pid"
	at_exit 'kill $(cat "$TRASH/dispatch.pid")'
	wait_sock "$BANGER_SOCKET" || echo "# the dispatcher did not start"

	test_expect_success 'dispatch: vm list with no VMs' '
		banger vm list >out 2>err &&
		test ! -s err &&
		echo "NAME  STATE  IP  IMAGE" >want &&
		test_cmp want out &&
		banger vm list --json >out &&
		echo "{\"vms\":[]}" >want &&
		test_cmp want out
	'

	test_expect_success 'dispatch: vm list shows VMs' '
		S=$BANGER_ROOT/var/lib/banger/vms &&
		mkdir -p "$S/web" &&
		echo "{\"name\":\"web\",\"status\":\"created\",\"image\":\"test\",\"kernel\":\"k\",\"vcpu\":1,\"memory_mib\":256,\"disk_bytes\":1073741824,\"slot\":9,\"vmm\":\"qemu\",\"accel\":\"tcg\",\"created_at\":\"2026-11-28T12:00:00Z\"}" >"$S/web/vm.json" &&
		banger vm list >out &&
		grep -q "^web  *stopped  *172.16.0.9  *test$" out &&
		rm -rf "$S"
	'

	test_expect_success 'dispatch: vm show of a missing VM is an error' '
		if [ -x "$X/vm-show" ]; then
			must_fail 1 banger vm show nosuch 2>err
		else
			must_fail 100 banger vm show nosuch 2>err &&
			grep -q "not implemented" err
		fi
	'
else
	test_skip 'dispatch: vm list with no VMs' 'build/libexec/banger/dispatch is not built'
	test_skip 'dispatch: vm list shows VMs' 'build/libexec/banger/dispatch is not built'
	test_skip 'dispatch: vm show of a missing VM' 'build/libexec/banger/dispatch is not built'
fi

# ---- doctor, run locally ---------------------------------------------

mkdir -p "$TRASH/lx" "$TRASH/empty" "$TRASH/bin"
cat >"$TRASH/lx/doctor" <<'EOF'
#!/bin/sh
IFS= read -r req
[ "$req" = '{"v":1}' ] || { echo "doctor got: $req" >&2; exit 100; }
echo '{"event":"log","message":"checking the host"}'
cat "${0%/*}/answer"
EOF
chmod +x "$TRASH/lx/doctor"
cat >"$TRASH/lx/answer-fail" <<'EOF'
{"ok":true,"result":{"checks":[{"name":"kvm","status":"pass","detail":"/dev/kvm: API version 12"},{"name":"firecracker","status":"warn","detail":"not on PATH","fix":"install it"},{"name":"bridge","status":"fail","detail":"no br-fc","fix":"run: sudo banger system install"}],"failed":1}}
EOF
cat >"$TRASH/lx/answer-pass" <<'EOF'
{"ok":true,"result":{"checks":[{"name":"kvm","status":"pass","detail":"ok"}],"failed":0}}
EOF

test_expect_success 'doctor: one line per check, fixes indented, exit 1 on a failure' '
	cp lx/answer-fail lx/answer &&
	BANGER_LIBEXECDIR=$TRASH/lx must_fail 1 banger doctor >out 2>err &&
	cat >want <<-EOF &&
	PASS  kvm          /dev/kvm: API version 12
	WARN  firecracker  not on PATH
	      fix: install it
	FAIL  bridge       no br-fc
	      fix: run: sudo banger system install
	EOF
	test_cmp want out &&
	printf "%s\n" "checking the host" "banger: 1 check failed" >want &&
	test_cmp want err
'

test_expect_success 'doctor --json: the result, exit 1 on a failure' '
	cp lx/answer-fail lx/answer &&
	BANGER_LIBEXECDIR=$TRASH/lx must_fail 1 banger doctor --json >out &&
	grep -q "^{\"checks\":\[{\"name\":\"kvm\".*\"failed\":1}$" out
'

test_expect_success 'doctor: all pass, exit 0' '
	cp lx/answer-pass lx/answer &&
	BANGER_LIBEXECDIR=$TRASH/lx banger doctor >out &&
	echo "PASS  kvm         ok" >want &&
	test_cmp want out
'

test_expect_success 'doctor: a helper that dies without answering, exit 111' '
	echo "{\"event\":\"log\",\"message\":\"x\"}" >lx/answer &&
	BANGER_LIBEXECDIR=$TRASH/lx must_fail 111 banger doctor 2>err &&
	grep -q "doctor helper closed the connection" err
'

test_expect_success 'doctor: falls back to the build tree next to the binary' '
	{ BANGER_LIBEXECDIR=$TRASH/empty banger doctor >out 2>err; st=$?; } &&
	{ test $st = 0 || test $st = 1; } &&
	test -s out &&
	! grep -v -E "^(PASS|WARN|FAIL)  |^      fix: " out
'

test_expect_success 'doctor: no helper anywhere, exit 111' '
	cp "$B/bin/banger" bin/banger &&
	BANGER_LIBEXECDIR=$TRASH/empty must_fail 111 bin/banger doctor 2>err &&
	grep -q "cannot find the doctor helper: $TRASH/empty/doctor is missing" err
'

test_done
