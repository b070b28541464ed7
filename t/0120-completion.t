#!/bin/sh
# t/0120-completion.t — banger completion: the bash script driven
# through bash's own completion machinery (groups, verbs, flags from
# the command table, live VM names from a fake service, never file
# names), the hidden name helper, and that the zsh, fish and powershell
# scripts parse or at least name what they must.
. "${0%/*}/lib.sh"

FAKE=$TRASH/fake.sock
A=$TRASH/answers
mkdir -p "$A"

wait_sock() {
	i=0
	while [ ! -S "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	[ -S "$1" ]
}

# ---- a fake service: records the verb, answers from a file -----------

cat >"$TRASH/fake-server" <<EOF
#!/bin/sh
IFS= read -r verb
IFS= read -r req
printf '%s\n' "\$verb" >>"$TRASH/verbs"
. "$TRASH/answer.sh"
EOF
chmod +x "$TRASH/fake-server"
use() {
	printf 'cat "%s"\n' "$A/$1" >"$TRASH/answer.sh"
}
use_sh() {
	printf '%s\n' "$1" >"$TRASH/answer.sh"
}
cat >"$A/list2" <<'EOF'
{"ok":true,"result":{"vms":[{"name":"alpha","state":"running","ip":"172.16.0.2"},{"name":"bravo","state":"stopped"}]}}
EOF
cat >"$A/notfound" <<'EOF'
{"ok":false,"error":{"code":"internal","message":"broken"}}
EOF
use list2

s6-ipcserver -a 0600 "$FAKE" "$TRASH/fake-server" >/dev/null 2>&1 &
echo $! >"$TRASH/fake.pid"
at_exit 'kill $(cat "$TRASH/fake.pid")'
wait_sock "$FAKE" || echo "# the fake server did not start"

# comp WORD...: what bash completes for the last WORD of "banger
# WORD...", one candidate a line, sorted: the script is sourced, and the
# function that `complete -p banger` names is called with COMP_WORDS,
# COMP_CWORD, COMP_LINE and COMP_POINT set, as bash does on <TAB>.
cat >"$TRASH/comp" <<'EOF'
source <(banger completion bash) || exit 1
spec=$(complete -p banger) || exit 1
case $spec in *" -o "*) echo "options in: $spec" >&2; exit 1 ;; esac
fn=${spec#*-F }
fn=${fn%% *}
COMP_WORDS=(banger "$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
"$fn" banger "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" ||
    exit 1
[ ${#COMPREPLY[@]} = 0 ] || printf '%s\n' "${COMPREPLY[@]}" | sort
EOF
comp() {
	bash "$TRASH/comp" "$@"
}
# has FILE WORD...: every WORD is a line of FILE.
has() {
	_f=$1
	shift
	for _w in "$@"; do
		grep -qx -- "$_w" "$_f" || { echo "missing: $_w" >&2; return 1; }
	done
}

# ---- the scripts ----------------------------------------------------

for sh in bash zsh fish powershell; do
	test_expect_success "banger completion $sh prints a script, exit 0" "
		banger completion $sh >out 2>err &&
		test ! -s err && test -s out
	"
done

test_expect_success 'an unknown shell: exit 100 with the list' '
	must_fail 100 banger completion tcsh >out 2>err &&
	test ! -s out &&
	grep -q "bash, zsh, fish, powershell" err
'

test_expect_success 'completion --help shows how to load each shell' '
	banger completion --help >out &&
	grep -q "bash_completion.d/banger" out &&
	grep -q "zfunc/_banger" out &&
	grep -q "fish/completions/banger.fish" out &&
	grep -q "Invoke-Expression" out
'

test_expect_success 'bash: the script parses and registers -F without -o' '
	banger completion bash >c.bash &&
	bash -n c.bash &&
	grep -qx "complete -F _banger banger" c.bash &&
	sed "/^[[:space:]]*#/d" c.bash >code &&
	! grep -q -- "-o default\|-o bashdefault\|compgen -f\|compgen -d" code
'

# ---- bash, driven through its completion machinery ------------------

test_expect_success 'bash: banger <TAB> lists the groups and commands' '
	comp "" >out &&
	has out vm image kernel system doctor ssh-config completion help
'

test_expect_success 'bash: banger v<TAB> completes to vm' '
	comp v >out &&
	echo vm >want && test_cmp want out
'

test_expect_success 'bash: banger vm <TAB> lists the verbs' '
	comp vm "" >out &&
	has out run create start stop ssh logs list show delete prune &&
	! grep -qx image out
'

test_expect_success 'bash: banger kernel <TAB> lists its verbs only' '
	comp kernel "" >out &&
	printf "bundle\ndelete\nlist\npull\n" >want && test_cmp want out
'

test_expect_success 'bash: banger vm run --<TAB> lists its flags' '
	comp vm run -- >out &&
	has out --name --image --kernel --vcpu --memory --disk --rm \
	    --ssh-timeout --branch --from --include-untracked --dry-run \
	    --json --help
'

test_expect_success 'bash: banger vm logs -<TAB> includes the short flag' '
	comp vm logs - >out &&
	has out -f --follow
'

test_expect_success 'bash: banger vm stop <TAB> lists the live VMs' '
	: >"$TRASH/verbs" &&
	touch a-file alpha-file &&
	BANGER_SOCKET=$FAKE comp vm stop "" >out &&
	printf "alpha\nbravo\n" >want && test_cmp want out &&
	grep -qx vm-list "$TRASH/verbs" &&
	BANGER_SOCKET=$FAKE comp vm stop a >out &&
	echo alpha >want && test_cmp want out
'

for verb in start stop delete show logs ssh; do
	test_expect_success "bash: banger vm $verb <TAB> offers VM names" "
		BANGER_SOCKET=\$FAKE comp vm $verb '' >out &&
		has out alpha bravo
	"
done

test_expect_success 'bash: flags before the NAME do not hide it' '
	BANGER_SOCKET=$FAKE comp vm stop --timeout 5 "" >out &&
	has out alpha bravo &&
	BANGER_SOCKET=$FAKE comp --json vm logs -f "" >out &&
	has out alpha bravo
'

test_expect_success 'bash: --image and --kernel offer the installed names' '
	use_sh "case \$verb in image-list) echo \"{\\\"ok\\\":true,\\\"result\\\":{\\\"images\\\":[{\\\"name\\\":\\\"debian-12\\\"},{\\\"name\\\":\\\"test\\\"}]}}\" ;; kernel-list) echo \"{\\\"ok\\\":true,\\\"result\\\":{\\\"kernels\\\":[{\\\"name\\\":\\\"debian-6.1.0\\\"}]}}\" ;; esac" &&
	: >"$TRASH/verbs" &&
	BANGER_SOCKET=$FAKE comp vm create --image "" >out &&
	printf "debian-12\ntest\n" >want && test_cmp want out &&
	grep -qx image-list "$TRASH/verbs" &&
	BANGER_SOCKET=$FAKE comp vm run --kernel "" >out &&
	echo debian-6.1.0 >want && test_cmp want out &&
	BANGER_SOCKET=$FAKE comp image delete "" >out &&
	printf "debian-12\ntest\n" >want && test_cmp want out &&
	BANGER_SOCKET=$FAKE BANGER_COMPLETE=kernels banger completion bash >out &&
	echo debian-6.1.0 >want && test_cmp want out &&
	use list2
'

test_expect_success 'bash: service down: nothing, and no file names' '
	touch a-file alpha-file &&
	BANGER_SOCKET=$TRASH/nowhere.sock comp vm stop "" >out &&
	test ! -s out &&
	BANGER_SOCKET=$TRASH/nowhere.sock comp vm stop a >out &&
	test ! -s out
'

test_expect_success 'bash: service answers an error: nothing' '
	use notfound &&
	BANGER_SOCKET=$FAKE comp vm stop "" >out &&
	use list2 &&
	test ! -s out
'

test_expect_success 'bash: no names after the NAME, no file names anywhere' '
	touch a-file &&
	BANGER_SOCKET=$FAKE comp vm stop alpha "" >out &&
	test ! -s out &&
	comp vm run "" >out && test ! -s out &&
	comp vm run --name "" >out && test ! -s out &&
	comp vm create --image "" >out && test ! -s out &&
	comp image delete "" >out && test ! -s out &&
	comp nonsense "" >out && test ! -s out
'

test_expect_success 'bash: nothing after -- COMMAND' '
	BANGER_SOCKET=$FAKE comp vm ssh alpha -- "" >out &&
	test ! -s out
'

test_expect_success 'bash: banger completion <TAB> lists the shells' '
	comp completion "" >out &&
	printf "bash\nfish\npowershell\nzsh\n" >want && test_cmp want out
'

test_expect_success 'bash: banger help <TAB> lists the commands' '
	comp help "" >out &&
	has out vm image doctor completion
'

# ---- the hidden helper ----------------------------------------------

test_expect_success 'helper: VM names, one a line' '
	BANGER_SOCKET=$FAKE BANGER_COMPLETE=vms banger completion bash \
	    >out 2>err &&
	test ! -s err &&
	printf "alpha\nbravo\n" >want && test_cmp want out
'

test_expect_success 'helper: service down: nothing, exit 0' '
	BANGER_SOCKET=$TRASH/nowhere.sock BANGER_COMPLETE=vms \
	    banger completion bash >out 2>err &&
	test ! -s out && test ! -s err
'

test_expect_success 'helper: a silent service: nothing within ~2 s, exit 0' '
	use_sh "sleep 10" &&
	start=$(date +%s) &&
	BANGER_SOCKET=$FAKE BANGER_COMPLETE=vms banger completion bash \
	    >out 2>err &&
	end=$(date +%s) &&
	use list2 &&
	test ! -s out && test ! -s err &&
	test $((end - start)) -le 3
'

test_expect_success 'helper: images and kernels: nothing yet, exit 0' '
	BANGER_SOCKET=$FAKE BANGER_COMPLETE=images banger completion bash \
	    >out && test ! -s out &&
	BANGER_SOCKET=$FAKE BANGER_COMPLETE=kernels banger completion bash \
	    >out && test ! -s out
'

# ---- zsh, fish, powershell ------------------------------------------

if command -v zsh >/dev/null 2>&1; then
	test_expect_success 'zsh: the script parses (zsh -n), no _files' '
		banger completion zsh >_banger &&
		zsh -n _banger &&
		head -n 1 _banger | grep -qx "#compdef banger" &&
		! grep -q "_files" _banger
	'
else
	test_skip 'zsh: the script parses (zsh -n)' 'zsh is not installed'
fi

if command -v fish >/dev/null 2>&1; then
	test_expect_success 'fish: the script parses (fish -n), files off' '
		banger completion fish >banger.fish &&
		fish -n banger.fish &&
		grep -qx "complete -c banger -f" banger.fish
	'
	test_expect_success 'fish: banger vm stop <TAB> lists the live VMs' '
		banger completion fish >banger.fish &&
		touch a-file &&
		BANGER_SOCKET=$FAKE fish -c "source banger.fish;
		    complete -C \"banger vm stop \"" >out &&
		cut -f 1 out | sort >got &&
		printf "alpha\nbravo\n" >want && test_cmp want got &&
		fish -c "source banger.fish; complete -C \"banger vm \"" >out &&
		cut -f 1 out | grep -qx stop
	'
else
	test_skip 'fish: the script parses (fish -n)' 'fish is not installed'
fi

test_expect_success 'powershell: registers a completer naming the commands' '
	banger completion powershell >banger.ps1 &&
	grep -q "Register-ArgumentCompleter -Native -CommandName banger" \
	    banger.ps1 &&
	for w in vm image kernel system doctor ssh-config completion \
	    "run create start stop" --image --include-untracked vms; do
		grep -q -- "$w" banger.ps1 || { echo "missing: $w"; exit 1; }
	done
'

test_done
