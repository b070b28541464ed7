#!/bin/sh
# t/0100-cli.t — the banger command line: help at every level, usage
# errors and typo suggestions (exit 100), commands not implemented yet
# (exit 1), the owner socket missing (exit 111), rendering of answers,
# events and errors from a fake server, the real dispatcher, and doctor
# run locally.
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

test_expect_success 'help: the main usage lists every group and command' '
	banger --help >out &&
	for c in "vm run" "vm create" "vm start" "vm stop" "vm ssh" "vm logs" \
	    "vm list" "vm show" "vm delete" "vm prune" "image pull" \
	    "image list" "image register" "image delete" "kernel pull" \
	    "kernel list" "system install" "system status" "system restart" \
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
	grep -q -- "--memory: .10. is not a memory size from 64M to 1T" err &&
	must_fail 100 banger vm create --memory 2X 2>err &&
	must_fail 100 banger vm create --memory 1.5G 2>err &&
	must_fail 100 banger vm create --memory 2GB 2>err &&
	must_fail 100 banger vm create --memory 1000000000 2>err &&
	must_fail 100 banger vm create --memory 1536K 2>err &&
	must_fail 100 banger vm create --disk 100 2>err &&
	grep -q -- "--disk: .100. is not a size from 256M to 16T" err &&
	must_fail 100 banger vm create --disk 16X 2>err &&
	must_fail 100 banger vm create --disk 99999T 2>err &&
	must_fail 100 banger vm create --disk -1G 2>err
'

test_expect_success 'good numbers pass validation (then: not implemented)' '
	must_fail 1 banger vm create --vcpu 1 --memory 64 --disk 256M 2>err &&
	must_fail 1 banger vm create --vcpu=32 --memory=1T --disk=16T 2>err &&
	must_fail 1 banger vm create --memory 2048 --disk 17179869184 2>err &&
	must_fail 1 banger vm run --memory 2G --disk 16GiB 2>err &&
	grep -q "not implemented yet" err
'

test_expect_success 'names are checked before anything is sent' '
	must_fail 100 banger vm show Foo 2>err &&
	grep -q "NAME: .Foo. is not a valid name" err &&
	must_fail 100 banger vm show ../etc 2>err &&
	must_fail 100 banger vm show -- -x 2>err &&
	must_fail 100 banger vm create --name a.b 2>err &&
	must_fail 100 banger vm create --image "$(printf "a\033b")" 2>err &&
	! grep -q "$(printf "\033")" err &&
	must_fail 100 banger vm show aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 2>err
'

test_expect_success 'other operand checks: shell, image reference, owner' '
	must_fail 100 banger completion bsh 2>err &&
	grep -q "did you mean .bash. or .zsh.?" err &&
	must_fail 100 banger image pull "Not A Name" 2>err &&
	must_fail 100 banger system install --owner "a;b" 2>err &&
	must_fail 100 banger ssh-config --install --uninstall 2>err &&
	grep -q "exclude each other" err
'

test_expect_success 'workspace flags need a PATH' '
	for f in --branch=x --from=main --include-untracked --dry-run; do
		must_fail 100 banger vm run $f 2>err &&
		grep -q "only to workspace mode" err || exit 1
	done &&
	must_fail 1 banger vm run ./repo --branch x --from main --dry-run 2>err
'

# ---- not implemented yet --------------------------------------------

while IFS='|' read -r name args; do
	test_expect_success "not implemented yet: $name, exit 1" "
		must_fail 1 banger $args >out 2>err &&
		test ! -s out &&
		echo \"banger: '$name' is not implemented yet\" >want &&
		test_cmp want err
	"
done <<'EOF'
vm run|vm run
vm run|vm run ./repo -- make test
vm run|vm run --rm --name box -- sh -c true
vm create|vm create --name a --image debian-bookworm
vm start|vm start a
vm stop|vm stop a
vm ssh|vm ssh a
vm ssh|vm ssh a -- uname -a
vm logs|vm logs -f a
vm delete|vm delete a
vm prune|vm prune
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

test_expect_success 'events without a terminal: logs on stderr, one line per finished progress' '
	use events &&
	fake vm list >out 2>err &&
	echo "NAME  STATE  IP  IMAGE" >want &&
	test_cmp want out &&
	printf "%s\n" "spec: 2 vCPU, 2048 MiB, 8 GiB disk" "pulling test: done" >want &&
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
		echo "{\"name\":\"web\",\"ip\":\"172.16.0.9\",\"image\":\"test\"}" >"$S/web/vm.json" &&
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
	BANGER_LIBEXECDIR=$TRASH/empty banger doctor >out 2>err;
	st=$? &&
	test $st = 0 -o $st = 1 &&
	test -s out &&
	! grep -v -E "^(PASS|WARN|FAIL)  |^      fix: " out
'

test_expect_success 'doctor: no helper anywhere, exit 111' '
	cp "$B/bin/banger" bin/banger &&
	BANGER_LIBEXECDIR=$TRASH/empty must_fail 111 bin/banger doctor 2>err &&
	grep -q "cannot find the doctor helper: $TRASH/empty/doctor is missing" err
'

test_done
