# shellcheck shell=sh
# t/lib.sh — shared by the shell tests (git t/test-lib.sh style, TAP out).
#
#   . "${0%/*}/lib.sh"
#   test_expect_success 'title' 'cmd && cmd'  (the &&-chain is checked)
#   must_fail CODE cmd...     exact exit code; >128 (a crash) never passes
#   test_cmp expected actual
#   test_skip 'title' 'reason'  (a failure when BANGER_NO_SKIP=1, as in CI)
#   test_todo 'title' 'reason'  (known missing; TAP TODO)
#   at_exit 'cmd'             run at exit, even when the script dies
#   owner_libexec             helpers copied where another uid can run them
#   test_done
#
# Each script runs in its own trash directory with a private state root:
# BANGER_ROOT, HOME, BANGER_SOCKET and BANGER_ROOT_SOCKET all point
# inside it, so no test touches the host's real banger state.

TOP=$(cd "${0%/*}/.." && pwd)
B=$TOP/build
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/banger-t.XXXXXX")
chmod 0755 "$TRASH"
if [ "${BANGER_SANDBOX:-0}" = 1 ]; then
	# Inside t/with-sandbox: its state root, sockets and HOME stand.
	:
else
	export BANGER_ROOT="$TRASH/root"
	export HOME="$TRASH/home"
	export BANGER_LIBEXECDIR="$B/libexec/banger"
	export BANGER_SOCKET="$BANGER_ROOT/run/banger/bangerd.sock"
	export BANGER_ROOT_SOCKET="$BANGER_ROOT/run/banger-root/bangerd-root.sock"
	mkdir -p "$BANGER_ROOT" "$HOME"
fi
unset XDG_CONFIG_HOME
export PATH="$B/bin:$PATH"

_t_n=0
_t_failed=0
_t_atexit=""

at_exit() { _t_atexit="$1
$_t_atexit"; }

_t_cleanup() {
	st=$?
	eval "$_t_atexit" >/dev/null 2>&1 || :
	cd / && rm -rf "$TRASH"
	exit $st
}
trap _t_cleanup EXIT
trap 'exit 130' INT TERM HUP

_t_result() {
	_t_n=$((_t_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $_t_n - $2"
	else
		echo "not ok $_t_n - $2"
		_t_failed=$((_t_failed + 1))
	fi
}

# git's chain-lint: with a failing first link, a well-formed &&-chain
# runs nothing and ends with that link's status, 117.  A body where a
# command's status is dropped (`! cmd; next`, a missing &&) does not.
# Diagnostics of the form `cmd || { ...; false; } &&` (or `return 1`,
# ending the body) are taken out first: they run only when cmd failed,
# and end by failing.
_t_chain_ok() {
	_t_body=$(printf '%s\n' "$1" | perl -0777 -pe '
	    my $g = qr/\|\|\s*\{(?:[^{}]|\{[^{}]*\})*\b(?:false|return 1|exit 1);?\s*\}/;
	    s/$g(?=\s*&&)//g;                  # A || { ...; false; } && B
	    s/$g(?=\s*(?:done|fi|esac|else|elif|\}|\)|;;)\b)//g; # ... the end of a loop
	    s/${g}[ \t]*(?=\n\s*\S)/&&/g;      # A || { ...; return 1; } NL B
	    s/$g\s*\z//;                        # ... at the end')
	(cd "$TRASH" && eval "(exit 117) && $_t_body") >/dev/null 2>&1 </dev/null
	[ $? = 117 ]
}

test_expect_success() {
	_t_title=$1
	shift
	if ! _t_chain_ok "$1"; then
		_t_result 1 "$_t_title (broken &&-chain: a status would be lost)"
		printf '%s\n' "$1" | sed 's/^/#   /'
		return 0
	fi
	_t_out=$(cd "$TRASH" && eval "$1" 2>&1)
	_t_st=$?
	_t_result $_t_st "$_t_title"
	if [ $_t_st != 0 ]; then
		printf '%s\n' "$1" | sed 's/^/#   /'
		printf '%s\n' "$_t_out" | tail -n 30 | sed 's/^/#   > /'
	fi
	return 0
}

# must_fail CODE cmd...: the command must exit with exactly CODE.
must_fail() {
	_want=$1
	shift
	"$@"
	_got=$?
	if [ "$_got" = "$_want" ]; then return 0; fi
	if [ "$_got" -gt 128 ]; then
		echo "must_fail: '$*' died of signal $((_got - 128))" >&2
	else
		echo "must_fail: '$*' exited $_got, want $_want" >&2
	fi
	return 1
}

test_cmp() {
	diff -u "$1" "$2"
}

test_skip() {
	if [ "${BANGER_NO_SKIP:-0}" = 1 ]; then
		_t_result 1 "$1 (skip not allowed here: $2)"
	else
		_t_n=$((_t_n + 1))
		echo "ok $_t_n # SKIP $1: $2"
	fi
}

# test_todo 'title' 'reason': known missing, reported as TAP TODO (not a
# pass, not a failure, not a skip): prove lists it as a TODO.
test_todo() {
	_t_n=$((_t_n + 1))
	echo "not ok $_t_n - $1 # TODO $2"
}

# owner_libexec: the helpers, copied where another uid can run them (the
# checkout may sit in a 0700 home); sets X and BANGER_LIBEXECDIR there.
owner_libexec() {
	cp -a "$B/libexec/banger" "$TRASH/libexec" &&
	    chmod 0755 "$TRASH/libexec" &&
	    export BANGER_LIBEXECDIR="$TRASH/libexec" &&
	    X=$TRASH/libexec
}

test_done() {
	echo "1..$_t_n"
	[ $_t_failed = 0 ]
	exit $?
}
